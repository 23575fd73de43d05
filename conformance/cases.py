"""The generated conformance tests. Import them into a test module to collect them:

    from conformance.cases import test_claim, test_claim_async  # noqa: F401

The plugin parametrizes them with one case per claim and variant.
"""

from __future__ import annotations

import pytest

from conformance.runner import Case, Session


def test_claim(conformance_case: Case, conformance_session: Session, request: pytest.FixtureRequest) -> None:
    """One claim, probed through its SDK (sync or streaming)."""
    conformance_session.run_sync(request.node.nodeid, conformance_case)


@pytest.mark.asyncio
async def test_claim_async(
    conformance_case: Case, conformance_session: Session, request: pytest.FixtureRequest
) -> None:
    """One claim, probed through the SDK's async client."""
    await conformance_session.run_async(request.node.nodeid, conformance_case)
