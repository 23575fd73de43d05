"""The pytest plugin: options and hooks only; the logic lives in plain modules."""

from __future__ import annotations

import dataclasses
import re
import shutil
import signal
import tempfile
import threading
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

import pytest
import pytest_asyncio

from conformance.audit import Audit, Finding, Replayed, audit, outcome_of, record_of
from conformance.checks.registry import ConformanceFailure
from conformance.config import ConfigError, load_tool_config
from conformance.exchange import mask_text
from conformance.journal import Journal, ResultsWriter, clear_parts, part_path
from conformance.options import (
    SHORT,
    OptionError,
    add_options,
    add_short_options,
    given_on_command_line,
    ini_given,
    misread_path_options,
    resolve_settings,
)
from conformance.outcomes import CaseError, HarnessBug
from conformance.progress import Progress, summary_lines
from conformance.results import Run, now
from conformance.runner import Case, Judgement, Session, cases_for
from conformance.secret import Secrets
from conformance.spec.loader import LoadResult, builtin_provider_ids, load_specs
from conformance.spec.model import Claim, Location, Spec
from conformance.traffic import merge_usage, traffic_for, usage_report

HARNESS = pytest.StashKey["Harness"]()
SETUP_ERROR = pytest.StashKey[str]()
DEFAULT_IMPORTED = Path("cassettes") / "imported"
EXCEPTION_PREFIX = re.compile(r"^(?:[\w.]+\.)?(?:ConformanceFailure|ProbeError|AssertionError): ")
"""The exception's class, which pytest puts before the message a result record keeps."""
CASE_FUNCTIONS = re.compile(r"::test_(?:claim|claim_async|imported)\[")
"""The node ids of the generated cases (``conformance.cases``), as an xdist controller sees them."""


@dataclass(slots=True)
class Harness:
    """What a run that uses the harness needs: its session (settings, records), specs, and the imported audit."""

    session: Session
    specs: LoadResult
    imported: tuple[Path, ...]
    chosen: list[Spec]
    audit: Audit | None = None


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
    for provider in builtin_provider_ids():
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
        try:
            _set_up(config)
        except HarnessError as exc:
            raise pytest.UsageError(str(exc)) from None


class HarnessError(Exception):
    """The harness cannot start: a bad option, ``[tool.conformance]`` or spec; the message says where."""


def _set_up(config: pytest.Config) -> Harness:
    """Settings, specs and the results writer: built once, when the run first needs the harness."""
    if HARNESS in config.stash:
        return config.stash[HARNESS]
    try:
        tool = load_tool_config(Path(str(config.rootpath)))
        settings = resolve_settings(config, tool)
    except (ConfigError, OptionError) as exc:
        raise HarnessError(str(exc)) from None
    specs = load_specs(settings.specs)
    if specs.problems:
        listing = "\n".join(str(p) for p in specs.problems)
        raise HarnessError(f"spec problems (run `conformance lint` for the full list):\n{listing}")
    known = {s.provider.id for s in specs.specs}
    for name in (*settings.providers, *settings.base_urls, *settings.models, *settings.key_envs):
        if name not in known:
            raise HarnessError(f"unknown provider {name!r}; known: {', '.join(sorted(known))}")
    if settings.key_envs:
        chosen_keys = tuple(
            s.reading_key_from(settings.key_envs[s.provider.id]) if s.provider.id in settings.key_envs else s
            for s in specs.specs
        )
        specs = dataclasses.replace(specs, specs=chosen_keys)
    for spec in specs.specs:
        config.addinivalue_line(
            "markers", f"{marker_name(spec.provider.id)}: conformance cases of {spec.provider.title}"
        )
    workerinput: dict[str, Any] = getattr(config, "workerinput", {})
    slots = workerinput.get("conformance_slots")
    traffic = traffic_for(
        retries=settings.retries,
        retry_cap=settings.retry_cap,
        concurrency=settings.concurrency,
        max_requests=settings.max_requests,
        max_tokens=settings.max_tokens,
        workers=int(workerinput.get("workercount", 1)),
        slot_folder=Path(slots) if slots else None,
    )
    session = Session(settings=settings, run=Run(mode="live" if settings.live else "offline"), traffic=traffic)
    for spec in specs.specs:
        if settings.providers and spec.provider.id not in settings.providers:
            continue
        base = session.base_url(spec)
        session.run.providers[spec.provider.id] = {
            "base_url_host": urlsplit(base).netloc,
            "model": session.model(spec),
            "official": base.rstrip("/") == spec.provider.base_url.rstrip("/"),
        }
    imported = settings.imported
    if not imported and (config.rootpath / DEFAULT_IMPORTED).is_dir():
        imported = (config.rootpath / DEFAULT_IMPORTED,)
    chosen = [s for s in specs.specs if not settings.providers or s.provider.id in settings.providers]
    harness = Harness(session=session, specs=specs, imported=imported, chosen=chosen)
    config.stash[HARNESS] = harness
    reporter = Reporter(session, workerinput.get("workerid"))
    reporter.terminal = config.pluginmanager.get_plugin("terminalreporter")
    config.pluginmanager.register(reporter, "conformance-reporter")
    return harness


def _harness(config: pytest.Config) -> Harness | None:
    """The harness, set up on first use during collection. A bad configuration is kept and raised as a usage
    error once collection ends (``pytest_collection_modifyitems``): only runs that collect conformance cases get
    here, and they end as before, with the located message and exit code 4."""
    if SETUP_ERROR in config.stash:
        return None
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
    harness = _harness(config)
    if harness is None:
        return Audit()
    if harness.audit is None:
        harness.audit = audit(harness.imported, harness.chosen) if harness.imported else Audit()
    return harness.audit


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: Any, ids: list[str]) -> None:
    """On an xdist controller (which collects nothing itself): set up once a worker has collected conformance
    cases, so the results file is written and merged there."""
    if HARNESS not in node.config.stash and any(CASE_FUNCTIONS.search(i) for i in ids):
        _harness(node.config)
        reporter = node.config.pluginmanager.get_plugin("conformance-reporter")
        if reporter is not None:
            reporter.pytest_xdist_node_collection_finished(node, ids)


def _marks(claim: Claim) -> list[pytest.MarkDecorator]:
    marks = [pytest.mark.conformance, getattr(pytest.mark, marker_name(claim.provider))]
    marks += [getattr(pytest.mark, claim.location.value), *(getattr(pytest.mark, m) for m in claim.markers)]
    if claim.deviations:
        reason = "; ".join(d.summary for d in claim.deviations)
        # raises=: only the claim failing is the expected failure; an error (no verdict) stays an error
        marks.append(pytest.mark.xfail(strict=True, raises=ConformanceFailure, reason=f"known deviation: {reason}"))
    return marks


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "conformance_finding" in metafunc.fixturenames:
        result = _audit(metafunc.config)
        params = [pytest.param(f, id=f.case_id, marks=_marks(f.claim)) for f in result.findings]
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
            params.append(pytest.param(case, id=case.id, marks=_marks(case.claim)))
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
    outcome, message = outcome_of(conformance_finding)
    if outcome == "error":
        raise CaseError(f"{message} [{conformance_finding.describe()}]")
    return conformance_finding


def _is_case(item: pytest.Item) -> bool:
    params = getattr(getattr(item, "callspec", None), "params", {})
    return "conformance_case" in params or "conformance_finding" in params


def short_report(exc: BaseException, secrets: Secrets) -> str:
    """What pytest prints for a conformance case that did not pass: our message, never a traceback (a traceback
    prints each frame's arguments, and those hold keys); keys masked."""
    if isinstance(exc, ConformanceFailure):
        return mask_text(str(exc), secrets)
    if isinstance(exc, CaseError):
        return exc.report(secrets)
    return HarnessBug(exc).report(secrets)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if call.excinfo is not None and report.failed and _is_case(item):
        harness = item.config.stash.get(HARNESS, None)
        secrets = harness.session.secrets() if harness is not None else ()
        report.longrepr = short_report(call.excinfo.value, secrets)
    return report


def _outcome(report: pytest.TestReport) -> str | None:
    if hasattr(report, "wasxfail"):
        return "xfail" if report.skipped else "xpass"
    if report.when == "call":
        if report.failed and "[XPASS(strict)]" in report.longreprtext:
            return "xpass"
        return {"passed": "pass", "failed": "fail", "skipped": "skip"}[report.outcome]
    if report.skipped:
        return "skip"
    if report.failed:
        return "error"
    return None


def _message(report: pytest.TestReport) -> str:
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    if report.failed and isinstance(report.longrepr, str):  # ours (short_report): its first line
        first = report.longrepr.strip().splitlines()[0] if report.longrepr.strip() else "failed"
        return first.removeprefix("error: ")
    if report.failed:
        lines = report.longreprtext.strip().splitlines()
        first = next(
            (line.removeprefix("E   ").strip() for line in lines if line.startswith("E ")),
            lines[-1] if lines else "failed",
        )
        return EXCEPTION_PREFIX.sub("", first, count=1)
    return ""


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


class Reporter:
    """Turns pytest's reports of conformance cases into result records and writes them as they arrive.

    Without pytest-xdist (or on its controller) it owns the results file: rewritten now and then, marked
    incomplete, and merged with the workers' part files at the end. An xdist worker appends its records to its
    part file and hands its live-traffic counts to the controller through ``workeroutput``.
    """

    def __init__(self, session: Session, worker: str | None = None) -> None:
        self.session = session
        self.worker = worker
        self.active: dict[str, Case | Finding | Replayed] = {}
        self.progress = Progress()
        self.worker_usage: list[dict[str, dict[str, Any]]] = []
        self.crashed = False
        self.slot_folder: Path | None = None
        self.previous_sigterm: Any = None
        self.terminal: Any = None  # pytest's terminal reporter, once the session starts
        path = session.settings.results_path
        self.journal = Journal(part_path(path, worker)) if path is not None and worker else None
        self.writer = ResultsWriter(path) if path is not None and not worker else None
        if self.writer is not None:
            clear_parts(self.writer.path)
            self.writer.write(session.run, incomplete=True)
            self._catch_sigterm()

    def _catch_sigterm(self) -> None:
        """A CI time-out's SIGTERM becomes an interrupt, so the results file is still written (incomplete)."""
        if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
            self.previous_sigterm = signal.signal(signal.SIGTERM, _interrupt)

    def pytest_unconfigure(self) -> None:
        if self.previous_sigterm is not None:
            signal.signal(signal.SIGTERM, self.previous_sigterm)

    @pytest.hookimpl(tryfirst=True)  # before the fixtures' setup, where a case's probe runs (and may raise)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "conformance_case" in callspec.params:
            self.active[item.nodeid] = callspec.params["conformance_case"]
        if callspec is not None and "conformance_finding" in callspec.params:
            self.active[item.nodeid] = callspec.params["conformance_finding"]

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self._record(report)
        if report.when == "teardown" and not self.worker and self.progress.finished(report.nodeid):
            self._say(self.progress.line())
        if self.writer is not None:
            self.writer.maybe_write(self.session.run)

    def _record(self, report: pytest.TestReport) -> None:
        case = self.active.get(report.nodeid)
        outcome = _outcome(report) if case is not None else None
        if case is None or outcome is None:
            return
        if isinstance(case, Finding | Replayed):
            self.session.run.records.append(record_of(case, outcome, _message(report)))
        else:
            self.session.record(report.nodeid, case, outcome, _message(report))
        del self.active[report.nodeid]
        if self.journal is not None:
            self.journal.append(self.session.run.records[-1])

    def _say(self, line: str) -> None:
        if self.terminal is not None and self.session.settings.live:
            self.terminal.write_line(line)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.terminal = session.config.pluginmanager.get_plugin("terminalreporter")

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.progress.collected(item.nodeid for item in session.items)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        self.progress.collected(ids)

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """xdist controller: one folder of slot lock files, so the concurrency bound holds across workers."""
        if self.slot_folder is None:
            self.slot_folder = Path(tempfile.mkdtemp(prefix="conformance-slots-"))
        node.workerinput["conformance_slots"] = str(self.slot_folder)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        output = getattr(node, "workeroutput", None) or {}
        usage = output.get("conformance_usage")
        if isinstance(usage, dict):
            self.worker_usage.append(usage)
        if error is not None or output.get("shouldstop") or output.get("shouldfail"):
            self.crashed = True

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        run = self.session.run
        if self.worker:
            workeroutput: dict[str, Any] = getattr(session.config, "workeroutput", {})
            workeroutput["conformance_usage"] = self.session.traffic.usage()
            if self.journal is not None:
                self.journal.close()
            return
        usage = merge_usage([self.session.traffic.usage(), *self.worker_usage])
        run.usage = usage_report(usage, self.session.traffic.limits())
        run.finished = now()
        stopped = bool(session.shouldstop or session.shouldfail) or exitstatus == pytest.ExitCode.INTERRUPTED
        if self.writer is not None:
            self.writer.finish(run, incomplete=stopped or self.crashed)
        if self.slot_folder is not None:
            shutil.rmtree(self.slot_folder, ignore_errors=True)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.worker or not self.session.settings.live:
            return
        lines = summary_lines(self.session.run.usage, self.session.traffic.limits())
        if lines:
            terminalreporter.write_sep("-", "conformance live traffic")
            for line in lines:
                terminalreporter.write_line(line)
