"""Specs: the claim model, the loader with located problems, and the starting template."""

from __future__ import annotations

from conformance.spec.loader import LoadResult, builtin_specs_dir, load_specs
from conformance.spec.model import Claim, Location, Provider, Spec, Status
from conformance.spec.yamlmarks import InputError, Problem

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
