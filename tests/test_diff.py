"""conformance diff: what changed between two results files, and exit 1 when a claim newly fails."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conformance.cli.commands import main
from conformance.report.diff import diff_files, render_html, render_markdown, render_text
from conformance.report.synthetic import record, results_doc

LIVE = {"kind": "live", "host": "api.openai.com", "official": True, "request_id": "req_1"}


def write(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps(results_doc(records)), encoding="utf-8")
    return path


def error_record(status: int) -> dict[str, Any]:
    observed = {"calls": [{"label": "POST /v1/chat/completions", "status": status, "attempts": 1, "sdk_error": None}]}
    return record("openai.error.bad_request", "pass", evidence=LIVE, observed=observed)


@pytest.fixture
def runs(tmp_path: Path) -> tuple[Path, Path]:
    old = write(
        tmp_path / "old.json",
        [
            record("openai.request.temperature", "pass", evidence=LIVE),
            record("openai.request.seed", "fail", evidence=LIVE, message="seed ignored"),
            record("openai.request.n", "pass", evidence=LIVE),
            record("openai.request.stop", "skip", message="no recording"),
            record("openai.request.top_p", "pass", evidence=LIVE, status="supported"),
            record("openai.request.gone", "pass", evidence=LIVE),
            error_record(400),
        ],
    )
    new = write(
        tmp_path / "new.json",
        [
            record("openai.request.temperature", "fail", evidence=LIVE, message="<b>temperature</b> ignored"),
            record("openai.request.seed", "pass", evidence=LIVE),
            record("openai.request.n", "skip", message="no recording"),
            record("openai.request.stop", "pass", evidence=LIVE),
            record("openai.request.top_p", "pass", evidence=LIVE, status="ignored"),
            record("openai.request.fresh", "pass", evidence=LIVE),
            error_record(422),
        ],
    )
    return old, new


def test_each_kind_of_change_is_found(runs: tuple[Path, Path]) -> None:
    diff = diff_files([runs[0]], [runs[1]])
    assert [c.claim for c in diff.newly_failing] == ["openai.request.temperature"]
    assert [c.claim for c in diff.newly_passing] == ["openai.request.seed"]
    assert [c.claim for c in diff.lost_evidence] == ["openai.request.n"]
    assert [c.claim for c in diff.new_evidence] == ["openai.request.stop"]
    assert [(c.claim, c.detail) for c in diff.status_changes] == [
        ("openai.request.top_p", "documented supported → ignored")
    ]
    assert [c.claim for c in diff.shape_changes] == ["openai.error.bad_request"]
    assert '"status":400' in diff.shape_changes[0].detail
    assert '"status":422' in diff.shape_changes[0].detail
    assert [c.claim for c in diff.added] == ["openai.request.fresh"]
    assert [c.claim for c in diff.removed] == ["openai.request.gone"]
    assert diff.regressed


def test_same_file_is_no_change(runs: tuple[Path, Path]) -> None:
    diff = diff_files([runs[0]], [runs[0]])
    assert diff.empty()
    assert not diff.regressed
    assert "no regressions" in render_text(diff)


def test_renderings_escape_recorded_text(runs: tuple[Path, Path], tmp_path: Path) -> None:
    old = write(tmp_path / "o.json", [record("openai.request.x", "pass", evidence=LIVE)])
    new = write(
        tmp_path / "n.json", [record("openai.request.x", "fail", evidence=LIVE, status="<script>alert(1)</script>")]
    )
    diff = diff_files([old], [new])
    html = render_html(diff)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in render_markdown(diff)


def test_cli_exits_1_on_regression_and_writes_markdown_and_html(
    runs: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    md, html = tmp_path / "d" / "diff.md", tmp_path / "d" / "diff.html"
    assert main(["diff", str(runs[0]), str(runs[1]), "--markdown", str(md), "--html", str(html)]) == 1
    out = capsys.readouterr().out
    assert "Newly failing (1):" in out
    assert "openai.request.temperature [openai]: ✔ passes → ✘ fails" in out
    assert "## Newly failing (1)" in md.read_text(encoding="utf-8")
    assert 'id="newly-failing"' in html.read_text(encoding="utf-8")


def test_cli_exits_0_when_nothing_regressed(runs: tuple[Path, Path]) -> None:
    assert main(["diff", str(runs[1]), str(runs[1])]) == 0


def test_cli_exits_2_on_a_bad_file(runs: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", str(runs[0]), str(tmp_path / "nope.json")]) == 2
    assert "nope.json: no such results file" in capsys.readouterr().err


def test_a_model_change_compares_claim_by_claim(tmp_path: Path) -> None:
    def doc(model: str, outcome: str) -> dict[str, Any]:
        providers = {"openai": {"base_url_host": "api.openai.com", "model": model, "official": True}}
        return results_doc([record("openai.request.n", outcome, evidence=LIVE)], providers)

    (tmp_path / "a.json").write_text(json.dumps(doc("m1", "pass")), encoding="utf-8")
    (tmp_path / "b.json").write_text(json.dumps(doc("m2", "fail")), encoding="utf-8")
    diff = diff_files([tmp_path / "a.json"], [tmp_path / "b.json"])
    assert [c.claim for c in diff.newly_failing] == ["openai.request.n"]
    assert not diff.added
    assert not diff.removed
