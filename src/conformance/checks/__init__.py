"""The check registry; importing this package registers every check."""

from __future__ import annotations

from conformance.checks import (
    behavior,
    effects,
    errors,
    fields,
    gemini_native,
    headers,
    jobs,
    native,
    reference,
    stream,
    usage,
)
from conformance.checks.registry import CHECKS, ConformanceFailure, register

__all__ = [
    "CHECKS",
    "ConformanceFailure",
    "behavior",
    "effects",
    "errors",
    "fields",
    "gemini_native",
    "headers",
    "jobs",
    "native",
    "reference",
    "register",
    "stream",
    "usage",
]
