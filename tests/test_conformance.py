"""Collects the generated conformance cases: live probes (skip without --live) and imported recordings."""

from __future__ import annotations

from conformance.cases import test_claim, test_claim_async, test_imported  # noqa: F401  (the generated cases)
