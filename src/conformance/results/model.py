"""The versioned results file: run metadata plus one record per conformance case."""

from __future__ import annotations

import dataclasses
import json
import platform
import sys
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from conformance import __version__
from conformance.data import package_data
from conformance.results.outputs import write_text

RESULTS_VERSION = 1
OUTCOMES = ("pass", "fail", "skip", "xfail", "xpass", "error")
SDKS = ("openai", "anthropic", "google-genai", "httpx2", "pytest")


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def sdk_versions() -> dict[str, str]:
    versions: dict[str, str] = {}
    for name in SDKS:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def results_schema() -> dict[str, Any]:
    text = package_data("schemas", "results.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@dataclass
class Record:
    """One case's result: what was claimed, what happened, and where the evidence came from."""

    claim: str
    provider: str
    location: str
    field: str
    status: str
    variant: str
    outcome: str
    message: str
    testable: bool
    observed: dict[str, Any]
    evidence: dict[str, Any]
    duration_ms: float
    doc_url: str
    values: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclass
class Run:
    """Metadata of one run and its records, written as JSON."""

    mode: str
    providers: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    started: str = dataclasses.field(default_factory=now)
    finished: str | None = None
    records: list[Record] = dataclasses.field(default_factory=list)
    incomplete: bool | None = None  # True until the run ends normally (Ctrl-C, a crash, a CI time-out leave it)
    usage: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)  # live traffic per provider

    def to_json(self) -> dict[str, Any]:
        return {
            "results_version": RESULTS_VERSION,
            "run": {
                "started": self.started,
                "finished": self.finished,
                "harness": __version__,
                "python": platform.python_version(),
                "platform": sys.platform,
                "sdks": sdk_versions(),
                "mode": self.mode,
                "providers": self.providers,
                **({} if self.incomplete is None else {"incomplete": self.incomplete}),
                **({"usage": self.usage} if self.usage else {}),
            },
            "results": [asdict(r) for r in self.records],
        }

    def write(self, path: Path) -> None:
        """Atomically for a regular file (temporary file + rename), in place for ``/dev/stdout`` and other special
        files (:func:`conformance.results.outputs.write_text`)."""
        write_text(path, json.dumps(self.to_json(), indent=2, ensure_ascii=False, default=str) + "\n")
