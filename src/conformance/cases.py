"""The generated conformance tests. Import them into a test module to collect them:

    from conformance.cases import test_claim, test_claim_async, test_imported  # noqa: F401

The plugin parametrizes them with one case per claim and variant.
"""

from __future__ import annotations

import pytest

from conformance.audit import Finding, Replayed, outcome_of
from conformance.runner import Case, Session
from conformance.spec.model import Status


def test_claim(conformance_case: Case, conformance_session: Session, request: pytest.FixtureRequest) -> None:
    """One claim, probed through its SDK (sync or streaming)."""
    conformance_session.run_sync(request.node.nodeid, conformance_case)


@pytest.mark.asyncio
async def test_claim_async(
    conformance_case: Case, conformance_session: Session, request: pytest.FixtureRequest
) -> None:
    """One claim, probed through the SDK's async client."""
    await conformance_session.run_async(request.node.nodeid, conformance_case)


def test_imported(conformance_finding: Finding | Replayed) -> None:
    """One claim judged on one exchange recorded by someone else (evidence: imported); or that exchange re-issued
    through its API's official SDK and answered from the recording (``<api>.sdk-replay`` cases)."""
    outcome, message = outcome_of(conformance_finding)
    where = conformance_finding.describe()
    if outcome == "skip":
        pytest.skip(f"{message} [{where}]")
    if isinstance(conformance_finding, Replayed):
        if outcome == "fail":
            raise AssertionError(f"{message}\n  evidence: imported recording {where}")
        return
    claim = conformance_finding.claim
    if conformance_finding.verdict.outcome == "fail" and claim.status is not Status.UNDOCUMENTED:
        raise AssertionError(
            f'{message}\n  evidence: imported recording {where}\n  doc: {claim.doc.url}\n  quote: "{claim.doc.quote}"'
        )
