"""The report: results files merged into a matrix, rendered to HTML (escaped) and Markdown, from results only."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from conformance.cli.commands import main
from conformance.report import ClaimDoc, ReportError, load_report, render_report
from conformance.report.markdown import md_text
from conformance.report.model import Bucket, Verdict
from conformance.report.synthetic import record, results_doc, synthetic_results
from tests.report_data import HOSTILE, imported_evidence

IMPORTED = imported_evidence("MIT")
GATEWAY = {"kind": "live", "host": "127.0.0.1:4000", "official": False, "request_id": None}


def write(path: Path, doc: dict[str, Any]) -> Path:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def sample(tmp_path: Path) -> Path:
    records = [
        record("openai.request.temperature", "pass", evidence=IMPORTED, variant="imported#0"),
        record("openai.request.temperature", "skip", message="no recording: run it live"),
        record(
            "openai.response.id",
            "fail",
            message=f"response.id was missing; came back {HOSTILE}",
            evidence=IMPORTED,
            observed={"calls": [{"label": "POST /v1/chat/completions", "status": 200}], "body": HOSTILE},
        ),
        record("openai.platform.sdk", "skip", testable=False, message="not testable: no probe for the console"),
        record("openai.request.seed", "xfail", message="seed is ignored (known deviation)", evidence=IMPORTED),
        record("gemini-openai.request.temperature", "pass", evidence=IMPORTED),
        record("gemini-openai.sdk-replay", "pass", location="sdk", field="chat.completions.create"),
    ]
    return write(tmp_path / "results.json", results_doc(records))


def test_records_merge_into_rows_by_statement_and_columns_by_provider(tmp_path: Path) -> None:
    report = load_report([sample(tmp_path)])
    assert [c.provider for c in report.columns] == ["gemini-openai", "openai"]
    temperature = next(r for g in report.groups for r in g.rows if r.key == "request.temperature")
    assert sorted(cell.claim for cell in temperature.cells.values()) == [
        "gemini-openai.request.temperature",
        "openai.request.temperature",
    ]
    openai = report.columns.index(next(c for c in report.columns if c.provider == "openai"))
    assert temperature.cells[openai].verdict is Verdict.PASS  # one variant passed, the other had no evidence
    assert [g.location for g in report.groups] == ["request", "response", "platform", "sdk"]


def test_summary_counts_each_bucket_per_column(tmp_path: Path) -> None:
    report = load_report([sample(tmp_path)])
    openai = [c.provider for c in report.columns].index("openai")
    counts = report.summary()[openai]
    assert counts == {
        Bucket.PASSING: 1,
        Bucket.FAILING: 1,
        Bucket.DEVIATION: 1,
        Bucket.NOT_TESTABLE: 1,
        Bucket.NO_EVIDENCE: 0,
    }


def test_runs_of_two_models_become_two_columns(tmp_path: Path) -> None:
    recs = [record("openai.request.temperature", "pass", evidence=GATEWAY | {"official": True})]
    a = write(
        tmp_path / "a.json", results_doc(recs, {"openai": {"base_url_host": "h", "model": "m1", "official": True}})
    )
    b = write(
        tmp_path / "b.json", results_doc(recs, {"openai": {"base_url_host": "h", "model": "m2", "official": True}})
    )
    report = load_report([a, b])
    assert [report.column_label(i) for i in range(2)] == ["openai · m1", "openai · m2"]
    assert len(report.runs) == 2


def test_another_host_is_labelled_with_that_host_never_as_the_provider(tmp_path: Path) -> None:
    providers = {"openai": {"base_url_host": "127.0.0.1:4000", "model": "m", "official": False}}
    path = write(tmp_path / "r.json", results_doc([record("openai.request.n", "pass", evidence=GATEWAY)], providers))
    out = render_report([path], tmp_path / "out")
    html = out.html.read_text(encoding="utf-8")
    assert "openai · @ 127.0.0.1:4000" in html
    assert 'class="ev ev-host">via 127.0.0.1:4000<' in html
    assert "(not the provider's host)" in html
    assert "127.0.0.1:4000 (not the provider's host)" in out.markdown.read_text(encoding="utf-8")


def test_page_is_self_contained_and_has_one_anchor_per_claim(tmp_path: Path) -> None:
    html = render_report([sample(tmp_path)], tmp_path / "out").html.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html), "nothing may load from the network"
    assert "<link" not in html
    assert html.count('id="claim-openai.request.temperature"') == 1
    assert 'id="claim-openai.platform.sdk"' in html
    assert "Content-Security-Policy" in html


def test_recorded_text_is_escaped_everywhere(tmp_path: Path) -> None:
    out = render_report([sample(tmp_path)], tmp_path / "out")
    html = out.html.read_text(encoding="utf-8")
    assert "window.__pwned" in html  # the text is there ...
    assert html.count("<script") == 2  # ... but only our own two script elements exist
    assert "<img" not in html
    assert '</script>"><img' not in html
    markdown = out.markdown.read_text(encoding="utf-8")
    assert "<script" not in markdown
    assert "<img" not in markdown
    assert "&lt;script&gt;" in markdown


def test_a_javascript_doc_url_never_becomes_a_link(tmp_path: Path) -> None:
    path = write(tmp_path / "r.json", results_doc([record("openai.request.n", doc_url="javascript:alert(1)")]))
    html = render_report([path], tmp_path / "out").html.read_text(encoding="utf-8")
    data = json.loads(re.search(r'<script type="application/json" id="data">(.*?)</script>', html, re.S).group(1))  # type: ignore[union-attr]
    assert data["cells"][0]["u"] == ""


def test_cell_details_carry_quote_request_response_and_attribution(tmp_path: Path) -> None:
    docs = {"openai.response.id": ClaimDoc(quote="A unique identifier for the chat completion.", deviations=("d1",))}
    html = render_report([sample(tmp_path)], tmp_path / "out", docs).html.read_text(encoding="utf-8")
    data = json.loads(re.search(r'<script type="application/json" id="data">(.*?)</script>', html, re.S).group(1))  # type: ignore[union-attr]
    cell = next(c for c in data["cells"] if c["c"] == "openai.response.id")
    assert cell["q"] == "A unique identifier for the chat completion."
    assert cell["d"] == ["d1"]
    _variant, verdict, message, sent, _values, came_back, other, evidence, _run = cell["r"][0]
    assert (verdict, sent) == ("fail", ["POST /v1/chat/completions"])
    assert "response.id was missing" in message
    assert came_back == "POST /v1/chat/completions → HTTP 200"
    assert other["body"] == HOSTILE
    ev = data["evidence"][evidence]
    assert (ev["repository"], ev["license"]) == ("someone/project", "MIT")
    assert ev["link"] == "https://github.com/someone/project/blob/1234567890abcdef/cassettes/abc.yaml"


def test_not_testable_and_no_evidence_say_so_with_the_reason(tmp_path: Path) -> None:
    html = render_report([sample(tmp_path)], tmp_path / "out").html.read_text(encoding="utf-8")
    cell = re.search(r'<td[^>]*id="claim-openai.platform.sdk".*?</td>', html, re.S).group(0)  # type: ignore[union-attr]
    assert "∅ not testable" in cell
    assert "no evidence" in cell
    assert '<small class="why">no probe for the console</small>' in cell


def test_a_could_not_tell_cell_shows_its_reason(tmp_path: Path) -> None:
    """A check that lacked its evidence is "could not tell", with the reason in the cell and in its details."""
    reason = "could not tell: no tool call came back, so whether calls are made one at a time cannot be seen"
    live = {"kind": "live", "host": "api.openai.com", "official": True}
    doc = results_doc([record("openai.request.parallel_tool_calls", "skip", message=reason, evidence=live)])
    html = render_report([write(tmp_path / "r.json", doc)], tmp_path / "out").html.read_text(encoding="utf-8")
    cell = re.search(r'<td[^>]*id="claim-openai.request.parallel_tool_calls".*?</td>', html, re.S).group(0)  # type: ignore[union-attr]
    assert "? could not tell" in cell
    assert '<small class="why">no tool call came back, so whether calls are made one at a time cannot' in cell
    data = json.loads(re.search(r'<script type="application/json" id="data">(.*?)</script>', html, re.S).group(1))  # type: ignore[union-attr]
    records = next(c for c in data["cells"] if c["c"] == "openai.request.parallel_tool_calls")["r"]
    assert [(r[1], r[2]) for r in records] == [("unknown", reason)]


def test_summary_md_lists_the_failing_claims(tmp_path: Path) -> None:
    markdown = render_report([sample(tmp_path)], tmp_path / "out").markdown.read_text(encoding="utf-8")
    assert "| openai | 1 | 1 | 1 | 1 | 0 | 4 |" in markdown
    assert "## Failing claims (1)" in markdown
    assert "`openai.response.id`" in markdown
    assert "response.id was missing" in markdown


def test_md_text_neutralises_markup() -> None:
    assert md_text("a|b [x](javascript:y) *z* <b>") == r"a\|b \[x\](javascript:y) \*z\* &lt;b&gt;"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{", "not JSON"),
        ('{"results_version": 1}', "not a conformance results file"),
        ('{"results_version": 9, "run": {}, "results": []}', "results_version 9"),
        ('{"results_version": 1, "run": {}, "results": [{"claim": "x"}]}', "results[0] lacks"),
    ],
)
def test_bad_results_files_are_named_with_what_to_do(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ReportError, match=re.escape(expected)) as info:
        load_report([path])
    assert str(path) in str(info.value)


def test_cli_report_writes_both_files_and_exits_2_on_a_missing_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", str(sample(tmp_path)), "-o", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "index.html").is_file()
    assert (tmp_path / "out" / "summary.md").is_file()
    assert "openai: 1 passing, 1 failing, 1 known deviations" in capsys.readouterr().out
    assert main(["report", str(tmp_path / "missing.json"), "-o", str(tmp_path / "out")]) == 2
    assert "no such results file" in capsys.readouterr().err


def test_cli_report_quotes_the_docs_of_builtin_specs(tmp_path: Path) -> None:
    path = write(tmp_path / "r.json", results_doc([record("openai.request.temperature")]))
    assert main(["report", str(path), "-o", str(tmp_path / "out")]) == 0
    html = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    data = json.loads(re.search(r'<script type="application/json" id="data">(.*?)</script>', html, re.S).group(1))  # type: ignore[union-attr]
    assert data["cells"][0].get("q"), "the built-in spec's quote for openai.request.temperature"


def test_audit_results_render(tmp_path: Path) -> None:
    out = tmp_path / "audit.json"
    assert main(["audit", "cassettes/imported", "--json", str(out)]) == 0
    report = render_report([out], tmp_path / "out").report
    assert report.runs[0].mode == "imported"
    assert any(cell.verdict is Verdict.PASS for cell in report.cells())


def test_ten_thousand_synthetic_results_render(tmp_path: Path) -> None:
    path = write(tmp_path / "big.json", synthetic_results(10_000))
    report = render_report([path], tmp_path / "out").report
    assert report.record_count() == 10_000
    assert sum(sum(c.values()) for c in report.summary()) == len(list(report.cells()))


def test_an_interrupted_run_is_marked_incomplete(tmp_path: Path) -> None:
    doc = results_doc([record("openai.request.n")])
    doc["run"]["incomplete"] = True
    out = render_report([write(tmp_path / "r.json", doc)], tmp_path / "out")
    assert "⚠ incomplete run" in out.html.read_text(encoding="utf-8")
    assert "**incomplete run**" in out.markdown.read_text(encoding="utf-8")


def dated(day: str, how: str = "date-header") -> dict[str, Any]:
    return IMPORTED | {"recorded_on": day, "recorded_on_from": how}


def test_a_cell_shows_the_days_of_its_evidence_and_flags_a_change_between_them(tmp_path: Path) -> None:
    claim = "anthropic.header.anthropic-organization-id"
    records = [
        record(claim, "xfail", message="absent from a recording that kept 9 headers", evidence=dated("2024-04-03")),
        record(claim, "pass", evidence=dated("2025-10-09")),
        record(claim, "pass", evidence=dated("2026-08-02")),
        record(claim, "skip", message="unknown from this recording", evidence=dated("2025-12-19", "commit")),
        record("anthropic.header.request-id", "pass", evidence=dated("2025-10-09")),
        record("anthropic.header.request-id", "pass", evidence=dated("2025-10-21")),
        record("anthropic.response.id", "pass"),
    ]
    out = render_report([write(tmp_path / "r.json", results_doc(records))], tmp_path / "out")
    cells = {c.claim: c for c in out.report.cells()}
    changed = cells[claim]
    assert changed.span() == "2024-04 to 2026-08"
    drift = changed.drift()
    assert drift is not None
    assert drift.text == "changed between 2024-04 and 2025-10: failed until 2024-04, passes from 2025-10"
    assert drift.short == "changed 2024-04 → 2025-10"
    assert (cells["anthropic.header.request-id"].span(), cells["anthropic.header.request-id"].drift()) == (
        "2025-10",
        None,
    )
    assert (cells["anthropic.response.id"].span(), cells["anthropic.response.id"].drift()) == ("", None)

    html = out.html.read_text(encoding="utf-8")
    cell_html = re.search(r'<td [^>]*id="claim-anthropic\.header\.anthropic-organization-id".*?</td>', html, re.S)
    assert cell_html is not None
    assert "data-d" in cell_html.group(0)
    assert (
        '<small class="when" title="the days its evidence was recorded">2024-04 to 2026-08</small>'
        in cell_html.group(0)
    )
    assert "⇄ changed 2024-04 → 2025-10" in cell_html.group(0)
    assert 'title="changed between 2024-04 and 2025-10: failed until 2024-04, passes from 2025-10"' in cell_html.group(
        0
    )
    other = re.search(r'<td [^>]*id="claim-anthropic\.header\.request-id".*?</td>', html, re.S)
    assert other is not None
    assert "data-d" not in other.group(0)
    assert ">2025-10</small>" in other.group(0)
    data = json.loads(re.search(r'<script type="application/json" id="data">(.*?)</script>', html, re.S).group(1))  # type: ignore[union-attr]
    (blob,) = [c for c in data["cells"] if c["c"] == claim]
    assert (blob["w"], blob["dr"]) == ("2024-04 to 2026-08", drift.text)
    assert {e.get("recorded_on_from") for e in data["evidence"]} == {"date-header", "commit", None}

    markdown = out.markdown.read_text(encoding="utf-8")
    assert "## Changed over time (1): recordings of different days disagree" in markdown
    assert f"| `{claim}` | anthropic | ≠ known deviation | imported (2024-04 to 2026-08) | changed between" in markdown


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        ({"pass": ["2024-06-01"], "fail": ["2025-12-02", "2026-01-05"]}, "changed between 2024-06 and 2025-12: passed"),
        ({"pass": ["2025-03-20"], "fail": ["2025-03-02"]}, "changed between 2025-03-02 and 2025-03-20: failed"),
        (
            {"pass": ["2024-06-01", "2025-06-01"], "fail": ["2025-01-01"]},
            "recordings disagree over 2024-06 to 2025-06: passes on 2024-06-01, 2025-06-01, fails on 2025-01-01",
        ),
        ({"pass": ["2024-06-01"], "error": ["2025-06-01"]}, None),  # an error of ours shows no behaviour
    ],
)
def test_drift_says_which_way_the_behaviour_changed(
    tmp_path: Path, days: dict[str, list[str]], expected: str | None
) -> None:
    records = [
        record("openai.header.x-request-id", outcome, evidence=dated(day)) for outcome, ds in days.items() for day in ds
    ]
    (cell,) = load_report([write(tmp_path / "r.json", results_doc(records))]).cells()
    drift = cell.drift()
    if expected is None:
        assert drift is None
    else:
        assert drift is not None
        assert drift.text.startswith(expected)


def test_a_live_record_is_dated_by_its_run(tmp_path: Path) -> None:
    live = {"kind": "live", "host": "api.openai.com", "official": True, "request_id": "req_1"}
    doc = results_doc([record("openai.header.x-request-id", "fail", evidence=live, message="missing")])
    doc["run"]["started"] = "2026-11-30T10:00:00+00:00"
    old = results_doc([record("openai.header.x-request-id", "pass", evidence=dated("2025-04-08"))])
    report = load_report([write(tmp_path / "live.json", doc), write(tmp_path / "old.json", old)])
    (cell,) = report.cells()
    assert cell.span() == "2025-04 to 2026-11"
    drift = cell.drift()
    assert drift is not None
    assert drift.short == "changed 2025-04 → 2026-11"
