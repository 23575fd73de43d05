"""A run that uses the harness: its settings, specs, session and results writer, built when a conformance case is
first collected (or a harness option is given), and the :class:`Reporter` that turns pytest's reports into result
records. Kept out of :mod:`conformance.pytest.plugin`, which pytest imports in every run of every project the package is
installed in: nothing here is loaded by a run that does not use the harness."""

from __future__ import annotations

import dataclasses
import re
import shutil
import signal
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

import pytest

from conformance.audit.core import Audit, Finding, Replayed, audit, record_of
from conformance.checks.registry import ConformanceFailure
from conformance.errors import UserInputError
from conformance.exchange.model import mask_text
from conformance.exchange.secret import Secrets
from conformance.pytest.config import ConfigError, load_tool_config
from conformance.pytest.options import OptionError, resolve_settings
from conformance.pytest.plugin import marker_name
from conformance.pytest.progress import Progress, summary_lines
from conformance.results.model import Outcome, Run, now
from conformance.run.journal import Journal, ResultsWriter, clear_parts, part_path
from conformance.run.outcomes import CaseError, HarnessBug
from conformance.run.runner import Case, Session
from conformance.run.traffic import merge_usage, traffic_for, usage_report
from conformance.spec.loader import LoadResult, load_specs
from conformance.spec.model import Claim, Spec

DEFAULT_IMPORTED = Path("cassettes") / "imported"
EXCEPTION_PREFIX = re.compile(r"^(?:[\w.]+\.)?(?:ConformanceFailure|ProbeError|AssertionError): ")
"""The exception's class, which pytest puts before the message a result record keeps."""


@dataclass(slots=True)
class Harness:
    """What a run that uses the harness needs: its session (settings, records), specs, and the imported audit."""

    session: Session
    specs: LoadResult
    imported: tuple[Path, ...]
    chosen: list[Spec]
    audit: Audit | None = None


class HarnessError(UserInputError):
    """The harness cannot start: a bad option, ``[tool.conformance]`` or spec; the message says where."""


def set_up(config: pytest.Config) -> Harness:
    """Settings, specs and the results writer of a run that uses the harness (the plugin calls this once, when the
    run first needs it, and keeps the result in its stash); a bad configuration is a :class:`HarnessError`."""
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
    reporter = Reporter(session, workerinput.get("workerid"))
    reporter.terminal = config.pluginmanager.get_plugin("terminalreporter")
    config.pluginmanager.register(reporter, "conformance-reporter")
    return harness


def audit_of(harness: Harness) -> Audit:
    """The audit of the imported recordings, made when first needed: a run that collects no imported case (the
    harness's own tests, ``pytest tests/test_x.py``) does not pay for reading and SDK-replaying them."""
    if harness.audit is None:
        harness.audit = audit(harness.imported, harness.chosen) if harness.imported else Audit()
    return harness.audit


def marks(claim: Claim) -> list[pytest.MarkDecorator]:
    marks = [pytest.mark.conformance, getattr(pytest.mark, marker_name(claim.provider))]
    marks += [getattr(pytest.mark, claim.location.value), *(getattr(pytest.mark, m) for m in claim.markers)]
    if claim.deviations:
        reason = "; ".join(d.summary for d in claim.deviations)
        # raises=: only the claim failing is the expected failure; an error (no verdict) stays an error
        marks.append(pytest.mark.xfail(strict=True, raises=ConformanceFailure, reason=f"known deviation: {reason}"))
    return marks


def is_case(item: pytest.Item) -> bool:
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


def _outcome(report: pytest.TestReport) -> Outcome | None:
    if hasattr(report, "wasxfail"):
        return Outcome.XFAIL if report.skipped else Outcome.XPASS
    if report.when == "call":
        if report.failed and "[XPASS(strict)]" in report.longreprtext:
            return Outcome.XPASS
        return {"passed": Outcome.PASS, "failed": Outcome.FAIL, "skipped": Outcome.SKIP}[report.outcome]
    if report.skipped:
        return Outcome.SKIP
    if report.failed:
        return Outcome.ERROR
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
        self._send_ahead(session)

    def _send_ahead(self, session: pytest.Session) -> None:
        """A live run outside xdist (whose workers run a share of the items each) sends its probes ahead of the
        items, ``--conformance-concurrency`` at a time per provider (:mod:`conformance.run.ahead`)."""
        settings = self.session.settings
        if not settings.live or settings.concurrency < 2 or self.worker or session.config.getoption("collectonly"):
            return
        if getattr(session.config, "workerinput", None) is not None:
            return
        cases = []
        for item in session.items:
            params = getattr(getattr(item, "callspec", None), "params", {})
            if "conformance_case" in params:
                cases.append((item.nodeid, params["conformance_case"]))
        if cases:
            from conformance.run.ahead import Ahead

            self.session.ahead = Ahead(self.session, settings.concurrency)
            self.session.ahead.start(cases)

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
        if self.session.ahead is not None:
            self.session.ahead.stop()
        self.session.close()
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
