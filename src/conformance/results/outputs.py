"""Where output goes: paths checked before any work starts, and files written so that nothing else is lost.

* A regular file (or a new one) is written atomically: a temporary file beside it, then a rename, so a reader never
  sees half a file and a crash leaves the old one. A symlink keeps pointing where it did: its target is replaced.
* A special file (``/dev/stdout``, ``/dev/null``, a named pipe, a terminal) is written in place, never replaced by a
  plain file: ``--json /dev/stdout`` prints the results, even as root.
* A folder where a file should be, a file where a folder should be, or a parent that cannot be created is an
  :class:`OutputError` naming the path and what to do, raised before the work starts. Missing parent folders are
  created, as the commands always did.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

from conformance.errors import UserInputError


class OutputError(UserInputError):
    """An output path that cannot be written; the message names it and says what to do."""


def is_special(path: Path) -> bool:
    """True for a path that exists and is not a regular file or a folder (a device, a pipe, a socket), or that lives
    under ``/dev`` or ``/proc`` (``/dev/stdout`` is a link to whatever the standard output is, a file included)."""
    absolute = os.path.abspath(path)
    if absolute.startswith(("/dev/", "/proc/")):
        return True
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def _parent_problem(folder: Path, path: Path, option: str) -> str | None:
    """Why the folder ``path`` goes in cannot be used or created, or None."""
    for parent in [folder, *folder.parents]:
        if parent.is_dir():
            return None if os.access(parent, os.W_OK | os.X_OK) else f"{option} {path}: cannot write in {parent}"
        if parent.exists() or parent.is_symlink():
            return f"{option} {path}: {parent} is not a folder; choose a path in a folder"
    return None


def check_file(path: Path, option: str) -> None:
    """Raise :class:`OutputError` unless ``path`` can be written as a file (``option`` names the flag)."""
    if path.is_dir():
        raise OutputError(f"{option} {path}: is a folder; give the name of a file (in it, or elsewhere)")
    problem = _parent_problem(path.parent, path, option)
    if problem:
        raise OutputError(problem)
    if is_special(path) and not path.exists():  # as root, writing would leave a plain file among the devices
        raise OutputError(f"{option} {path}: no such device; choose another path")


def check_folder(path: Path, option: str) -> None:
    """Raise :class:`OutputError` unless ``path`` is a folder or can be created as one."""
    if path.exists() and not path.is_dir():
        raise OutputError(f"{option} {path}: is a file, not a folder; give a folder to write into")
    problem = _parent_problem(path, path, option)
    if problem:
        raise OutputError(problem)


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path``: in place for a special file, else atomically (temporary file, then rename)."""
    try:
        if is_special(path):
            _write_in_place(path, text)
            return
        target = Path(os.path.realpath(path))
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(target)
        finally:
            tmp.unlink(missing_ok=True)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write it ({exc.strerror or exc}); choose another path") from exc


def _write_in_place(path: Path, text: str) -> None:
    """Through the process's own standard output or error when ``path`` is one of them (so the text lands after what
    was printed, even when it is redirected to a file), else by opening the device or pipe."""
    for fd, stream in ((1, sys.stdout), (2, sys.stderr)):
        if _same_file(path, fd):
            stream.flush()
            data = memoryview(text.encode("utf-8"))
            while data:
                data = data[os.write(fd, data) :]
            return
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def _same_file(path: Path, fd: int) -> bool:
    try:
        mine, other = os.stat(path), os.fstat(fd)
    except OSError:
        return False
    return (mine.st_dev, mine.st_ino) == (other.st_dev, other.st_ino)


def same_as_stdout(path: Path) -> bool:
    """True when ``path`` is where the standard output goes (``/dev/stdout``, ``/dev/fd/1``, the file it is
    redirected to): a command then keeps its other output off stdout, so the file stays clean JSON."""
    return _same_file(path, 1)
