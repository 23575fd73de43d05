"""Specs: the claim model, the loader with located problems, and the starting template.

The names below load on first use (PEP 562): the pytest plugin reads ``conformance.spec.model`` in every run of
every project, and must not pay for the loader's JSON Schema machinery there.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conformance.spec.loader import LoadResult, builtin_specs_dir, load_specs
    from conformance.spec.model import Claim, Location, Provider, Spec, Status
    from conformance.spec.yamlmarks import InputError, Problem

_HOME = {
    "LoadResult": "loader",
    "builtin_specs_dir": "loader",
    "load_specs": "loader",
    "Claim": "model",
    "Location": "model",
    "Provider": "model",
    "Spec": "model",
    "Status": "model",
    "InputError": "yamlmarks",
    "Problem": "yamlmarks",
}

__all__ = [
    "Claim",
    "InputError",
    "LoadResult",
    "Location",
    "Problem",
    "Provider",
    "Spec",
    "Status",
    "builtin_specs_dir",
    "load_specs",
]


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(importlib.import_module(f"conformance.spec.{_HOME[name]}"), name)
    raise AttributeError(f"module 'conformance.spec' has no attribute {name!r}")
