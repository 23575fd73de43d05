"""The generated conformance tests. Import them into a test module to collect them:

    from conformance.cases import test_claim, test_claim_async, test_imported  # noqa: F401

The plugin parametrizes them with one case per claim and variant.
"""

from __future__ import annotations

import pytest

from conformance.audit.core import Finding, Replayed, outcome_of
from conformance.audit.passive import Judged
from conformance.checks.registry import ConformanceFailure
from conformance.results.model import Outcome
from conformance.run.runner import Judgement
from conformance.spec.model import Status


def test_claim(conformance_judgement: Judgement) -> None:
    """One claim, probed through its SDK (sync or streaming); the probe runs in the fixture's setup, so a
    provider that gives no usable answer is this case's ERROR, and only a judgement on the claim can FAIL."""
    conformance_judgement.settle()


@pytest.mark.asyncio
async def test_claim_async(conformance_judgement_async: Judgement) -> None:
    """One claim, probed through the SDK's async client."""
    conformance_judgement_async.settle()


def test_imported(conformance_imported: Finding | Replayed) -> None:
    """One claim judged on one exchange recorded by someone else (evidence: imported); or that exchange re-issued
    through its API's official SDK and answered from the recording (``<api>.sdk-replay`` cases)."""
    finding = conformance_imported
    outcome, message = outcome_of(finding)
    where = finding.describe()
    if outcome == Outcome.SKIP:
        pytest.skip(f"{message} [{where}]")
    if isinstance(finding, Replayed):
        if outcome == Outcome.FAIL:
            raise ConformanceFailure(f"{message}\n  evidence: imported recording {where}")
        return
    claim = finding.claim
    if finding.verdict.outcome == Judged.FAIL and claim.status is not Status.UNDOCUMENTED:
        raise ConformanceFailure(
            f'{message}\n  evidence: imported recording {where}\n  doc: {claim.doc.url}\n  quote: "{claim.doc.quote}"'
        )
