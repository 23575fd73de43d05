"""``[tool.conformance]`` in the nearest ``pyproject.toml``: settings shared by the CLI and the plugin."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.errors import UserInputError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib


class ConfigError(UserInputError):
    """A bad ``[tool.conformance]`` table; the message names the file and the key."""


@dataclass(frozen=True, slots=True)
class ToolConfig:
    """The ``[tool.conformance]`` table, with relative paths resolved against its file."""

    path: Path | None = None
    specs: tuple[Path, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict)


def find_pyproject(start: Path) -> Path | None:
    """The nearest ``pyproject.toml`` at or above ``start``."""
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def load_tool_config(start: Path | None = None) -> ToolConfig:
    """Read ``[tool.conformance]`` from the nearest ``pyproject.toml`` (an empty config if none)."""
    pyproject = find_pyproject((start or Path.cwd()).resolve())
    if pyproject is None:
        return ToolConfig()
    try:
        document = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{pyproject}: invalid TOML: {exc}") from exc
    table = document.get("tool", {}).get("conformance", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{pyproject}: [tool.conformance] must be a table")
    specs = table.get("specs", [])
    if isinstance(specs, str):
        specs = [specs]
    if not isinstance(specs, list) or not all(isinstance(s, str) for s in specs):
        raise ConfigError(f'{pyproject}: [tool.conformance] specs must be a list of paths, e.g. specs = ["my-specs/"]')
    base = pyproject.parent
    return ToolConfig(path=pyproject, specs=tuple(base / s for s in specs), raw=table)
