"""The native Gemini checks on hand-made exchanges, and the SSE grammar applied to the shipped real recordings.

The hand-made exchanges are built here (never written to ``cassettes/``); they pin what a deviation says: the
event index and what was expected.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from conformance.audit.core import audit
from conformance.checks import CHECKS, ConformanceFailure
from conformance.checks.gemini_native import camel
from conformance.checks.registry import CouldNotTell
from conformance.exchange.model import Attempt, Call, Observation, RecordedRequest, RecordedResponse
from conformance.spec.loader import load_specs
from conformance.spec.model import Claim

ROOT = Path(__file__).resolve().parents[1]
GEMINI = load_specs(()).spec("gemini")
STREAM = "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent"


def claim(suffix: str) -> Claim:
    return next(c for c in GEMINI.claims if c.id == f"gemini.{suffix}")


def chunk(text: str, finish: str | None = None, usage: bool = False) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"parts": [{"text": text}], "role": "model"}, "index": 0}
    if finish:
        candidate["finishReason"] = finish
    data: dict[str, Any] = {"candidates": [candidate], "modelVersion": "gemini-2.5-flash", "responseId": "r1"}
    if usage:
        data["usageMetadata"] = {"promptTokenCount": 3, "candidatesTokenCount": 2, "totalTokenCount": 5}
    return data


def streamed(*events: Any, url: str = STREAM + "?alt=sse", status: int = 200) -> Observation:
    body = "".join(f"data: {e if isinstance(e, str) else json.dumps(e)}\r\n\r\n" for e in events)
    request = RecordedRequest("POST", url, {"content-type": "application/json"}, '{"contents": []}')
    response = RecordedResponse(status, {"content-type": "text/event-stream"}, body)
    return Observation([Call("stream", attempts=[Attempt(request, response, None, 1.0)])])


def grammar(obs: Observation) -> None:
    CHECKS["gemini_sse_grammar"](claim("stream.sse"), obs)


def test_a_stream_that_follows_the_grammar_passes() -> None:
    grammar(streamed(chunk("1 2"), chunk(" 3", "STOP", usage=True)))


@pytest.mark.parametrize(
    ("events", "said"),
    [
        ((chunk("1", "STOP"), chunk(" 2", "STOP", usage=True)), "SSE event 0 of 2 carries finishReason 'STOP'"),
        ((chunk("1"), chunk(" 2", usage=True)), "the last SSE event (1) should carry the candidate's finishReason"),
        ((chunk("1"), chunk(" 2", "STOP")), "the last SSE event (1) should carry usageMetadata"),
        ((chunk("1"), "not json"), "SSE event 1 is not JSON"),
        (([chunk("1")],), "SSE event 0 should be one GenerateContentResponse object, got list"),
    ],
)
def test_a_deviation_names_the_event_and_what_was_expected(events: tuple[Any, ...], said: str) -> None:
    with pytest.raises(ConformanceFailure, match=said.replace("(", r"\(").replace(")", r"\)")):
        grammar(streamed(*events))


def test_a_stream_asked_for_without_alt_sse_is_could_not_tell() -> None:
    with pytest.raises(CouldNotTell, match="did not ask for alt=sse"):
        grammar(streamed(chunk("1", "STOP", usage=True), url=STREAM))


def test_camel_turns_spec_paths_into_the_wire_names() -> None:
    assert camel("usage_metadata.prompt_token_count") == "usageMetadata.promptTokenCount"
    assert camel("candidates[].safety_ratings[]") == "candidates[].safetyRatings[]"
    assert camel("models[].supported_generation_methods[]") == "models[].supportedGenerationMethods[]"


def test_the_audit_applies_the_stream_grammar_to_the_imported_gemini_recordings() -> None:
    """The shipped real streams (26 since the corpus grew): the 20 asked for with alt=sse follow the grammar; the six
    JSON-array streams (no alt=sse) cannot tell, and say why."""
    found = audit([ROOT / "cassettes" / "imported" / "gemini"], [GEMINI], sdk_replay=False)
    verdicts = [f.verdict for f in found.findings if f.claim.id == "gemini.stream.sse"]
    assert Counter(v.outcome for v in verdicts) == {"pass": 20, "unknown": 6}
    assert all("did not ask for alt=sse" in v.message for v in verdicts if v.outcome == "unknown")
    sources = {f.recording.path.name for f in found.findings if f.claim.id == "gemini.stream.sse"}
    assert any(name.startswith("charmbracelet__fantasy") for name in sources)


def test_recorded_gemini_errors_are_judged_with_their_status() -> None:
    """A recorded 403 and 404 meet the documented statuses and shape (code equal to the HTTP status)."""
    found = audit([ROOT / "cassettes" / "imported" / "gemini"], [GEMINI], sdk_replay=False)
    outcomes = {(f.claim.id, f.verdict.outcome) for f in found.findings if f.claim.location.value == "error"}
    assert ("gemini.error.permission_denied", "pass") in outcomes
    assert ("gemini.error.not_found", "pass") in outcomes
    assert not [o for o in outcomes if o[1] == "fail"]


@pytest.mark.parametrize(
    ("suffix", "status", "body", "said"),
    [
        ("error.not_found", 404, {"error": {"code": 404, "message": "m", "status": "NOT_FOUND"}}, None),
        ("error.not_found", 404, {"error": {"code": 400, "message": "m", "status": "NOT_FOUND"}}, "error.code is 400"),
        (
            "error.not_found",
            404,
            {"error": {"code": 404, "message": "m", "status": "INTERNAL"}},
            "should be 'NOT_FOUND'",
        ),
        ("error.not_found", 404, [{"error": {"code": 404}}], "the body is not"),
        ("error.invalid_argument", 404, {"error": {"code": 404, "message": "m", "status": "X"}}, "expected HTTP 400"),
    ],
)
def test_gemini_error(suffix: str, status: int, body: Any, said: str | None) -> None:
    request = RecordedRequest("POST", STREAM, {}, "{}")
    response = RecordedResponse(status, {"content-type": "application/json"}, json.dumps(body))
    obs = Observation([Call("error", attempts=[Attempt(request, response, None, 1.0)])])
    if said is None:
        CHECKS["gemini_error"](claim(suffix), obs)
        return
    with pytest.raises(ConformanceFailure, match=said):
        CHECKS["gemini_error"](claim(suffix), obs)
