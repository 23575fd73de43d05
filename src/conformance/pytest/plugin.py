"""The pytest plugin: options, markers, hooks and fixtures only.

pytest imports this module in every run of every project the package is installed in, so it imports nothing heavy:
the harness itself (:mod:`conformance.pytest.harness`: specs, SDKs, the session, the results writer) is loaded the first
time a run collects a conformance case or names one of the harness's options.
"""

from __future__ import annotations

import re
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import pytest
import pytest_asyncio

from conformance.data import package_dir
from conformance.pytest.options import (
    SHORT,
    add_options,
    add_short_options,
    given_on_command_line,
    ini_given,
    misread_path_options,
)
from conformance.spec.model import Location

if TYPE_CHECKING:
    from conformance.audit.core import Audit, Finding, Replayed
    from conformance.pytest.harness import Harness
    from conformance.run.runner import Case, Judgement, Session

HARNESS = pytest.StashKey["Harness"]()
SETUP_ERROR = pytest.StashKey[str]()
CASE_FUNCTIONS = re.compile(r"::test_(?:claim|claim_async|imported)\[")
"""The node ids of the generated cases (``conformance.cases``), as an xdist controller sees them."""


def marker_name(provider_id: str) -> str:
    return provider_id.replace("-", "_")


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser) -> Generator[None]:
    """The short option names, once every plugin and the project's root conftests have registered theirs."""
    result = yield
    early_config.stash[SHORT] = add_short_options(parser)
    return result


def pytest_configure(config: pytest.Config) -> None:
    """Markers only, unless a harness option is given: then the harness is set up now (bad options are usage
    errors before collection). Otherwise nothing is read until a conformance case is collected."""
    config.addinivalue_line("markers", "conformance: a generated conformance case (one claim, one variant)")
    config.addinivalue_line("markers", "expensive: costs real money; runs only with --conformance-expensive")
    for location in Location:
        config.addinivalue_line("markers", f"{location.value}: conformance cases about {location.value} claims")
    for provider in sorted(path.stem for path in package_dir("specs").glob("*.yaml")):
        config.addinivalue_line("markers", f"{marker_name(provider)}: conformance cases of the {provider} spec")
    for option, value in misread_path_options(config.invocation_params.args, config.invocation_params.dir):
        config.issue_config_time_warning(
            pytest.PytestConfigWarning(
                f"pytest read {value} as a test path when it chose its rootdir ({config.rootpath}), before it "
                f"knew {option}; write {option}={value} so the project's configuration is found"
            ),
            stacklevel=2,
        )
    if given_on_command_line(config) or ini_given(config):
        from conformance.pytest.harness import HarnessError

        try:
            _set_up(config)
        except HarnessError as exc:
            raise pytest.UsageError(str(exc)) from None


def _set_up(config: pytest.Config) -> Harness:
    if HARNESS not in config.stash:
        from conformance.pytest.harness import set_up

        config.stash[HARNESS] = set_up(config)
    return config.stash[HARNESS]


def _harness(config: pytest.Config) -> Harness | None:
    """The harness, set up on first use during collection. A bad configuration is kept and raised as a usage
    error once collection ends (``pytest_collection_modifyitems``): only runs that collect conformance cases get
    here, and they end as before, with the located message and exit code 4."""
    if SETUP_ERROR in config.stash:
        return None
    from conformance.pytest.harness import HarnessError

    try:
        return _set_up(config)
    except HarnessError as exc:
        config.stash[SETUP_ERROR] = str(exc)
        return None


def pytest_collection_modifyitems(config: pytest.Config) -> None:
    if SETUP_ERROR in config.stash:
        raise pytest.UsageError(config.stash[SETUP_ERROR])


def _audit(config: pytest.Config) -> Audit:
    """The audit of the imported recordings, made when first needed: a run that collects no imported case (the
    harness's own tests, ``pytest tests/test_x.py``) does not pay for reading and SDK-replaying them."""
    from conformance.audit.core import Audit
    from conformance.pytest.harness import audit_of

    harness = _harness(config)
    return Audit() if harness is None else audit_of(harness)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: Any, ids: list[str]) -> None:
    """On an xdist controller (which collects nothing itself): set up once a worker has collected conformance
    cases, so the results file is written and merged there."""
    if HARNESS not in node.config.stash and any(CASE_FUNCTIONS.search(i) for i in ids):
        _harness(node.config)
        reporter = node.config.pluginmanager.get_plugin("conformance-reporter")
        if reporter is not None:
            reporter.pytest_xdist_node_collection_finished(node, ids)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "conformance_finding" not in metafunc.fixturenames and "conformance_case" not in metafunc.fixturenames:
        return
    from conformance.pytest.harness import marks
    from conformance.run.runner import cases_for

    if "conformance_finding" in metafunc.fixturenames:
        result = _audit(metafunc.config)
        params = [pytest.param(f, id=f.case_id, marks=marks(f.claim)) for f in result.findings]
        params += [
            pytest.param(r, id=r.case_id, marks=[pytest.mark.conformance, getattr(pytest.mark, marker_name(r.api))])
            for r in result.replays
        ]
        metafunc.parametrize("conformance_finding", params)
        return
    if "conformance_case" not in metafunc.fixturenames:
        return
    harness = _harness(metafunc.config)
    if harness is None:
        metafunc.parametrize("conformance_case", [])
        return
    session = harness.session
    wants_async = metafunc.function.__name__.endswith("_async")
    params = []
    for spec in harness.specs.specs:
        if session.settings.providers and spec.provider.id not in session.settings.providers:
            continue
        for case in cases_for(spec):
            if case.is_async != wants_async:
                continue
            params.append(pytest.param(case, id=case.id, marks=marks(case.claim)))
    metafunc.parametrize("conformance_case", params)


@pytest.fixture
def conformance_audit(request: pytest.FixtureRequest) -> Audit:
    """The audit of imported recordings (``--imported``, default ``cassettes/imported``)."""
    return _audit(request.config)


@pytest.fixture
def conformance_session(request: pytest.FixtureRequest) -> Session:
    """The run's conformance state (settings, records)."""
    harness = _harness(request.config)
    if harness is None:
        raise pytest.UsageError(request.config.stash[SETUP_ERROR])
    return harness.session


# The evidence of a case is gathered in its fixture's setup, and the test body only settles the judgement: a
# case with nothing to judge (the provider gave no usable answer, an unusable cassette, a crash of ours) raises a
# CaseError there, which pytest reports as ERROR (summary "errors", JUnit <error>), never as the claim FAILED.


@pytest.fixture
def conformance_judgement(
    conformance_case: Case, conformance_session: Session, request: pytest.FixtureRequest
) -> Judgement:
    """The case's probe sent through its SDK and the answer judged (sync or streaming)."""
    return conformance_session.probe_sync(request.node.nodeid, conformance_case)


@pytest_asyncio.fixture
async def conformance_judgement_async(
    conformance_case: Case, conformance_session: Session, request: pytest.FixtureRequest
) -> Judgement:
    """The case's probe sent through the SDK's async client and the answer judged."""
    return await conformance_session.probe_async(request.node.nodeid, conformance_case)


@pytest.fixture
def conformance_imported(conformance_finding: Finding | Replayed) -> Finding | Replayed:
    """An imported finding; one whose check crashed during the audit is this case's ERROR."""
    from conformance.audit.core import outcome_of
    from conformance.results.model import Outcome
    from conformance.run.outcomes import CaseError

    outcome, message = outcome_of(conformance_finding)
    if outcome == Outcome.ERROR:
        raise CaseError(f"{message} [{conformance_finding.describe()}]")
    return conformance_finding


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if call.excinfo is not None and report.failed and HARNESS in item.config.stash:
        from conformance.pytest.harness import is_case, short_report

        if not is_case(item):
            return report
        harness = item.config.stash.get(HARNESS, None)
        secrets = harness.session.secrets() if harness is not None else ()
        report.longrepr = short_report(call.excinfo.value, secrets)
    return report
