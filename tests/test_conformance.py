"""Collects the generated conformance cases; they skip without --live."""

from __future__ import annotations

from conformance.cases import test_claim, test_claim_async  # noqa: F401  (the generated conformance cases)
