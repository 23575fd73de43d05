"""Every registered check can fail: walked from the check registry, proven on the fakes' declared breaks.

A check that no break of any fake fails could be passing vacuously, so each name in ``CHECKS`` must be the check of
some case that passes on the faithful fake and fails on one of the breaks the fakes declare (``BREAKABLE``; a break
id is a claim id, or ``<claim id>#<variant>``). The breaks are discovered, not listed here, so a check registered
later (the native APIs' own) needs a break in its fake or this test names it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.checks import CHECKS
from conformance.run.runner import Case
from tests.fakes import BREAKABLE, FLAVORS, FakeServer, claim_of
from tests.test_against_fakes import SPECS, claim_cases, run_case, session_for

BREAKS = [(flavor, break_id) for flavor in sorted(FLAVORS) for break_id in sorted(BREAKABLE[flavor])]


def _coverage() -> dict[str, list[tuple[str, str, Case]]]:
    """Check name -> every (flavor, break id, case) where that check judges a case of the broken claim."""
    found: dict[str, list[tuple[str, str, Case]]] = {}
    for flavor, break_id in BREAKS:
        for case in claim_cases(SPECS[flavor], claim_of(break_id)):
            if case.variant is not None and case.untestable is None:
                found.setdefault(case.variant.check, []).append((flavor, break_id, case))
    return found


COVERAGE = _coverage()


@pytest.fixture(scope="module")
def faithful() -> Iterator[dict[str, FakeServer]]:
    servers = {flavor: FakeServer(flavor).start() for flavor in FLAVORS}
    yield servers
    for server in servers.values():
        server.stop()


def _fails_somewhere(check: str, faithful: dict[str, FakeServer]) -> str | None:
    """The first break id whose case with ``check`` passes on the faithful fake and fails on the break, or None."""
    for flavor, break_id, case in COVERAGE.get(check, []):
        if run_case(session_for(flavor, faithful[flavor].base_url, case.claim), case) != "pass":
            continue
        with FakeServer(flavor, {break_id}) as server:
            if run_case(session_for(flavor, server.base_url, case.claim), case).startswith("fail: "):
                return break_id
    return None


def test_every_registered_check_fails_on_some_break_and_passes_on_the_faithful_fake(
    faithful: dict[str, FakeServer],
) -> None:
    without_break = sorted(set(CHECKS) - set(COVERAGE))
    never_failed = sorted(c for c in set(CHECKS) & set(COVERAGE) if _fails_somewhere(c, faithful) is None)
    assert not without_break, f"checks no declared break exercises: {without_break}"
    assert not never_failed, (
        f"checks that no break fails (with the faithful fake passing the same case): {never_failed}"
    )


def test_the_walk_names_a_check_without_a_break(faithful: dict[str, FakeServer]) -> None:
    """The walk itself can fail: a check registered with no break is named, and one that never fails is too."""
    assert "no_such_check_registered" not in COVERAGE
    assert _fails_somewhere("no_such_check_registered", faithful) is None
    assert _fails_somewhere("stop_effect", faithful) is not None
