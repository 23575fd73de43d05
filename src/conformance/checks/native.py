"""Checks on the providers' native APIs that the generic checks do not cover.

Anthropic's Messages API (functions prefixed ``anthropic_``): documented refusals in the documented error shape,
stop sequences, tool use and tool_choice, count_tokens, rate-limit headers, the request_id of error bodies, and
the grammar of the event stream.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from conformance.checks.errors import anthropic_shape
from conformance.checks.registry import MISSING, cannot_tell, fail, register, require_ok, resolve
from conformance.exchange.model import Call, Observation, SseEvent
from conformance.spec.model import Claim

# --- Anthropic: refusals in the documented shape -------------------------------------------------------------------


def _anthropic_refused(claim: Claim, call: Call, what: str) -> None:
    """``call`` was refused with the claim's ``error_status`` (400 by default), in the documented error body, with
    the claim's ``error_type`` (invalid_request_error by default)."""
    status = call.status
    if status is None:
        fail(f"{what} got no response ({call.error!r})")
        return
    expected_status = int(claim.params.get("error_status", 400))
    if status != expected_status:
        fail(f"{what} should be refused with HTTP {expected_status}, got HTTP {status}")
    response = call.response
    assert response is not None
    problem = anthropic_shape(response.json)
    if problem:
        fail(f"{what} was refused, but not in the documented error shape: {problem}; body: {response.body[:300]}")
    expected_type = claim.params.get("error_type", "invalid_request_error")
    got = response.json["error"].get("type")
    if got != expected_type:
        fail(f"{what} was refused with error.type {got!r}, the doc says {expected_type!r}")


@register("anthropic_out_of_range")
def anthropic_out_of_range(claim: Claim, obs: Observation) -> None:
    """A value above the documented range is refused (400 invalid_request_error); one inside it is accepted."""
    over = obs.values.get(claim.field)
    _anthropic_refused(claim, obs.call("over-limit"), f"{claim.field}={over!r} (above the documented max)")
    require_ok(obs.call("within-limit"), f"{claim.field}={obs.values.get('within')!r} (inside the documented range)")


@register("anthropic_rejected")
def anthropic_rejected(claim: Claim, obs: Observation) -> None:
    """A request the doc rules out is refused with the documented status and error type."""
    _anthropic_refused(claim, obs.main, f"a request with {claim.field}={obs.values.get(claim.field)!r}")


@register("anthropic_thinking_budget")
def anthropic_thinking_budget(claim: Claim, obs: Observation) -> None:
    """budget_tokens below the minimum, or not below max_tokens, is refused; one within both rules is accepted."""
    minimum = obs.values.get("min")
    _anthropic_refused(claim, obs.call("below-minimum"), f"thinking.budget_tokens={obs.values.get('budget_tokens')}")
    _anthropic_refused(claim, obs.call("not-below-max_tokens"), "thinking.budget_tokens equal to max_tokens")
    require_ok(obs.call("within"), f"thinking.budget_tokens={minimum} below max_tokens")


# --- Anthropic: what the answer says ----------------------------------------------------------------------------


def _blocks(body: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    content = body.get("content")
    return [b for b in content if isinstance(b, dict) and b.get("type") == kind] if isinstance(content, list) else []


def _text(body: dict[str, Any]) -> str:
    return " ".join(str(b.get("text", "")) for b in _blocks(body, "text"))


@register("anthropic_answer_contains")
def anthropic_answer_contains(claim: Claim, obs: Observation) -> None:
    """The model read the content block: its answer holds what only that block tells (a colour, a secret word)."""
    body = require_ok(obs.main, f"a request with {claim.field}")
    expected = str(obs.values["expected"])
    text = _text(body)
    if expected.lower() not in text.lower():
        fail(f"the answer should show the model read {claim.field} (say {expected!r}), got {text[:160]!r}")


@register("anthropic_stop_sequence")
def anthropic_stop_sequence(claim: Claim, obs: Observation) -> None:
    """stop_reason "stop_sequence", stop_sequence the matched sequence, and the text stops before it."""
    body = require_ok(obs.main, "a request with stop_sequences")
    stop = obs.values["stop_sequences"][0]
    if body.get("stop_reason") != "stop_sequence":
        fail(f"stop_sequences={obs.values['stop_sequences']} on a count to 20 should end with stop_reason "
             f"'stop_sequence', got {body.get('stop_reason')!r}")  # fmt: skip
    if body.get("stop_sequence") != stop:
        fail(f"stop_sequence should be the matched sequence {stop!r}, got {body.get('stop_sequence')!r}")
    if stop in _text(body).split():
        fail(f"the answer should stop before {stop!r}: {_text(body)[:120]!r}")


@register("anthropic_response_one_of")
def anthropic_response_one_of(claim: Claim, obs: Observation) -> None:
    """A response field documented with its list of values (stop_reason) is non-null and one of them."""
    body = require_ok(obs.main)
    allowed = claim.params.get("values") or []
    value = body.get(claim.field)
    if value is None:
        fail(f"{claim.field} should never be null in a non-streamed answer, got {value!r}")
    if allowed and value not in allowed:
        fail(f"{claim.field} is {value!r}, not one of the documented values {allowed}")


def _tool_uses(call: Call, what: str, declared: list[str]) -> list[dict[str, Any]]:
    """The tool_use blocks of a successful answer, each checked: a declared name, an id, an object input."""
    body = require_ok(call, what)
    uses = _blocks(body, "tool_use")
    for use in uses:
        if use.get("name") not in declared:
            fail(f"{what}: tool_use names {use.get('name')!r}, which was not declared ({declared})")
        if not isinstance(use.get("id"), str) or not use["id"]:
            fail(f"{what}: a tool_use block has no id: {use!r}")
        if not isinstance(use.get("input"), dict):
            fail(f"{what}: tool_use input should be an object, got {use.get('input')!r}")
    if uses and body.get("stop_reason") != "tool_use":
        fail(f"{what}: the answer calls tools but stop_reason is {body.get('stop_reason')!r}, not 'tool_use'")
    return uses


@register("anthropic_tool_use")
def anthropic_tool_use(claim: Claim, obs: Observation) -> None:
    """tool_choice any with two tools: tool_use blocks naming declared tools, object inputs, stop_reason tool_use."""
    uses = _tool_uses(obs.main, "tools with tool_choice any", obs.values["tools"])
    if not uses:
        fail("tool_choice any should make the model use a tool, but no tool_use block came back")


@register("anthropic_tool_choice")
def anthropic_tool_choice(claim: Claim, obs: Observation) -> None:
    """auto is accepted; any uses a tool; tool uses only the named tool; none uses no tool."""
    declared, forced = obs.values["tools"], obs.values["forced"]
    _tool_uses(obs.call("auto"), "tool_choice auto", declared)
    if not _tool_uses(obs.call("any"), "tool_choice any", declared):
        fail("tool_choice any should make the model use a tool, but no tool_use block came back")
    named = [u.get("name") for u in _tool_uses(obs.call("tool"), f"tool_choice tool {forced}", declared)]
    if not named or any(name != forced for name in named):
        fail(f"tool_choice {{type: tool, name: {forced}}} should use {forced} only, got tool_use blocks {named}")
    unwanted = _tool_uses(obs.call("none"), "tool_choice none", declared)
    if unwanted:
        fail(f"tool_choice none should use no tool, got tool_use blocks {[u.get('name') for u in unwanted]}")


@register("anthropic_one_tool_use")
def anthropic_one_tool_use(claim: Claim, obs: Observation) -> None:
    """disable_parallel_tool_use with tool_choice any: exactly one tool_use block."""
    uses = _tool_uses(obs.main, "tool_choice any with disable_parallel_tool_use", obs.values["tools"])
    if len(uses) != 1:
        fail(f"disable_parallel_tool_use=true should give exactly one tool_use, got {len(uses)}: "
             f"{[u.get('name') for u in uses]}")  # fmt: skip


@register("anthropic_count_tokens")
def anthropic_count_tokens(claim: Claim, obs: Observation) -> None:
    """input_tokens is a positive integer, and it counts the system prompt (larger with one)."""
    counts: list[int] = []
    for label in ("messages-only", "with-system"):
        body = require_ok(obs.call(label), f"count_tokens ({label})")
        value = body.get(claim.field)
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            fail(f"count_tokens ({label}): {claim.field} should be a positive integer, got {value!r}")
            return
        counts.append(value)
    if counts[1] <= counts[0]:
        fail(f"input_tokens should count the system prompt: {counts[1]} with it, {counts[0]} without")


@register("anthropic_optional_count")
def anthropic_optional_count(claim: Claim, obs: Observation) -> None:
    """A usage count the reference types ``integer | null``: when the answer has it, a non-negative integer."""
    body = require_ok(obs.main)
    values = [v for v in resolve(body, claim.field) if v is not MISSING and v is not None]
    if not values:
        cannot_tell(f"the answer carries no {claim.field} (allowed: the field is optional)")
    for value in values:
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            fail(f"{claim.field} should be a non-negative integer when present, got {value!r}")


# --- Anthropic: headers and error bodies -------------------------------------------------------------------------


def _integer(value: str) -> bool:
    return re.fullmatch(r"\d+", value) is not None


def _rfc3339(value: str) -> bool:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})", value):
        return False
    try:
        datetime.fromisoformat(value.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


_RATELIMIT_FORMATS: dict[str, tuple[str, Callable[[str], bool]]] = {
    "-limit": ("a non-negative integer", _integer),
    "-remaining": ("a non-negative integer", _integer),
    "-reset": ("an RFC 3339 time", _rfc3339),
}
"""Header-name suffix -> what its value must be (the Rate limits page's table)."""


@register("anthropic_ratelimit_header")
def anthropic_ratelimit_header(claim: Claim, obs: Observation) -> None:
    """The rate-limit header is on the answer, in its documented format (integer count, or RFC 3339 reset time)."""
    require_ok(obs.main)
    response = obs.main.response
    assert response is not None
    name = claim.field.lower()
    value = response.headers.get(name)
    if value is None:
        fail(f"the answer has no {claim.field} header (headers: {sorted(response.headers)})")
        return
    for suffix, (wanted, matches) in _RATELIMIT_FORMATS.items():
        if name.endswith(suffix) and not matches(value.strip()):
            fail(f"{claim.field} should be {wanted}, got {value!r}")


@register("anthropic_error_request_id")
def anthropic_error_request_id(claim: Claim, obs: Observation) -> None:
    """An error body carries request_id (a string), equal to the request-id header where that was recorded."""
    call = obs.main
    status = call.status
    if status is None or status < 400:
        fail(f"the {call.label} request should be refused, got {status if status is not None else call.error!r}")
    response = call.response
    assert response is not None
    body = response.json
    if not isinstance(body, dict):
        fail(f"the error body is not a JSON object: {response.body[:200]}")
        return
    request_id = body.get("request_id")
    if not isinstance(request_id, str) or not request_id:
        fail(f"the error body should carry request_id, got {request_id!r}; body: {response.body[:300]}")
    header = response.headers.get("request-id")
    if header is not None and header != request_id and not header.startswith("req_"):
        cannot_tell(f"the request-id header {header!r} is no request id (replaced by the recording's source?)")
    if header is not None and header != request_id:
        fail(f"the body's request_id {request_id!r} differs from the request-id header {header!r}")


# --- Anthropic: the grammar of the event stream -----------------------------------------------------------------

_BLOCK_EVENTS = ("content_block_start", "content_block_delta", "content_block_stop")
_SKIPPED = "ping"


@dataclass
class _Grammar:
    """The documented event flow as a small state machine; ``feed`` raises on the first event that breaks it.

    message_start, then per content block content_block_start / content_block_delta* / content_block_stop (each
    with the block's index, 0, 1, 2 …), then one or more message_delta, then message_stop. ``ping`` may come
    anywhere; ``error`` ends the stream; event types the grammar does not know are skipped, as the page asks
    ("your code should handle unknown event types gracefully").
    """

    state: str = "start"  # start | message | block | delta | stop | error
    block: int = -1  # index of the open (or last closed) content block
    last_delta: dict[str, Any] | None = None
    min_deltas: int = 0  # content_block_delta events each block must have (the event-types section says one)
    deltas: int = 0  # content_block_delta events of the open block
    block_type: str = ""

    def expected(self) -> str:
        return {
            "start": "message_start",
            "message": f"content_block_start (index {self.block + 1}) or message_delta",
            "block": f"content_block_delta or content_block_stop (index {self.block})",
            "delta": "message_delta or message_stop",
            "stop": "nothing after message_stop",
            "error": "nothing after an error event",
        }[self.state]

    def feed(self, index: int, kind: str, data: dict[str, Any]) -> None:
        where = f"event {index} ({kind})"
        if kind == _SKIPPED:
            return
        if self.state in ("stop", "error"):
            fail(f"{where}: expected {self.expected()}")
        if kind == "error":
            problem = anthropic_shape(data)
            if problem:
                fail(f"{where}: an error event should be {{type: error, error: {{type, message}}}}: {problem}")
            self.state = "error"
            return
        if kind not in ("message_start", *_BLOCK_EVENTS, "message_delta", "message_stop"):
            return
        step = getattr(self, f"_{self.state}")
        step(where, kind, data)

    def _start(self, where: str, kind: str, data: dict[str, Any]) -> None:
        if kind != "message_start":
            fail(f"{where}: the stream should open with message_start")
        message = data.get("message")
        if not isinstance(message, dict) or message.get("content") != []:
            fail(f"{where}: message_start should carry a Message with empty content, got {str(message)[:200]}")
        self.state = "message"

    def _index(self, where: str, kind: str, data: dict[str, Any], wanted: int) -> None:
        if data.get("index") != wanted:
            fail(f"{where}: expected index {wanted}, got {data.get('index')!r}")

    def _message(self, where: str, kind: str, data: dict[str, Any]) -> None:
        if kind == "content_block_start":
            self._index(where, kind, data, self.block + 1)
            if not isinstance(data.get("content_block"), dict):
                fail(f"{where}: content_block_start should carry a content_block object")
            self.block += 1
            self.deltas, self.block_type = 0, str(data["content_block"].get("type"))
            self.state = "block"
        elif kind == "message_delta":
            self._delta(where, kind, data)
        else:
            fail(f"{where}: expected {self.expected()}")

    def _block(self, where: str, kind: str, data: dict[str, Any]) -> None:
        if kind not in ("content_block_delta", "content_block_stop"):
            fail(f"{where}: expected {self.expected()} (the open block was never stopped)")
        self._index(where, kind, data, self.block)
        if kind == "content_block_delta" and not isinstance(data.get("delta"), dict):
            fail(f"{where}: content_block_delta should carry a delta object")
        if kind == "content_block_delta":
            self.deltas += 1
        if kind == "content_block_stop":
            if self.deltas < self.min_deltas:
                fail(
                    f"{where}: expected content_block_delta (index {self.block}) first: each block should have one "
                    f"or more, but block {self.block} ({self.block_type}) went from content_block_start to "
                    "content_block_stop with none"
                )
            self.state = "message"

    def _delta(self, where: str, kind: str, data: dict[str, Any]) -> None:
        if kind == "message_stop":
            self._stop(where)
            return
        if kind != "message_delta":
            fail(f"{where}: expected {self.expected()}")
        if not isinstance(data.get("delta"), dict):
            fail(f"{where}: message_delta should carry a delta object")
        self.last_delta = data
        self.state = "delta"

    def _stop(self, where: str) -> None:
        final = self.last_delta or {}
        reason = final.get("delta", {}).get("stop_reason")
        if reason is None:
            fail(f"{where}: the last message_delta should carry a non-null delta.stop_reason, got {final!r}")
        usage = final.get("usage")
        tokens = usage.get("output_tokens") if isinstance(usage, dict) else None
        if not isinstance(tokens, int) or isinstance(tokens, bool):
            fail(f"{where}: the last message_delta should carry usage.output_tokens, got usage {usage!r}")
        self.state = "stop"

    def end(self, count: int) -> None:
        if self.state not in ("stop", "error"):
            fail(f"the stream ended after {count} event(s) without message_stop: expected {self.expected()}")


def _event_type(index: int, event: SseEvent) -> tuple[str, dict[str, Any]]:
    """The event's type, from its data, checked against its SSE event name."""
    try:
        data = json.loads(event.data)
    except ValueError:
        fail(f"event {index} ({event.event}): its data is not JSON: {event.data[:120]!r}")
        raise AssertionError from None  # unreachable: fail raises
    kind = data.get("type") if isinstance(data, dict) else None
    if not isinstance(kind, str):
        fail(f"event {index} ({event.event}): its data has no type: {event.data[:120]!r}")
        raise AssertionError
    if event.event != kind:
        fail(f"event {index}: the SSE event name {event.event!r} should match the data's type {kind!r}")
    return kind, data


@register("anthropic_stream_grammar")
def anthropic_stream_grammar(claim: Claim, obs: Observation) -> None:
    """The Messages API stream follows the documented event flow; a deviation names the event index and what
    was expected there."""
    _run_grammar(obs, _Grammar())


@register("anthropic_stream_block_deltas")
def anthropic_stream_block_deltas(claim: Claim, obs: Observation) -> None:
    """The event flow read as the event-types section words it: every content block has one or more
    content_block_delta events between its start and its stop."""
    _run_grammar(obs, _Grammar(min_deltas=1))


def _run_grammar(obs: Observation, grammar: _Grammar) -> None:
    require_ok(obs.main, "the streamed request")
    response = obs.main.response
    assert response is not None
    if not response.is_sse:
        fail(f"stream=true should answer text/event-stream, got {response.headers.get('content-type')!r}")
    events = response.events
    if not events:
        cannot_tell("the answer holds no server-sent event")
    for index, event in enumerate(events):
        kind, data = _event_type(index, event)
        grammar.feed(index, kind, data)
    grammar.end(len(events))
