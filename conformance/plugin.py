"""The pytest plugin: options and hooks only; the logic lives in plain modules."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conformance.audit import Audit, Finding, Replayed, audit, record_of
from conformance.config import ConfigError, load_tool_config
from conformance.options import OptionError, add_options, resolve_settings
from conformance.results import Run, now
from conformance.runner import Case, Session, cases_for
from conformance.spec.loader import LoadResult, load_specs
from conformance.spec.model import Claim, Location

SESSION = pytest.StashKey[Session]()
SPECS = pytest.StashKey[LoadResult]()
AUDIT = pytest.StashKey[Audit]()
DEFAULT_IMPORTED = Path("cassettes") / "imported"


def marker_name(provider_id: str) -> str:
    return provider_id.replace("-", "_")


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "conformance: a generated conformance case (one claim, one variant)")
    config.addinivalue_line("markers", "expensive: costs real money; runs only with --conformance-expensive")
    for location in Location:
        config.addinivalue_line("markers", f"{location.value}: conformance cases about {location.value} claims")
    try:
        tool = load_tool_config(Path(str(config.rootpath)))
        settings = resolve_settings(config, tool)
    except (ConfigError, OptionError) as exc:
        raise pytest.UsageError(str(exc)) from exc
    specs = load_specs(settings.specs)
    if specs.problems:
        listing = "\n".join(str(p) for p in specs.problems)
        raise pytest.UsageError(f"spec problems (run `conformance lint` for the full list):\n{listing}")
    known = {s.provider.id for s in specs.specs}
    for name in (*settings.providers, *settings.base_urls, *settings.models):
        if name not in known:
            raise pytest.UsageError(f"unknown provider {name!r}; known: {', '.join(sorted(known))}")
    for spec in specs.specs:
        config.addinivalue_line(
            "markers", f"{marker_name(spec.provider.id)}: conformance cases of {spec.provider.title}"
        )
    session = Session(settings=settings, run=Run(mode="live" if settings.live else "offline"))
    for spec in specs.specs:
        if settings.providers and spec.provider.id not in settings.providers:
            continue
        base = session.base_url(spec)
        session.run.providers[spec.provider.id] = {
            "base_url_host": urlsplit(base).netloc,
            "model": session.model(spec),
            "official": base.rstrip("/") == spec.provider.base_url.rstrip("/"),
        }
    config.stash[SESSION] = session
    config.stash[SPECS] = specs
    imported = settings.imported
    if not imported and (config.rootpath / DEFAULT_IMPORTED).is_dir():
        imported = (config.rootpath / DEFAULT_IMPORTED,)
    chosen = [s for s in specs.specs if not settings.providers or s.provider.id in settings.providers]
    config.stash[AUDIT] = audit(imported, chosen) if imported else Audit()
    config.pluginmanager.register(Reporter(session), "conformance-reporter")


def _marks(claim: Claim) -> list[pytest.MarkDecorator]:
    marks = [pytest.mark.conformance, getattr(pytest.mark, marker_name(claim.provider))]
    marks += [getattr(pytest.mark, claim.location.value), *(getattr(pytest.mark, m) for m in claim.markers)]
    if claim.deviations:
        reason = "; ".join(d.summary for d in claim.deviations)
        marks.append(pytest.mark.xfail(strict=True, reason=f"known deviation: {reason}"))
    return marks


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "conformance_finding" in metafunc.fixturenames:
        result = metafunc.config.stash[AUDIT]
        params = [pytest.param(f, id=f.case_id, marks=_marks(f.claim)) for f in result.findings]
        params += [
            pytest.param(r, id=r.case_id, marks=[pytest.mark.conformance, getattr(pytest.mark, marker_name(r.api))])
            for r in result.replays
        ]
        metafunc.parametrize("conformance_finding", params)
        return
    if "conformance_case" not in metafunc.fixturenames:
        return
    session = metafunc.config.stash[SESSION]
    wants_async = metafunc.function.__name__.endswith("_async")
    params = []
    for spec in metafunc.config.stash[SPECS].specs:
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
    return request.config.stash[AUDIT]


@pytest.fixture
def conformance_session(request: pytest.FixtureRequest) -> Session:
    """The run's conformance state (settings, records)."""
    return request.config.stash[SESSION]


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
    if report.failed:
        lines = report.longreprtext.strip().splitlines()
        return next(
            (line.removeprefix("E   ").strip() for line in lines if line.startswith("E ")),
            lines[-1] if lines else "failed",
        )
    return ""


class Reporter:
    """Turns pytest's reports of conformance cases into result records, then writes the results file."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.active: dict[str, Case | Finding | Replayed] = {}

    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "conformance_case" in callspec.params:
            self.active[item.nodeid] = callspec.params["conformance_case"]
        if callspec is not None and "conformance_finding" in callspec.params:
            self.active[item.nodeid] = callspec.params["conformance_finding"]

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        case = self.active.get(report.nodeid)
        outcome = _outcome(report) if case is not None else None
        if case is None or outcome is None:
            return
        if isinstance(case, Finding | Replayed):
            self.session.run.records.append(record_of(case, outcome, _message(report)))
        else:
            self.session.record(report.nodeid, case, outcome, _message(report))
        del self.active[report.nodeid]

    def pytest_sessionfinish(self) -> None:
        path = self.session.settings.results_path
        if path is not None:
            self.session.run.finished = now()
            self.session.run.write(path)
