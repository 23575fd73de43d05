"""Results written as they arrive, so an interrupted run still leaves a valid (incomplete) results file.

* Every process that runs cases appends each record as one JSON line to its *part* file beside the results file,
  ``<results>.<worker>.part`` (one ``write`` per line, flushed: a crash can tear only the last line, which the
  reader skips). pytest-xdist workers are named ``gw0``, ``gw1`` ...; a run without workers uses ``main``.
* The process that owns the results file (the only one, or the xdist controller) rewrites it atomically (temp
  file + rename) at most every :data:`REWRITE_SECONDS` while results arrive, with ``"incomplete": true``, and a
  last time at the end with the part files merged in and ``"incomplete": false`` unless the run was cut short.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

from conformance.bounded import loads
from conformance.results.model import Record, Run
from conformance.results.outputs import is_special

REWRITE_SECONDS = 2.0
PART_SUFFIX = ".part"


def _parts_folder(results: Path) -> Path:
    """Beside the results file; for ``/dev/stdout`` and other special files, a folder of its own in the temporary
    directory (named after the path and the process group, which xdist's workers share with their controller)."""
    if not is_special(results):
        return results.parent
    key = hashlib.sha1(os.path.abspath(results).encode()).hexdigest()[:12]
    group = os.getpgrp() if hasattr(os, "getpgrp") else 0
    folder = Path(tempfile.gettempdir()) / f"conformance-parts-{key}-{group}"
    folder.mkdir(exist_ok=True)
    return folder


def part_path(results: Path, worker: str) -> Path:
    return _parts_folder(results) / f"{results.name}.{worker}{PART_SUFFIX}"


def part_paths(results: Path) -> list[Path]:
    return sorted(_parts_folder(results).glob(f"{results.name}.*{PART_SUFFIX}"))


def clear_parts(results: Path) -> None:
    """Remove part files a previous run left behind (before any worker of this run starts)."""
    for path in part_paths(results):
        path.unlink(missing_ok=True)


def read_part(path: Path) -> list[Record]:
    """The records of one part file; a torn last line (the writer died mid-line) is skipped."""
    records: list[Record] = []
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return records
    for line in text.splitlines():
        try:
            data: dict[str, Any] = loads(line)
            records.append(Record.from_json(data))
        except (ValueError, TypeError, KeyError):
            continue
    return records


class Journal:
    """One process's part file: one flushed JSON line per record."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[str] | None = None

    def append(self, record: Record) -> None:
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.path.open("a", encoding="utf-8")
        self._handle.write(json.dumps(asdict(record), ensure_ascii=False, default=str) + "\n")
        self._handle.flush()

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


class ResultsWriter:
    """Owns the results file: throttled atomic rewrites while the run goes, the merged file at the end."""

    def __init__(self, path: Path, own_part: Path | None = None) -> None:
        self.path = path
        self.own_part = own_part
        self.last = 0.0
        self.special = is_special(path)

    def records(self, run: Run) -> list[Record]:
        """This process's records, then every worker's part file."""
        merged = list(run.records)
        for part in part_paths(self.path):
            if part != self.own_part:
                merged.extend(read_part(part))
        return merged

    def write(self, run: Run, incomplete: bool, *, final: bool = False) -> None:
        """Rewrite the results file; a special file (``/dev/stdout``, a pipe) is written only by :meth:`finish`:
        each write there is one more copy, not a replacement."""
        if self.special and not final:
            return
        snapshot = Run(
            mode=run.mode,
            providers=run.providers,
            started=run.started,
            finished=run.finished,
            records=self.records(run),
            incomplete=incomplete,
            usage=run.usage,
        )
        snapshot.write(self.path)
        self.last = time.monotonic()

    def maybe_write(self, run: Run) -> None:
        """Rewrite the file (marked incomplete) unless it was rewritten less than REWRITE_SECONDS ago."""
        if time.monotonic() - self.last >= REWRITE_SECONDS:
            self.write(run, incomplete=True)

    def finish(self, run: Run, incomplete: bool) -> None:
        self.write(run, incomplete, final=True)
        for part in part_paths(self.path):
            part.unlink(missing_ok=True)
        if self.special:
            with contextlib.suppress(OSError):
                _parts_folder(self.path).rmdir()
