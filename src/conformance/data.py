"""The package's own data (specs, their schema, the results schema, fixtures), read with ``importlib.resources``."""

from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    from importlib.resources.abc import Traversable
else:  # pragma: no cover - Python 3.10
    from importlib.abc import Traversable


def package_data(*parts: str) -> Traversable:
    """A file or folder shipped inside the ``conformance`` package."""
    ref = resources.files("conformance")
    for part in parts:
        ref = ref / part
    return ref


def package_dir(name: str) -> Path:
    """A data folder as a real path (specs are found by walking it and named in messages by their path)."""
    ref = package_data(name)
    if isinstance(ref, Path):
        return ref
    raise RuntimeError(f"conformance's {name}/ is not a folder on disk: install the package unzipped (pip does)")


def fixture_bytes(name: str) -> bytes:
    """A fixture probes send (``fixtures/<name>``): images, audio."""
    data: bytes = package_data("fixtures", *name.split("/")).read_bytes()
    return data


def fixture_json(name: str) -> Any:
    """A JSON fixture probes send (``fixtures/<name>``): tools, response schemas."""
    return json.loads(fixture_bytes(name).decode("utf-8"))
