"""What an imported recording says beyond its bodies: graded absence of headers, error claims matched on what the
doc ties them to, the day each exchange was recorded, and deviations seen in one recording.

The recordings here are hand-written to ``tmp_path`` (one behaviour each); the shipped ones are in
``cassettes/imported``.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from conformance.audit.absence import KNOWN_RECORDERS, absence_message, near_names, unknown_reason
from conformance.audit.core import DatedBy, Finding, audit, deviations_bearing_on, outcome_of, recorded_on
from conformance.audit.passive import judge
from conformance.cli import commands as cli
from conformance.exchange.model import Attempt, RecordedRequest, RecordedResponse
from conformance.recordings import Interaction, read_sources
from conformance.results.model import results_schema
from conformance.spec.loader import load_specs
from conformance.spec.model import Claim, Sdk

ROOT = Path(__file__).resolve().parents[1]
IMPORTED = ROOT / "cassettes" / "imported"
SPECS = load_specs(()).specs
CLAIMS = {claim.id: claim for spec in SPECS for claim in spec.claims}

OPENAI_CHAT = "https://api.openai.com/v1/chat/completions"
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]}
COMPLETION = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1,
    "model": "gpt-4o-mini",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
}
KEPT = {  # what api.openai.com sends with a chat completion, as a recorder that keeps headers writes it down
    "Date": "Tue, 08 Apr 2025 10:00:00 GMT",
    "Content-Type": "application/json",
    "openai-organization": "user-canary",
    "openai-processing-ms": "312",
    "openai-version": "2020-10-01",
    "x-ratelimit-limit-requests": "10000",
    "x-ratelimit-limit-tokens": "200000",
    "x-ratelimit-remaining-requests": "9999",
    "x-ratelimit-remaining-tokens": "199990",
    "x-ratelimit-reset-requests": "6ms",
    "x-ratelimit-reset-tokens": "3ms",
    "x-request-id": "req_fake0001",
    "cf-ray": "8ef-FRA",
    "server": "cloudflare",
}


def cassette(url: str, status: int, body: object, headers: dict[str, str], request: object = CHAT) -> str:
    """A one-interaction VCR.py cassette with exactly ``headers`` as the recorded response headers."""
    lines = "".join(f"      {name}:\n      - {json.dumps(value)}\n" for name, value in headers.items())
    lines = lines or "      {}\n"
    return (
        "interactions:\n- request:\n"
        f"    body: {json.dumps(json.dumps(request))}\n"
        "    headers:\n      Content-Type:\n      - application/json\n"
        f"    method: POST\n    uri: {url}\n"
        f"  response:\n    body:\n      string: {json.dumps(json.dumps(body))}\n"
        f"    headers:\n{lines}"
        f"    status:\n      code: {status}\n      message: X\nversion: 1\n"
    )


def findings_of(tmp_path: Path, text: str, name: str = "rec.yaml") -> dict[str, Finding]:
    (tmp_path / name).write_text(text)
    return {f.claim.id: f for f in audit([tmp_path], SPECS, sdk_replay=False).findings}


def without(*names: str, **extra: str) -> dict[str, str]:
    return {k: v for k, v in KEPT.items() if k not in names} | extra


# --- 1. graded absence -------------------------------------------------------------------------------------------


def test_a_header_absent_from_a_recording_that_kept_the_headers_fails_and_names_them(tmp_path: Path) -> None:
    findings = findings_of(tmp_path, cassette(OPENAI_CHAT, 200, COMPLETION, without("x-request-id")))
    finding = findings["openai.header.x-request-id"]
    assert outcome_of(finding)[0] == "fail"
    message = finding.verdict.message
    assert "x-request-id is absent from a recording that kept 13 response headers" in message
    assert "(cf-ray, content-type, date, openai-organization, openai-processing-ms" in message
    assert "near name" not in message
    assert outcome_of(findings["openai.header.x-ratelimit-limit-requests"])[0] == "pass"


@pytest.mark.parametrize(
    ("claim", "drop", "stand_in", "value"),
    [
        ("openai.header.x-request-id", "x-request-id", "request-id", "req_fake0002"),  # x- dropped
        ("openai.header.openai-processing-ms", "openai-processing-ms", "x-openai-processing-ms", "12"),  # x- added
        ("openai.header.x-ratelimit-limit-requests", "x-ratelimit-limit-requests", "x-ratelimit-limit", "60"),
        ("openai.header.x-ratelimit-reset-tokens", "x-ratelimit-reset-tokens", "ratelimit-reset", "3"),
    ],
)
def test_a_header_of_a_near_name_standing_in_is_named(
    tmp_path: Path, claim: str, drop: str, stand_in: str, value: str
) -> None:
    findings = findings_of(tmp_path, cassette(OPENAI_CHAT, 200, COMPLETION, without(drop, **{stand_in: value})))
    finding = findings[claim]
    assert outcome_of(finding)[0] == "fail"
    assert f"a header of a near name is there instead: {stand_in}: {value}" in finding.verdict.message


def test_anthropic_rate_limit_names_are_near_the_openai_ones() -> None:
    headers = {
        "anthropic-ratelimit-requests-limit": "50",
        "anthropic-ratelimit-input-tokens-limit": "40000",
        "anthropic-ratelimit-requests-remaining": "49",
        "x-ratelimit-limit-tokens": "1",
    }
    assert near_names("x-ratelimit-limit-requests", headers) == ["anthropic-ratelimit-requests-limit"]
    assert near_names("x-ratelimit-remaining-requests", headers) == ["anthropic-ratelimit-requests-remaining"]
    assert near_names("request-id", {"x-request-id": "a", "cf-request-id": "b", "x-requestid": "c"}) == ["x-request-id"]
    assert near_names("content-type", {"x-content-type-options": "nosniff"}) == []  # only rate-limit names lose a word
    assert near_names("x-ratelimit-limit-tokens", {"x-ratelimit-limit-requests": "1"}) == []
    assert "near name" in absence_message("x-ratelimit-limit-requests", headers)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, "the recording kept no response headers"),
        (without("Date", "x-request-id"), "but not Date, which every HTTP server sends"),
        ({"Date": KEPT["Date"], "Content-Type": "application/json"}, "kept only 2 response header(s)"),
    ],
)
def test_absence_stays_unknown_where_the_recorder_kept_no_or_a_filtered_set(
    tmp_path: Path, headers: dict[str, str], expected: str
) -> None:
    findings = findings_of(tmp_path, cassette(OPENAI_CHAT, 200, COMPLETION, headers))
    finding = findings["openai.header.x-request-id"]
    assert outcome_of(finding)[0] == "skip"
    assert expected in finding.verdict.message
    assert "not evidence of absence" in finding.verdict.message


def test_a_recorder_known_to_drop_a_header_by_name_or_prefix_leaves_it_unknown() -> None:
    headers = {k.lower(): v for k, v in without("x-request-id").items()}
    attempt = Attempt(
        RecordedRequest("POST", OPENAI_CHAT, {"content-type": "application/json"}, json.dumps(CHAT)),
        RecordedResponse(200, headers, json.dumps(COMPLETION)),
        None,
        0.0,
    )
    claim = CLAIMS["openai.header.x-request-id"]
    assert judge(claim, Sdk.OPENAI, attempt).outcome == "fail"  # type: ignore[union-attr]
    chatlas = judge(claim, Sdk.OPENAI, attempt, "posit-dev/chatlas")
    assert chatlas is not None
    assert chatlas.outcome == "unknown"
    assert "drops x-request-id by name (posit-dev/chatlas: tests/conftest.py" in chatlas.message
    reason = unknown_reason("x-request-id", headers, "pydantic/pydantic-ai")
    assert reason is not None
    assert "drops x-request-id by its prefix (pydantic/pydantic-ai" in reason
    assert unknown_reason("x-request-id", headers, "someone/else") is None
    assert all(recorder.where for recorder in KNOWN_RECORDERS.values())


def test_an_always_empty_header_absent_from_a_full_recording_passes(tmp_path: Path) -> None:
    url = "https://api.anthropic.com/v1/chat/completions"
    findings = findings_of(tmp_path, cassette(url, 200, COMPLETION, without("openai-processing-ms")))
    assert outcome_of(findings["anthropic-openai.header.openai-processing-ms"])[0] == "pass"
    constant = findings["anthropic-openai.header.openai-version"]
    assert outcome_of(constant)[0] == "pass"


def test_a_constant_header_absent_from_a_full_recording_fails_with_the_kept_headers(tmp_path: Path) -> None:
    findings = findings_of(tmp_path, cassette(OPENAI_CHAT, 200, COMPLETION, without("openai-version")))
    finding = findings["openai.header.openai-version"]
    assert outcome_of(finding)[0] == "fail"
    assert "should always be '2020-10-01', got None" in finding.verdict.message
    assert "absent from a recording that kept 13 response headers" in finding.verdict.message


# --- 2. error claims matched on status and type/code --------------------------------------------------------------

RATE_LIMITED = {
    "error": {
        "message": "Rate limit reached for gpt-4o-mini on requests per min (RPM): Limit 3, Used 3, Requested 1.",
        "type": "requests",
        "param": None,
        "code": "rate_limit_exceeded",
    }
}
NO_QUOTA = {
    "error": {
        "message": "You exceeded your current quota, please check your plan and billing details.",
        "type": "insufficient_quota",
        "param": None,
        "code": "insufficient_quota",
    }
}


def _error_claims(tmp_path: Path, status: int, body: object) -> dict[str, str]:
    findings = findings_of(tmp_path, cassette(OPENAI_CHAT, status, body, KEPT))
    return {claim: outcome_of(f)[0] for claim, f in findings.items() if f.claim.location.value == "error"}


def test_a_rate_limit_429_bears_on_the_rate_limit_claim_not_on_insufficient_quota(tmp_path: Path) -> None:
    assert _error_claims(tmp_path, 429, RATE_LIMITED) == {
        "openai.error.rate-limit": "pass",
        "openai.error.body": "pass",
    }


def test_an_insufficient_quota_429_bears_on_its_own_claim(tmp_path: Path) -> None:
    assert _error_claims(tmp_path, 429, NO_QUOTA) == {
        "openai.error.insufficient-quota": "pass",
        "openai.error.body": "pass",
    }


def test_a_404_of_another_kind_bears_on_no_not_found_claim(tmp_path: Path) -> None:
    body = {
        "error": {
            "message": "Unknown request URL",
            "type": "invalid_request_error",
            "param": None,
            "code": "unknown_url",
        }
    }
    assert _error_claims(tmp_path, 404, body) == {"openai.error.body": "pass"}


def test_the_error_code_names_the_situation_and_the_type_is_then_checked(tmp_path: Path) -> None:
    body = {
        "error": {
            "message": "Incorrect API key provided",
            "type": "authentication_error",
            "param": None,
            "code": "invalid_api_key",
        }
    }
    findings = findings_of(tmp_path, cassette(OPENAI_CHAT, 401, body, KEPT))
    finding = findings["openai.error.invalid-api-key"]
    assert outcome_of(finding)[0] == "fail"
    assert "error.type should be 'invalid_request_error', got 'authentication_error'" in finding.verdict.message


def test_no_shipped_error_claim_fails_on_status_alone() -> None:
    for finding in audit([IMPORTED], SPECS, sdk_replay=False).findings:
        claim, response = finding.claim, finding.interaction.attempt.response
        if claim.location.value != "error" or response is None:
            continue
        body = response.json[0] if isinstance(response.json, list) else response.json
        error = body.get("error") if isinstance(body, dict) else None
        error = error if isinstance(error, dict) else {}
        key = "code" if "code" in claim.params else "type"
        if key in claim.params:
            assert error.get(key) == claim.params[key], (claim.id, finding.recording.path.name)


# --- 4. the day each exchange was recorded --------------------------------------------------------------------------


def _interaction(headers: dict[str, str]) -> Interaction:
    attempt = Attempt(
        RecordedRequest("POST", OPENAI_CHAT, {}, json.dumps(CHAT)),
        RecordedResponse(200, {k.lower(): v for k, v in headers.items()}, json.dumps(COMPLETION)),
        None,
        0.0,
    )
    return Interaction(0, attempt, 1)


def test_the_recording_date_comes_from_the_date_header_else_the_source_commit() -> None:
    sources = read_sources(IMPORTED / "SOURCES.md")
    source = next(iter(sources.values()))
    assert source.committed
    assert recorded_on(_interaction(KEPT), source) == ("2025-04-08", DatedBy.DATE_HEADER)
    late = {"Date": "Wed, 31 Dec 2025 23:30:00 -0200"}  # 2026-01-01 01:30 UTC
    assert recorded_on(_interaction(late), None) == ("2026-01-01", DatedBy.DATE_HEADER)
    assert recorded_on(_interaction({"Date": "not a date"}), source) == (source.committed, DatedBy.COMMIT)
    assert recorded_on(_interaction({}), source) == (source.committed, DatedBy.COMMIT)
    assert recorded_on(_interaction({}), None) is None


def test_every_shipped_result_carries_its_recording_date(tmp_path: Path) -> None:
    out = tmp_path / "audit.json"
    assert cli.main(["audit", str(IMPORTED), "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    jsonschema.validate(data, results_schema())
    evidence = [r["evidence"] for r in data["results"]]
    assert all(e["recorded_on"][:2] == "20" for e in evidence)
    by_file = {e["file"]: (e["recorded_on"], e["recorded_on_from"]) for e in evidence}
    assert by_file[next(f for f in by_file if f.startswith("traceloop__"))] == ("2024-04-03", "date-header")
    pydantic = {v for f, v in by_file.items() if f.startswith("pydantic__")}  # its recorder drops Date
    assert {how for _, how in pydantic} == {"commit"}
    assert len({day for day, _ in by_file.values()}) > 10


# --- deviations seen in one recording -------------------------------------------------------------------------------


def test_a_deviation_seen_in_one_recording_is_expected_of_that_recording_only() -> None:
    claim: Claim = CLAIMS["anthropic.header.anthropic-organization-id"]
    assert claim.deviations == ()  # what a live run expects: nothing seen live contradicts the doc
    assert claim.recorded_deviations
    assert {d.evidence.kind.value for d in claim.recorded_deviations} == {"imported"}
    assert deviations_bearing_on(claim, None) == ()  # a live run shows the provider as it is now
    findings = [
        f
        for f in audit([IMPORTED / "anthropic"], SPECS, sdk_replay=False).findings
        if f.claim.id == claim.id and f.verdict.outcome != "unknown"
    ]
    outcomes = {(f.recording.path.name.split("__")[0], outcome_of(f)[0]) for f in findings}
    assert ("traceloop", "xfail") in outcomes
    assert {o for name, o in outcomes if name != "traceloop"} == {"pass"}
    old = [f for f in findings if f.claim.deviations]
    assert old
    for finding in old:  # each finding bears the one deviation that names its recording
        (deviation,) = finding.claim.deviations
        assert deviation.evidence.source == finding.evidence()["source"]
        assert finding.evidence()["recorded_on"] < "2025"
        assert "absent from a recording that kept" in finding.verdict.message
    april = next(f for f in old if f.evidence()["recorded_on"] == "2024-04-03")
    assert "absent from a recording that kept 9 response headers" in april.verdict.message
