"""The Anthropic checks of ``conformance.checks.native`` on hand-made exchanges: what passes, and what each failure
says (the stream grammar names the event index and what was expected there)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conformance.checks import CHECKS
from conformance.checks.registry import ConformanceFailure, CouldNotTell
from conformance.exchange.model import Attempt, Call, Observation, RecordedRequest, RecordedResponse
from conformance.spec.loader import load_specs
from conformance.spec.model import Claim

SPEC = {c.id: c for c in load_specs(()).spec("anthropic").claims}
STREAM = "text/event-stream"


def claim(suffix: str) -> Claim:
    return SPEC[f"anthropic.{suffix}"]


def exchange(
    status: int = 200, body: Any = None, *, events: list[tuple[str, Any]] | None = None, headers: Any = None
) -> Attempt:
    if events is not None:
        text = "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events)
        response = RecordedResponse(status, {"content-type": STREAM, **(headers or {})}, text)
    else:
        response = RecordedResponse(status, {"content-type": "application/json", **(headers or {})}, json.dumps(body))
    request = RecordedRequest("POST", "https://api.anthropic.com/v1/messages", {}, "{}")
    return Attempt(request, response, None, 1.0)


def observe(*calls: tuple[str, Attempt], **values: Any) -> Observation:
    return Observation([Call(label, attempts=[attempt]) for label, attempt in calls], values=dict(values))


def run(check: str, suffix: str, obs: Observation) -> str:
    try:
        CHECKS[check](claim(suffix), obs)
    except ConformanceFailure as exc:
        return f"fail: {exc}"
    except CouldNotTell as exc:
        return f"could not tell: {exc}"
    return "pass"


def text_block(index: int, *pieces: str) -> list[tuple[str, Any]]:
    return [
        ("content_block_start", {"type": "content_block_start", "index": index, "content_block": {"type": "text"}}),
        *[
            ("content_block_delta", {"type": "content_block_delta", "index": index, "delta": {"text": p}})
            for p in pieces
        ],
        ("content_block_stop", {"type": "content_block_stop", "index": index}),
    ]


START = ("message_start", {"type": "message_start", "message": {"content": [], "stop_reason": None}})
DELTA = (
    "message_delta",
    {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 3}},
)
STOP = ("message_stop", {"type": "message_stop"})
PING = ("ping", {"type": "ping"})


def grammar(events: list[tuple[str, Any]], check: str = "anthropic_stream_grammar") -> str:
    return run(check, "stream.event-flow", observe(("stream", exchange(events=events))))


def test_the_documented_flow_passes_with_pings_anywhere_and_unknown_events_skipped() -> None:
    events = [PING, START, PING, *text_block(0, "Hel", "lo"), PING, *text_block(1, "!"), DELTA, PING, STOP, PING]
    assert grammar(events) == "pass"
    assert grammar([START, ("brand_new", {"type": "brand_new"}), *text_block(0, "a"), DELTA, STOP]) == "pass"
    assert grammar([START, DELTA, DELTA, STOP]) == "pass"  # no content block at all, two message_delta


@pytest.mark.parametrize(
    ("events", "says"),
    [
        (
            [*text_block(0, "a"), DELTA, STOP],
            "event 0 (content_block_start): the stream should open with message_start",
        ),
        ([START, *text_block(0, "a")[:2], DELTA, STOP], "event 3 (message_delta): expected content_block_delta or "),
        ([START, *text_block(1, "a"), DELTA, STOP], "event 1 (content_block_start): expected index 0, got 1"),
        ([START, *text_block(0, "a"), STOP], "event 4 (message_stop): expected content_block_start (index 1) or "),
        (
            [START, *text_block(0, "a"), DELTA],
            "the stream ended after 5 event(s) without message_stop: expected message_delta or",
        ),
        ([START, *text_block(0, "a"), DELTA, STOP, *text_block(1, "b")], "event 6 (content_block_start): expected "),
        (
            [START, *text_block(0, "a"), ("message_delta", {"type": "message_delta", "delta": {}}), STOP],
            "event 5 (message_stop): the last message_delta should carry a non-null delta.stop_reason",
        ),
    ],
)
def test_a_deviation_names_the_event_and_what_was_expected(events: list[tuple[str, Any]], says: str) -> None:
    assert grammar(events).startswith(f"fail: {says}")


def test_event_names_must_match_the_data_type_and_error_events_end_the_stream() -> None:
    renamed = [START, ("delta", text_block(0, "a")[1][1])]
    assert "event 1: the SSE event name 'delta' should match the data's type 'content_block_delta'" in grammar(renamed)
    error = ("error", {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
    assert grammar([START, *text_block(0, "a")[:2], error]) == "pass"
    assert "nothing after an error event" in grammar([START, error, *text_block(0, "a")])
    assert "an error event should be" in grammar([START, ("error", {"type": "error", "error": "Overloaded"})])


def test_a_block_without_deltas_passes_the_flow_but_not_the_strict_reading() -> None:
    events = [START, *text_block(0), *text_block(1, "b"), DELTA, STOP]
    assert grammar(events) == "pass"
    strict = grammar(events, "anthropic_stream_block_deltas")
    assert strict.startswith("fail: event 2 (content_block_stop): expected content_block_delta (index 0) first")


def test_a_json_answer_to_a_stream_request_fails_and_an_empty_stream_cannot_tell() -> None:
    assert "text/event-stream" in run("anthropic_stream_grammar", "request.stream", observe(("s", exchange(body={}))))
    assert grammar([]).startswith("could not tell")


def error_body(kind: str, status: int = 400, request_id: str | None = "req_1") -> Attempt:
    body: dict[str, Any] = {"type": "error", "error": {"type": kind, "message": "no"}}
    if request_id is not None:
        body["request_id"] = request_id
    return exchange(status, body, headers={"request-id": "req_1"})


def test_refusals_must_have_the_documented_status_shape_and_type() -> None:
    ok = exchange(body={"content": []})
    good = observe(("over-limit", error_body("invalid_request_error")), ("within-limit", ok), temperature=1.5)
    assert run("anthropic_out_of_range", "request.temperature", good) == "pass"
    capped = observe(("over-limit", ok), ("within-limit", ok), temperature=1.5)
    assert "should be refused with HTTP 400, got HTTP 200" in run(
        "anthropic_out_of_range", "request.temperature", capped
    )
    wrong = observe(("over-limit", error_body("api_error")), ("within-limit", ok), temperature=1.5)
    assert "error.type 'api_error'" in run("anthropic_out_of_range", "request.temperature", wrong)
    bare = observe(("r", exchange(400, {"detail": "no"})))
    assert "documented error shape" in run("anthropic_rejected", "message.role-system", bare)


def test_request_id_in_error_bodies() -> None:
    assert run("anthropic_error_request_id", "error.request_id", observe(("e", error_body("x")))) == "pass"
    missing = observe(("e", error_body("x", request_id=None)))
    assert "should carry request_id" in run("anthropic_error_request_id", "error.request_id", missing)
    other = observe(("e", error_body("x", request_id="req_2")))
    assert "differs from the request-id header" in run("anthropic_error_request_id", "error.request_id", other)
    placeholder = exchange(400, {"type": "error", "error": {}, "request_id": "req_2"}, headers={"request-id": "<ID>"})
    outcome = run("anthropic_error_request_id", "error.request_id", observe(("e", placeholder)))
    assert outcome.startswith("could not tell")


@pytest.mark.parametrize(
    ("header", "value", "outcome"),
    [
        ("anthropic-ratelimit-requests-limit", "50", "pass"),
        ("anthropic-ratelimit-tokens-remaining", "49000", "pass"),
        ("anthropic-ratelimit-input-tokens-reset", "2026-12-02T10:00:00Z", "pass"),
        ("anthropic-ratelimit-requests-reset", "2026-12-02T10:00:00.5+01:00", "pass"),
        ("anthropic-ratelimit-requests-limit", "fifty", "fail: anthropic-ratelimit-requests-limit should be a non-"),
        ("anthropic-ratelimit-tokens-reset", "in 5s", "fail: anthropic-ratelimit-tokens-reset should be an RFC 3339"),
    ],
)
def test_rate_limit_headers_are_present_in_their_format(header: str, value: str, outcome: str) -> None:
    obs = observe(("m", exchange(body={"content": []}, headers={header: value})))
    assert run("anthropic_ratelimit_header", f"header.{header}", obs).startswith(outcome)
    absent = observe(("m", exchange(body={"content": []})))
    assert f"no {header} header" in run("anthropic_ratelimit_header", f"header.{header}", absent)


def answer(*blocks: dict[str, Any], stop_reason: str = "end_turn", **extra: Any) -> Attempt:
    return exchange(body={"content": list(blocks), "stop_reason": stop_reason, **extra})


def use(name: str) -> dict[str, Any]:
    return {"type": "tool_use", "id": f"toolu_{name}", "name": name, "input": {}}


def test_tool_choice_types() -> None:
    both = answer(use("get_weather"), use("get_time"), stop_reason="tool_use")
    calls = {"auto": both, "any": both, "tool": answer(use("get_time"), stop_reason="tool_use"), "none": answer()}
    values = {"tools": ["get_weather", "get_time"], "forced": "get_time"}
    obs = observe(*calls.items(), **values)
    assert run("anthropic_tool_choice", "tool.tool_choice", obs) == "pass"
    obs = observe(*{**calls, "none": both}.items(), **values)
    assert "tool_choice none should use no tool" in run("anthropic_tool_choice", "tool.tool_choice", obs)
    obs = observe(*{**calls, "tool": both}.items(), **values)
    assert "should use get_time only" in run("anthropic_tool_choice", "tool.tool_choice", obs)
    single = observe(("one", both), tools=values["tools"])
    assert "exactly one tool_use, got 2" in run(
        "anthropic_one_tool_use", "tool.tool_choice.disable_parallel_tool_use", single
    )
    wrong_reason = observe(("t", answer(use("get_time"))), tools=values["tools"])
    assert "not 'tool_use'" in run("anthropic_tool_use", "tool.tools", wrong_reason)


def test_stop_sequences_count_tokens_and_optional_usage() -> None:
    text = {"type": "text", "text": "1 2 3 4 5 6 "}
    good = observe(("s", answer(text, stop_reason="stop_sequence", stop_sequence="7")), stop_sequences=["7"])
    assert run("anthropic_stop_sequence", "request.stop_sequences", good) == "pass"
    ignored = observe(("s", answer({"type": "text", "text": "1 2 3 4 5 6 7 8"})), stop_sequences=["7"])
    assert "stop_reason 'stop_sequence'" in run("anthropic_stop_sequence", "request.stop_sequences", ignored)
    counts = observe(
        ("messages-only", exchange(body={"input_tokens": 9})), ("with-system", exchange(body={"input_tokens": 9}))
    )
    assert "should count the system prompt" in run(
        "anthropic_count_tokens", "response.count_tokens.input_tokens", counts
    )
    suffix = "usage.cache_read_input_tokens"
    assert (
        run("anthropic_optional_count", suffix, observe(("m", answer(usage={"cache_read_input_tokens": 0})))) == "pass"
    )
    assert run("anthropic_optional_count", suffix, observe(("m", answer(usage={})))).startswith("could not tell")
    assert "non-negative integer" in run(
        "anthropic_optional_count", suffix, observe(("m", answer(usage={"cache_read_input_tokens": "0"})))
    )
