"""``conformance audit`` and the imported cases: real recordings judged against the specs, passively.

The real recordings are those shipped in ``cassettes/imported`` (copied from ../shared/realtraffic with their
SOURCES.md); the hand-written ones below are small inputs written to ``tmp_path`` to pin one behaviour each.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from conformance import cli
from conformance.audit import audit, outcome_of
from conformance.results import results_schema
from conformance.spec.loader import load_specs

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]
IMPORTED = ROOT / "cassettes" / "imported"
SPECS = load_specs(()).specs


def vcrpy(
    url: str, request_body: dict[str, object], status: int, response_body: dict[str, object], **headers: str
) -> str:
    """A one-interaction VCR.py cassette (JSON bodies)."""
    response_headers = "".join(f"      {k.replace('_', '-')}:\n      - '{v}'\n" for k, v in headers.items())
    return f"""\
interactions:
- request:
    body: '{json.dumps(request_body)}'
    headers:
      Content-Type:
      - application/json
    method: POST
    uri: {url}
  response:
    body:
      string: '{json.dumps(response_body)}'
    headers:
      Content-Type:
      - application/json
{response_headers}    status:
      code: {status}
      message: X
version: 1
"""


CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]}


def completion(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }
    body.update(overrides)
    return body


def test_the_shipped_recordings_audit_without_warnings_and_with_attribution(tmp_path: Path) -> None:
    out = tmp_path / "audit.json"
    assert cli.main(["audit", str(IMPORTED), "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    jsonschema.validate(result, results_schema())
    records = result["results"]
    assert len({r["evidence"]["file"] for r in records}) >= 25
    for record in records:
        evidence = record["evidence"]
        assert evidence["kind"] == "imported"
        assert evidence["repository"]
        assert evidence["commit"]
        assert evidence["license"] in ("MIT", "Apache-2.0")
    assert {r["provider"] for r in records} == {"anthropic", "gemini", "gemini-openai", "openai"}
    assert all(r["outcome"] in ("pass", "skip", "xfail") for r in records), [
        (r["claim"], r["message"][:200]) for r in records if r["outcome"] not in ("pass", "skip", "xfail")
    ]


def test_every_shipped_exchange_is_attributed_to_an_api() -> None:
    result = audit([IMPORTED], SPECS)
    assert result.warnings == []
    assert result.unknown_hosts == []
    assert sum(result.by_api.values()) == result.exchanges > 52


def test_a_failing_claim_fails_only_with_strict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = completion()
    del body["object"]
    (tmp_path / "bad.yaml").write_text(vcrpy("https://api.openai.com/v1/chat/completions", CHAT, 200, body))
    assert cli.main(["audit", str(tmp_path)]) == 0
    assert cli.main(["audit", str(tmp_path), "--strict"]) == 1
    assert "openai.response.object: 1 fail" in capsys.readouterr().out


def test_bad_files_warn_and_the_others_are_still_audited(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "good.yaml").write_text(vcrpy("https://api.openai.com/v1/chat/completions", CHAT, 200, completion()))
    (tmp_path / "truncated.yaml").write_text("interactions:\n- request:\n    body: '{\n")
    (tmp_path / "empty.yml").write_text("")
    (tmp_path / "elsewhere.yaml").write_text(
        vcrpy("https://llm.example.invalid/v1/chat/completions", CHAT, 200, completion())
    )
    out = tmp_path / "out.json"
    assert cli.main(["audit", str(tmp_path), "--json", str(out)]) == 0
    err = capsys.readouterr().err
    assert "truncated.yaml" in err
    assert "empty.yml" in err
    assert "unknown host (not audited)" in err
    assert "llm.example.invalid" in err
    files = {r["evidence"]["file"] for r in json.loads(out.read_text())["results"]}
    assert files == {"good.yaml"}


def test_filtered_and_placeholder_headers_are_unknown_not_evidence(tmp_path: Path) -> None:
    (tmp_path / "filtered.yaml").write_text(
        vcrpy("https://api.openai.com/v1/chat/completions", CHAT, 200, completion(), openai_version="REDACTED")
    )
    findings = {f.claim.id: f for f in audit([tmp_path], SPECS).findings}
    version = findings["openai.header.openai-version"]
    assert outcome_of(version)[0] == "skip"
    assert "placeholder" in version.verdict.message
    dropped = findings["openai.header.x-request-id"]
    assert outcome_of(dropped)[0] == "skip"
    assert "may have dropped" in dropped.verdict.message
    assert outcome_of(findings["openai.response.id"])[0] == "pass"


def test_error_answers_are_judged_by_error_claims_only(tmp_path: Path) -> None:
    error = {
        "error": {"message": "Incorrect API key provided", "type": "invalid_request_error", "code": "invalid_api_key"}
    }
    (tmp_path / "401.yaml").write_text(vcrpy("https://api.openai.com/v1/chat/completions", CHAT, 401, error))
    findings = audit([tmp_path], SPECS).findings
    assert {f.claim.location.value for f in findings} == {"error"}
    assert {f.claim.id: f.verdict.outcome for f in findings}["openai.error.invalid-api-key"] == "pass"


def test_imported_cases_run_in_pytest_with_their_evidence(pytester: pytest.Pytester, tmp_path: Path) -> None:
    folder = pytester.path / "recordings" / "openai"
    folder.mkdir(parents=True)
    shutil.copy(next((IMPORTED / "openai").glob("*test_n_v7*")), folder)
    shutil.copy(IMPORTED / "SOURCES.md", pytester.path / "recordings")
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_imported_cases="from conformance.cases import test_imported  # noqa: F401\n")
    out = tmp_path / "results.json"
    result = pytester.runpytest("-m", "conformance", "--imported", "recordings", "--conformance-json", str(out), "-q")
    result.assert_outcomes(passed=len([r for r in json.loads(out.read_text())["results"] if r["outcome"] == "pass"]))
    records = json.loads(out.read_text())["results"]
    assert records
    assert {r["evidence"]["repository"] for r in records} == {"withmartian/llm-adapters"}
    assert any(r["claim"] == "openai.request.n" for r in records)
