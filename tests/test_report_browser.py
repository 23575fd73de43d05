"""The report page in a real headless browser: Debian's chromium driven by Playwright for Python.

Skips (saying how to install them) when chromium or playwright is missing; `.ci/run` installs both.
Refresh the README's screenshot with ``CONFORMANCE_UPDATE_SCREENSHOT=1 pytest tests/test_report_browser.py``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from conformance.report import render_report
from conformance.report.model import claim_docs_from_specs
from conformance.report.synthetic import record, results_doc, synthetic_results
from conformance.spec.loader import load_specs
from tests.report_data import HOSTILE, imported_evidence

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CONFORMANCE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
INSTALL = (
    "install Debian's browser with `apt-get install -y chromium` and the driver with "
    "`pip install -e '.[test]'` (playwright); never `playwright install`, its download cannot work here"
)
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IMPORTED = imported_evidence("Apache-2.0")


@dataclass
class Tab:
    page: Any
    problems: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def open(self, path: Path, fragment: str = "") -> None:
        self.page.goto(path.resolve().as_uri() + fragment)
        self.wait("document.getElementById('shown').textContent !== ''")

    def expand(self, cell: Any) -> None:
        """Open a cell and wait for its contents (they are built when the ``toggle`` event arrives)."""
        cell.locator("summary").first.click()
        cell.locator("details[data-filled]").first.wait_for()

    def wait(self, expression: str, seconds: float = 10) -> None:
        """Poll ``expression`` (``wait_for_function`` evaluates strings, which the page's CSP forbids)."""
        for _ in range(int(seconds * 20)):
            if self.page.evaluate(expression):
                return
            self.page.wait_for_timeout(50)
        raise AssertionError(f"still false after {seconds}s: {expression}")

    def shown_rows(self) -> int:
        count: int = self.page.evaluate(
            "Array.from(document.querySelectorAll('#m tbody tr:not(.grp)')).filter(tr => !tr.hidden && !tr.parentElement.hidden).length"
        )
        return count


def _missing(reason: str) -> None:
    if os.environ.get("CONFORMANCE_REQUIRE_BROWSER"):  # set by .ci/run, which installs both
        pytest.fail(f"{reason} (CONFORMANCE_REQUIRE_BROWSER is set)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright import sync_api
    except ImportError:
        _missing(f"playwright is not installed: {INSTALL}")
    if not Path(CHROMIUM).exists():
        _missing(f"no chromium at {CHROMIUM}: {INSTALL}")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def tab(browser: Any) -> Iterator[Tab]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = Tab(context.new_page())

    def route(route: Any) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            tab.requests.append(route.request.url)
            route.abort()

    context.route("**/*", route)
    tab.page.on(
        "console", lambda m: tab.problems.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None
    )
    tab.page.on("pageerror", lambda e: tab.problems.append(f"page error: {e}"))
    yield tab
    context.close()


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    records = [
        record("openai.request.temperature", "pass", evidence=IMPORTED, variant="imported#0"),
        record(
            "openai.response.id",
            "fail",
            message=f"response.id missing; came back {HOSTILE}",
            evidence=IMPORTED,
            observed={"calls": [{"label": "POST /v1/chat/completions", "status": 200}], "body": HOSTILE},
            values={"temperature": HOSTILE},
        ),
        record("openai.platform.sdk", "skip", testable=False, message="not testable: no probe for the console"),
        record("gemini-openai.request.temperature", "skip", message="no recording: run it live"),
        record("gemini-openai.header.x-request-id", "xfail", message="header missing", evidence=IMPORTED),
    ]
    path = tmp_path / "results.json"
    path.write_text(json.dumps(results_doc(records)), encoding="utf-8")
    return render_report([path], tmp_path / "out").html


def test_page_loads_with_no_console_errors_and_no_network_requests(tab: Tab, sample: Path) -> None:
    tab.open(sample)
    tab.expand(tab.page.locator("#claim-openai\\.request\\.temperature"))
    assert tab.problems == []
    assert tab.requests == []
    assert tab.page.inner_text("#shown") == "4 of 4 claims shown"


def test_filters_change_what_is_shown(tab: Tab, sample: Path) -> None:
    tab.open(sample)
    assert tab.shown_rows() == 4
    tab.page.select_option("#f-outcome", "failing")
    assert tab.shown_rows() == 1
    assert tab.page.is_visible("#claim-openai\\.response\\.id")
    tab.page.select_option("#f-outcome", "")
    tab.page.select_option("#f-provider", "gemini-openai")
    assert tab.shown_rows() == 2
    assert not tab.page.is_visible('#m thead th[data-p="openai"]')
    tab.page.select_option("#f-provider", "")
    tab.page.select_option("#f-location", "platform")
    assert tab.shown_rows() == 1
    tab.page.select_option("#f-location", "")
    tab.page.select_option("#f-evidence", "none")
    assert tab.shown_rows() == 2  # platform.sdk (not testable) and gemini-openai's temperature
    tab.page.select_option("#f-evidence", "")
    tab.page.fill("#f-text", "x-request")
    tab.wait("document.getElementById('shown').textContent.startsWith('1 of')")
    assert tab.shown_rows() == 1
    tab.page.fill("#f-text", "no such claim anywhere")
    tab.page.wait_for_selector("#empty", state="visible")
    assert tab.problems == []


def test_expanding_a_cell_shows_its_evidence(tab: Tab, sample: Path) -> None:
    tab.open(sample)
    cell = tab.page.locator("#claim-openai\\.response\\.id")
    tab.expand(cell)
    text = cell.inner_text()
    for expected in (
        "documented: supported",
        "response.id missing",
        "request sent",
        "POST /v1/chat/completions",
        "what came back",
        "someone/project/cassettes/abc.yaml",
        "licence Apache-2.0",
        "https://synthetic.invalid/docs",
    ):
        assert expected in text
    link = cell.locator("a", has_text="someone/project")
    assert link.get_attribute("href") == "https://github.com/someone/project/blob/1234567890abcdef/cassettes/abc.yaml"


def test_recorded_markup_is_shown_as_text_and_never_runs(tab: Tab, sample: Path) -> None:
    tab.open(sample)
    cell = tab.page.locator("#claim-openai\\.response\\.id")
    tab.expand(cell)
    assert '<img src=x onerror="window.__pwned=1">' in cell.inner_text()
    tab.page.wait_for_timeout(100)
    assert tab.page.evaluate("window.__pwned === undefined")
    assert tab.page.evaluate("document.images.length") == 0
    assert tab.page.evaluate("document.scripts.length") == 2


def test_a_claims_anchor_scrolls_to_it_and_opens_it(tab: Tab, tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_text(json.dumps(synthetic_results(2000, providers=4)), encoding="utf-8")
    html = render_report([path], tmp_path / "out").html
    claim = "synthetic-2.endpoint.field_00446"
    tab.open(html, f"#claim-{claim}")
    cell = tab.page.locator(f"#claim-{claim.replace('.', chr(92) + '.')}")
    assert cell.locator("details").get_attribute("open") is not None
    assert tab.page.evaluate(
        "id => { const r = document.getElementById(id).getBoundingClientRect(); return r.top >= 0 && r.top < innerHeight / 2; }",
        f"claim-{claim}",
    )
    assert claim in cell.inner_text()
    # a shared link still finds a claim the current filters hide
    tab.page.select_option("#f-provider", "synthetic-0")
    tab.page.evaluate("location.hash = '#claim-synthetic-3.error.field_00005'")
    tab.wait("document.getElementById('f-provider').value === ''")
    assert tab.page.is_visible("#claim-synthetic-3\\.error\\.field_00005")
    assert tab.problems == []


def test_ten_thousand_results_stay_usable(tab: Tab, tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_text(json.dumps(synthetic_results(10_000)), encoding="utf-8")
    tab.open(render_report([path], tmp_path / "out").html)
    total = tab.shown_rows()
    tab.page.select_option("#f-outcome", "failing")
    assert 0 < tab.shown_rows() < total
    tab.expand(tab.page.locator("#m td[data-b='failing']").first)
    assert "synthetic fail" in tab.page.locator("#m details[open]").first.inner_text() or "synthetic error" in (
        tab.page.locator("#m details[open]").first.inner_text()
    )
    assert tab.problems == []
    assert tab.requests == []


@pytest.fixture
def dated_sample(tmp_path: Path) -> Path:
    """One claim whose imported recordings disagree across days, one whose recordings agree."""

    def on(day: str, how: str = "date-header") -> dict[str, Any]:
        return IMPORTED | {"recorded_on": day, "recorded_on_from": how}

    claim = "anthropic.header.anthropic-organization-id"
    records = [
        record(
            claim, "xfail", message="absent from a recording that kept 9 response headers", evidence=on("2024-04-03")
        ),
        record(claim, "pass", evidence=on("2025-10-09")),
        record(claim, "pass", evidence=on("2026-03-12", "commit")),
        record("anthropic.header.request-id", "pass", evidence=on("2025-10-09")),
    ]
    path = tmp_path / "results.json"
    path.write_text(json.dumps(results_doc(records)), encoding="utf-8")
    return render_report([path], tmp_path / "out").html


def test_dates_and_a_change_over_time_show_in_the_cell_and_filter(tab: Tab, dated_sample: Path) -> None:
    tab.open(dated_sample)
    cell = tab.page.locator("#claim-anthropic\\.header\\.anthropic-organization-id")
    summary = cell.locator("summary").inner_text()
    assert "2024-04 to 2026-03" in summary
    assert "⇄ changed 2024-04 → 2025-10" in summary
    assert tab.page.locator("#claim-anthropic\\.header\\.request-id summary").inner_text().count("2025-10") == 1
    tab.page.select_option("#f-outcome", "drift")
    assert tab.shown_rows() == 1
    assert tab.page.is_visible("#claim-anthropic\\.header\\.anthropic-organization-id")
    tab.page.select_option("#f-outcome", "")
    assert tab.shown_rows() == 2
    tab.expand(cell)
    text = cell.inner_text()
    assert "Evidence recorded over 2024-04 to 2026-03." in text
    assert "Changed over time: changed between 2024-04 and 2025-10: failed until 2024-04, passes from 2025-10" in text
    assert "recorded on\n2024-04-03 (the response's Date header)" in text
    assert "2026-03-12 or before (the date of the source commit" in text
    assert tab.problems == []
    assert tab.requests == []


@pytest.fixture(scope="module")
def real_offline_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The offline conformance run (imported evidence and skips): real data, never the fakes."""
    out = tmp_path_factory.mktemp("offline") / "results.json"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-m",
            "conformance",
            "-q",
            "-p",
            "no:cacheprovider",
            "--conformance-json",
            str(out),
            "tests/test_conformance.py",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.is_file(), run.stdout[-2000:] + run.stderr[-2000:]
    return out


def test_screenshot_of_the_real_offline_report(
    tab: Tab, real_offline_results: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "reports").mkdir()
    shutil.copyfile(real_offline_results, tmp_path / "reports" / "results.json")
    monkeypatch.chdir(tmp_path)  # the page names the file as `nox -s conformance` would: reports/results.json
    docs = claim_docs_from_specs(load_specs().specs)  # what `conformance report` adds: the doc quotes
    html = render_report([Path("reports/results.json")], Path("reports"), docs).html
    tab.open(html)
    tab.page.select_option("#f-location", "response")
    tab.page.select_option("#f-evidence", "imported")
    tab.page.set_viewport_size({"width": 1600, "height": 1100})
    tab.expand(tab.page.locator("#claim-openai\\.response\\.choices"))
    tab.page.evaluate("window.scrollTo(0, 0)")
    shot = tmp_path / "report.png"
    tab.page.screenshot(path=str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert tab.problems == []
    assert tab.requests == []
    # the one claim whose real recordings changed over time: anthropic-organization-id, absent in April 2024
    tab.page.select_option("#f-location", "")
    tab.page.select_option("#f-evidence", "")
    tab.page.select_option("#f-outcome", "drift")
    assert tab.shown_rows() >= 1
    drifted = tab.page.locator("#claim-anthropic\\.header\\.anthropic-organization-id summary").inner_text()
    assert "⇄ changed 2024-" in drifted  # the last recording without it is of 2024, the first with it of 2025
    if os.environ.get("CONFORMANCE_UPDATE_SCREENSHOT"):
        shutil.copyfile(shot, ROOT / "docs" / "report.png")
