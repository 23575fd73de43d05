"""Replaying real recorded answers through the official SDKs (conformance.audit.replay).

The recordings are the imported real traffic in cassettes/imported (attributed in SOURCES.md there); the tests
that need them skip when that folder is absent. Every replay runs with outgoing socket connections refused, so
the MockTransport the module hands the SDKs is provably the only way anything is answered.
"""

from __future__ import annotations

import json
import re
import socket
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from conformance.audit.replay import (
    NOT_REISSUABLE,
    PARSED,
    RAISED,
    SDK_FAILED,
    ReplayResult,
    facts,
    judged,
    replay,
    replay_all,
)
from conformance.exchange.model import Attempt, RecordedRequest, RecordedResponse
from conformance.recordings import Interaction, Recording, api_of, read_all

IMPORTED = Path(__file__).resolve().parents[1] / "cassettes" / "imported"
ABSENT = f"{IMPORTED} is absent: the imported real-traffic recordings are not in this checkout"

Replayed = list[tuple[Recording, Interaction, ReplayResult]]

DOCUMENTED_REASONS = {
    "legacy /v1/complete": re.compile(r"^/v1/complete is the legacy Text Completions API, for which anthropic \S+ has"),
    "countTokens with systemInstruction": re.compile(
        r"^the SDK refused the request before sending it: ValueError: system_instruction parameter is only "
        r"supported in Gemini Enterprise Agent Platform mode"
    ),
    "integer enums": re.compile(
        r"^the SDK refused the request before sending it: .*\(the recording asked for \?\$alt=json;enum-encoding=int"
    ),
}
"""Why a request in cassettes/imported cannot be re-issued, and how many requests each reason covers."""
EXPECTED_NOT_REISSUABLE = {
    "legacy /v1/complete": 12,  # langsmith-sdk: anthropic 2.x has no client.completions
    "countTokens with systemInstruction": 5,  # ellmer: google-genai refuses it in Gemini Developer API mode
    "integer enums": 3,  # langchaingo: $alt=json;enum-encoding=int sends enums as numbers
}


class _NoNetwork:
    """Refuses every outgoing socket connection and remembers the attempts."""

    def __init__(self) -> None:
        self.attempts: list[Any] = []

    def refuse(self, *args: Any, **kwargs: Any) -> Any:
        self.attempts.append(args[1:] if args else kwargs)
        raise OSError("network blocked by tests/test_sdk_replay.py")


@pytest.fixture(scope="module")
def guard() -> _NoNetwork:
    return _NoNetwork()


@pytest.fixture(scope="module")
def replayed(guard: _NoNetwork) -> Replayed:
    if not IMPORTED.is_dir():
        pytest.skip(ABSENT)
    recordings, warnings = read_all([IMPORTED])
    assert warnings == []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", guard.refuse)
        patch.setattr(socket.socket, "connect_ex", guard.refuse)
        patch.setattr(socket, "create_connection", guard.refuse)
        return replay_all(recordings)


def _results(replayed: Replayed, name_part: str) -> list[ReplayResult]:
    found = [result for recording, _, result in replayed if name_part in recording.path.name]
    if not found:
        pytest.skip(f"no recording named like {name_part!r} in {IMPORTED}")
    return found


def _interactions(replayed: Replayed, name_part: str) -> list[tuple[Interaction, ReplayResult]]:
    found = [(interaction, result) for recording, interaction, result in replayed if name_part in recording.path.name]
    if not found:
        pytest.skip(f"no recording named like {name_part!r} in {IMPORTED}")
    return found


def _recorded(interaction: Interaction) -> RecordedResponse:
    assert interaction.attempt.response is not None
    return interaction.attempt.response


def _category(reason: str) -> str | None:
    return next((name for name, pattern in DOCUMENTED_REASONS.items() if pattern.search(reason)), None)


# --- the whole corpus ------------------------------------------------------------------------------------------------


def test_every_interaction_of_a_known_api_is_replayed(replayed: Replayed) -> None:
    recordings, _ = read_all([IMPORTED])
    known = [(r.path, i.index) for r in recordings for i in r.interactions if api_of(i.attempt.request) is not None]
    assert len(recordings) == 156
    assert [(recording.path, interaction.index) for recording, interaction, _ in replayed] == known
    assert {result.outcome for _, _, result in replayed} <= {PARSED, RAISED, NOT_REISSUABLE, SDK_FAILED}


def test_no_replay_touched_the_network(replayed: Replayed, guard: _NoNetwork) -> None:
    sent = [result for _, _, result in replayed if result.outcome != NOT_REISSUABLE]
    assert guard.attempts == []
    assert sent
    assert all(result.detail["sent"] for result in sent)  # the MockTransport handler saw (and answered) each


def test_not_reissuable_requests_are_the_documented_ones(replayed: Replayed) -> None:
    reasons = [result.detail["reason"] for _, _, result in replayed if result.outcome == NOT_REISSUABLE]
    undocumented = [reason for reason in reasons if _category(reason) is None]
    assert undocumented == []
    assert Counter(_category(reason) for reason in reasons) == EXPECTED_NOT_REISSUABLE
    assert all(
        result.message == f"not re-issuable: {result.detail['reason']}" and not result.path_matches
        for _, _, result in replayed
        if result.outcome == NOT_REISSUABLE
    )


def test_every_sent_request_went_to_the_recorded_method_and_path(replayed: Replayed) -> None:
    """Query strings aside: anthropic's beta resource drops ``?beta=true``, google-genai adds ``?alt=sse``."""
    mismatched = [r.message for _, _, r in replayed if r.outcome != NOT_REISSUABLE and not r.path_matches]
    assert mismatched == []


# --- 2xx answers parse ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name_part",
    [
        "test_n__test_async[gemini-gemini-gemini-2.0-flash]",
        "test_n_v7__test_async[openai-openai-gpt-4o-mini]",
    ],
)
def test_n_choices_parse_as_recorded(replayed: Replayed, name_part: str) -> None:
    ((interaction, result),) = _interactions(replayed, name_part)
    recorded = _recorded(interaction).json
    assert result.outcome == PARSED
    assert result.call == "chat.completions.create"
    assert result.detail["type"] == "ChatCompletion"
    assert result.detail["choices"] == len(recorded["choices"]) == 2
    assert result.detail["finish_reasons"] == [choice["finish_reason"] for choice in recorded["choices"]]
    assert result.detail["usage"]["total_tokens"] == recorded["usage"]["total_tokens"]


@pytest.mark.parametrize(
    "name_part",
    [
        "test_stream__test_sync[gemini-gemini-gemini-2.0-flash]",
        "test_stream_v7__test_sync[openai-openai-gpt-4o-mini]",
        "test_openai_logprobs",
    ],
)
def test_chat_streams_are_consumed_chunk_by_chunk(replayed: Replayed, name_part: str) -> None:
    ((interaction, result),) = _interactions(replayed, name_part)
    events = [json.loads(event.data) for event in _recorded(interaction).events if event.data != "[DONE]"]
    recorded_usage = next((event["usage"] for event in reversed(events) if event.get("usage")), None)
    assert result.outcome == PARSED
    assert result.call == "chat.completions.create(stream=True)"
    assert result.detail["chunks"] == len(events) > 1
    assert result.detail["finish_reasons"] == ["stop"]
    if recorded_usage is None:
        assert "usage" not in result.detail
    else:
        assert result.detail["usage"]["total_tokens"] == recorded_usage["total_tokens"]


def test_gemini_tool_call_answers_parse_with_finish_reason_stop(replayed: Replayed) -> None:
    """Gemini's compat layer ends a forced tool call with ``stop`` (OpenAI says ``tool_calls``); the SDK keeps it."""
    (gemini,) = _results(replayed, "test_tools_choices_required__test_async[gemini-gemini-gemini-2.0-flash]")
    (reference,) = _results(replayed, "test_tools_choices_required_v7__test_async[openai-openai-gpt-4o-mini]")
    assert (gemini.outcome, gemini.detail["tool_calls"], gemini.detail["finish_reasons"]) == (PARSED, 1, ["stop"])
    assert (reference.outcome, reference.detail["tool_calls"], reference.detail["finish_reasons"]) == (
        PARSED,
        1,
        ["tool_calls"],
    )


# --- errors -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name_part", "exception", "status", "google_status"),
    [
        ("test_assistant_first__test_async[gemini-gemini-gemini-2.0-flash-latest]", "NotFoundError", 404, "NOT_FOUND"),
        (
            "test_assistant_only__test_async[gemini-gemini-gemini-1.5-flash-001]",
            "BadRequestError",
            400,
            "INVALID_ARGUMENT",
        ),
    ],
)
def test_google_error_bodies_lose_code_type_and_message_in_the_openai_sdk(
    replayed: Replayed, name_part: str, exception: str, status: int, google_status: str
) -> None:
    """Gemini's compat layer answers errors as a one-item JSON list; the openai SDK only reads a JSON object."""
    ((interaction, result),) = _interactions(replayed, name_part)
    error = _recorded(interaction).json[0]["error"]
    assert result.outcome == RAISED
    assert result.detail["exception"] == f"openai.{exception}"
    assert result.detail["status_code"] == status
    assert (result.detail["code"], result.detail["type"], result.detail["param"]) == (None, None, None)
    assert result.detail["message"] == f"Error code: {status}"  # error.message is not in the exception text
    assert json.loads(result.detail["body"]) == [{"error": error}]  # only .body keeps it
    assert result.detail["not_exposed"] == {
        "code": f"error.code={status}",
        "type": f"error.status={google_status!r}",
        "message": f"error.message={error['message'][:60] + ('…' if len(error['message']) > 60 else '')!r}",
    }
    assert result.message.startswith(
        f"openai SDK raised {exception}({status}) on chat.completions.create; .code=None, .type=None, "
        f".message='Error code: {status}' although the body carries error.code={status}, "
        f"error.status={google_status!r}, error.message="
    )


def test_openai_error_bodies_expose_code_and_type(replayed: Replayed) -> None:
    """The reference: OpenAI's own 404 gives the openai SDK everything the Google-shaped one does not."""
    results = _results(replayed, "test_model_not_found_stream__openai_gpt_4o_completions")
    assert [r.outcome for r in results] == [RAISED, RAISED]
    detail = results[0].detail
    assert (detail["exception"], detail["status_code"]) == ("openai.NotFoundError", 404)
    assert (detail["code"], detail["type"]) == ("model_not_found", "invalid_request_error")
    assert detail["not_exposed"] == {}


def test_anthropic_401_is_an_authentication_error_with_its_type(replayed: Replayed) -> None:
    ((interaction, result),) = _interactions(replayed, "vcr_cassettes__chat_error_handling_with_anthropic")
    assert _recorded(interaction).json["error"]["type"] == "authentication_error"
    assert interaction.attempt.request.json["max_tokens"] == 64000  # non-streaming: needs an explicit timeout
    assert result.outcome == RAISED
    assert result.call == "messages.create"
    assert (result.detail["exception"], result.detail["status_code"]) == ("anthropic.AuthenticationError", 401)
    assert result.detail["type"] == "authentication_error"
    assert result.detail["api_message"] == "invalid x-api-key"
    assert result.detail["not_exposed"] == {}


def test_anthropic_beta_requests_go_through_the_beta_resource_without_the_query(replayed: Replayed) -> None:
    results = _results(replayed, "test_tool_choice__test_tool_choice_none_live")
    assert [(r.call, r.outcome, r.status) for r in results] == [
        ("beta.messages.create", RAISED, 429),
        ("beta.messages.create", PARSED, 200),
    ]
    assert all(r.path_matches for r in results)
    assert [(r.detail["sent"], r.detail["recorded"]) for r in results] == [
        ("POST /v1/messages", "POST /v1/messages?beta=true")
    ] * 2
    assert results[1].detail["type"] == "BetaMessage"


# --- Gemini native --------------------------------------------------------------------------------------------------


def test_gemini_generate_content_parses_with_the_candidate_text(replayed: Replayed) -> None:
    ((interaction, result),) = _interactions(
        replayed, "TestGoogleObjectGeneration__gemini-2.5-flash__simple_object.yaml"
    )
    recorded = _recorded(interaction).json
    assert result.outcome == PARSED
    assert result.call == "models.generate_content"
    assert result.detail["contents_match"] is True
    assert result.detail["type"] == "GenerateContentResponse"
    assert result.detail["candidates"] == 1
    assert result.detail["text"] == recorded["candidates"][0]["content"]["parts"][0]["text"]
    assert result.detail["finish_reasons"] == ["STOP"]
    assert result.detail["usage"]["total_token_count"] == recorded["usageMetadata"]["totalTokenCount"]


def test_google_genai_resends_thought_signatures_as_base64url(replayed: Replayed) -> None:
    results = _results(replayed, "TestGoogleThinking__gemini-2.5-flash__thinking-streaming")
    assert [r.outcome for r in results] == [PARSED, PARSED]
    assert results[0].detail["function_calls"] == ["weather"]
    assert results[1].detail["contents_match"] is True  # the same bytes …
    assert results[1].detail["contents_reencoded"] == [  # … in the other alphabet
        "contents[1].parts[0].thoughtSignature: standard base64 in the recording, base64url as sent"
    ]


def test_google_genai_cannot_read_a_json_array_stream(replayed: Replayed) -> None:
    """Asked without ``?alt=sse``, Gemini streams one JSON array; google-genai always asks for SSE and fails on it."""
    results = _results(replayed, "test_tools_with_gemini_3_thought_signatures")
    assert [r.outcome for r in results] == [SDK_FAILED, SDK_FAILED]
    for result in results:
        assert result.detail["exception"] == "google.genai.errors.UnknownApiResponseError"
        assert result.detail["sent"].endswith(":streamGenerateContent?alt=sse")
        assert result.detail["recorded"].endswith(":streamGenerateContent")


# --- synthetic interactions: behaviour the corpus does not show --------------------------------------------------


def _interaction(method: str, url: str, body: Any, status: int, answer: str) -> Interaction:
    request = RecordedRequest(method, url, {"content-type": "application/json"}, json.dumps(body))
    response = RecordedResponse(status, {"content-type": "application/json"}, answer)
    return Interaction(0, Attempt(request, response, None, 0.0), None)


def test_an_unknown_api_gives_none() -> None:
    assert replay(_interaction("POST", "https://example.com/v1/chat/completions", {"model": "m"}, 200, "{}")) is None


def test_a_path_the_sdk_does_not_send_is_reported() -> None:
    """google-genai sends ``embed_content`` as ``:batchEmbedContents``; the handler answers it all the same."""
    interaction = _interaction(
        "POST",
        "https://generativelanguage.googleapis.com/v1beta/models/text-embedding-004:embedContent",
        {"content": {"parts": [{"text": "hi"}]}},
        200,
        json.dumps({"embedding": {"values": [0.1, 0.2]}}),
    )
    result = replay(interaction)
    assert result is not None
    assert (result.outcome, result.path_matches) == (PARSED, False)
    assert result.detail["sent"] == "POST /v1beta/models/text-embedding-004:batchEmbedContents"
    assert result.detail["contents_match"] is True
    assert result.detail["embeddings"] is None  # the single-embedding answer does not fit the batch shape
    assert "where the recording has POST /v1beta/models/text-embedding-004:embedContent" in result.message


def test_an_unparseable_2xx_answer_is_an_sdk_failure() -> None:
    body = {"model": "m", "messages": []}
    result = replay(_interaction("POST", "https://api.openai.com/v1/chat/completions", body, 200, "{"))
    assert result is not None
    assert (result.outcome, result.path_matches) == (SDK_FAILED, True)
    assert result.detail["exception"] == "json.JSONDecodeError"
    assert result.message.startswith("openai SDK failed on the 200 answer to chat.completions.create")


def test_a_long_non_streaming_anthropic_call_is_still_sent() -> None:
    """With its default timeout, anthropic refuses (before sending) a non-streaming call that may exceed ten minutes
    (here: over claude-opus-4-1's 8,192 non-streaming tokens); the replay sets an explicit timeout, as the harness's
    clients do, so the recorded request is re-issued as it was."""
    body = {"model": "claude-opus-4-1-20250805", "max_tokens": 64000, "messages": [{"role": "user", "content": "hi"}]}
    answer = {"type": "error", "error": {"type": "invalid_request_error", "message": "max_tokens: too large"}}
    result = replay(_interaction("POST", "https://api.anthropic.com/v1/messages", body, 400, json.dumps(answer)))
    assert result is not None
    assert (result.outcome, result.detail["sent"]) == (RAISED, "POST /v1/messages")
    assert result.detail["exception"] == "anthropic.BadRequestError"


# --- the replay as a result --------------------------------------------------------------------------------------


def _result(outcome: str, status: int, **detail: Any) -> ReplayResult:
    return ReplayResult("openai", "openai", "chat.completions.create", status, outcome, detail, "what happened", True)


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        pytest.param(_result(PARSED, 200, type="ChatCompletion"), "pass", id="parsed-2xx"),
        pytest.param(_result(RAISED, 404, status_code=404), "pass", id="raised-its-status"),
        pytest.param(_result(PARSED, 404, type="ChatCompletion"), "fail", id="parsed-an-error"),
        pytest.param(_result(RAISED, 200, status_code=200), "fail", id="raised-on-2xx"),
        pytest.param(_result(RAISED, 404, status_code=400), "fail", id="raised-another-status"),
        pytest.param(_result(SDK_FAILED, 200, exception="json.JSONDecodeError", error="x"), "fail", id="sdk-failed"),
        pytest.param(
            _result(SDK_FAILED, 200, exception="E", error="x", sent="POST /a?alt=sse", recorded="POST /a"),
            "skip",
            id="sdk-failed-on-another-request",
        ),
        pytest.param(_result(NOT_REISSUABLE, 200, reason="no SDK call"), "skip", id="not-reissuable"),
    ],
)
def test_a_replay_is_judged_by_what_the_sdk_did_with_the_recorded_status(result: ReplayResult, expected: str) -> None:
    outcome, message = judged(result)
    assert outcome == expected
    assert message.startswith(result.message)


def test_facts_name_the_exposed_error_fields_uniformly_across_sdks() -> None:
    genai = ReplayResult(
        "gemini", "google-genai", "models.generate_content", 404, RAISED,
        {"exception": "google.genai.errors.ClientError", "status_code": 404, "code": 404, "status": "NOT_FOUND",
         "message": "m", "not_exposed": {}, "body": "{}", "sent": "POST /x"},
        "raised", True,
    )  # fmt: skip
    kept = facts(genai)
    assert (kept["error_type"], kept["error_code"], kept["status_code"]) == ("NOT_FOUND", 404, 404)
    assert kept["sdk_version"] != "not installed"
    assert (kept["sent"], kept["outcome"], kept["recorded_status"]) == ("POST /x", RAISED, 404)
    parsed = facts(_result(PARSED, 200, type="ChatCompletion", choices=1, sent="POST /v1/chat/completions"))
    assert parsed["parsed"] == {"type": "ChatCompletion", "choices": 1}
    assert "exception" not in parsed
