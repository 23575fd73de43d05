"""Checks on request fields and response fields, by status."""

from __future__ import annotations

from typing import Any

from conformance.checks.registry import MISSING, fail, is_empty, register, require_ok, require_rejected, resolve
from conformance.probes.base import Observation
from conformance.spec.model import Claim


def _sse_json(obs: Observation) -> list[Any]:
    response = obs.main.response
    if response is None:
        return []
    out = []
    for event in response.events:
        if event.data.strip() == "[DONE]":
            continue
        try:
            out.append(event.json())
        except ValueError:
            continue
    return out


@register("accepted")
def accepted(claim: Claim, obs: Observation) -> None:
    """The request using the field is accepted (2xx) and the SDK can read the answer."""
    for call in obs.calls:
        require_ok(call, f"a request with {claim.field}={obs.values.get(claim.field, '…')!r} ({call.label})")


@register("ignored")
def ignored(claim: Claim, obs: Observation) -> None:
    """Accepted, and no effect where the effect would be visible."""
    body = require_ok(obs.main, f"a request with {claim.field}={obs.values.get(claim.field)!r}")
    if claim.field in ("logprobs", "top_logprobs"):
        found = [v for v in resolve(body, "choices[].logprobs") if not is_empty(v)]
        if found:
            fail(f"{claim.field} is documented as ignored, but the response carries logprobs: {str(found)[:200]}")
    if claim.field in ("audio", "modalities"):
        found = [v for v in resolve(body, "choices[].message.audio") if not is_empty(v)]
        if found:
            fail(f"{claim.field} is documented as ignored, but the response carries audio")
    if claim.field == "n":
        choices = body.get("choices", [])
        if len(choices) != 1:
            fail(f"n is documented as ignored, but {len(choices)} choices came back")


@register("capped")
def capped(claim: Claim, obs: Observation) -> None:
    """A value beyond the cap is accepted (behaving as the cap)."""
    value = obs.values.get(claim.field)
    require_ok(obs.main, f"{claim.field}={value!r} (above the documented cap {claim.params.get('max')})")


@register("must_equal")
def must_equal(claim: Claim, obs: Observation) -> None:
    """Another value is rejected with a 4xx; the one documented value is accepted."""
    value = obs.values.get(claim.field)
    require_rejected(obs.call("with-field"), f"{claim.field}={value!r} (only {claim.params['value']!r} is allowed)")
    require_ok(obs.call("documented-value"), f"{claim.field}={claim.params['value']!r}")


@register("rejected")
def rejected(claim: Claim, obs: Observation) -> None:
    """The request is refused with a 4xx."""
    require_rejected(obs.main, f"a request with {claim.field}")


@register("response_present")
def response_present(claim: Claim, obs: Observation) -> None:
    """The response field is present and not null."""
    body = require_ok(obs.main)
    values = resolve(body, claim.field)
    if any(v is MISSING or v is None for v in values):
        fail(f"response field {claim.field} is documented as supported but is {values[0]!r} in the response")


@register("response_constant")
def response_constant(claim: Claim, obs: Observation) -> None:
    body = require_ok(obs.main)
    if "length" in claim.params:
        arrays = resolve(body, claim.field.removesuffix("[]"))
        got = [len(a) if isinstance(a, list) else a for a in arrays]
        if got != [claim.params["length"]]:
            fail(f"{claim.field} should always have length {claim.params['length']}, got {got}")
        return
    values = resolve(body, claim.field)
    if any(v != claim.params["value"] for v in values):
        fail(f"{claim.field} should always be {claim.params['value']!r}, got {values!r}")


@register("response_empty")
def response_empty(claim: Claim, obs: Observation) -> None:
    body = require_ok(obs.main)
    values = [v for v in resolve(body, claim.field) if not is_empty(v)]
    if values:
        fail(f"{claim.field} is documented as always empty, but the response has {str(values)[:200]}")


@register("max_tokens_effect")
def max_tokens_effect(claim: Claim, obs: Observation) -> None:
    """Output stops at the limit: completion tokens within it, finish_reason 'length'."""
    body = require_ok(obs.main)
    limit = obs.values[claim.field]
    used = body.get("usage", {}).get("completion_tokens")
    if isinstance(used, int) and used > limit:
        fail(f"{claim.field}={limit} but usage.completion_tokens={used}")
    reasons = resolve(body, "choices[].finish_reason")
    if reasons != ["length"]:
        fail(f"{claim.field}={limit} on a 20-number count should end with finish_reason 'length', got {reasons}")


@register("stop_effect")
def stop_effect(claim: Claim, obs: Observation) -> None:
    """The answer ends before the stop sequence."""
    body = require_ok(obs.main)
    contents = [c for c in resolve(body, "choices[].message.content") if isinstance(c, str)]
    stop = obs.values["stop"][0]
    if not contents:
        fail("no content came back")
    if any(stop in c.split() for c in contents):
        fail(f"stop={obs.values['stop']} but the answer contains {stop!r}: {contents[0][:120]!r}")
    reasons = resolve(body, "choices[].finish_reason")
    if reasons != ["stop"]:
        fail(f"a stop sequence should end with finish_reason 'stop', got {reasons}")


@register("tool_calls")
def tool_calls(claim: Claim, obs: Observation) -> None:
    """tool_calls come back, naming declared tools, with JSON arguments."""
    import json

    body = require_ok(obs.main)
    calls = [c for c in resolve(body, "choices[].message.tool_calls[]") if c is not MISSING]
    if not calls:
        fail("tools were given and a question needs them, but no tool_calls came back")
    for call in calls:
        name = call.get("function", {}).get("name")
        if name not in obs.values["tools"]:
            fail(f"tool_calls names {name!r}, which was not declared ({obs.values['tools']})")
        try:
            json.loads(call["function"].get("arguments") or "{}")
        except (ValueError, TypeError, KeyError):
            fail(f"tool call arguments are not JSON: {call.get('function')!r}")


@register("at_most_one_tool_call")
def at_most_one_tool_call(claim: Claim, obs: Observation) -> None:
    body = require_ok(obs.main)
    calls = [c for c in resolve(body, "choices[].message.tool_calls[]") if c is not MISSING]
    if len(calls) > 1:
        fail(f"parallel_tool_calls=false but {len(calls)} tool calls came back")


@register("stream_sse")
def stream_sse(claim: Claim, obs: Observation) -> None:
    """A stream of chat.completion.chunk events ending with data: [DONE]."""
    require_ok(obs.main, "the streamed request")
    response = obs.main.response
    assert response is not None
    if not response.is_sse:
        fail(f"stream=true should answer text/event-stream, got {response.headers.get('content-type')!r}")
    events = response.events
    if not events or events[-1].data.strip() != "[DONE]":
        fail(f"the stream should end with data: [DONE]; last event: {events[-1].data[:80] if events else None!r}")
    chunks = _sse_json(obs)
    if not chunks or any(c.get("object") != "chat.completion.chunk" for c in chunks):
        fail(f"every event should be a chat.completion.chunk: {[c.get('object') for c in chunks][:5]}")


@register("stream_usage")
def stream_usage(claim: Claim, obs: Observation) -> None:
    """stream_options.include_usage gives a chunk with usage."""
    require_ok(obs.main, "the streamed request")
    usages = [c.get("usage") for c in _sse_json(obs) if isinstance(c.get("usage"), dict)]
    if not usages:
        fail("stream_options.include_usage=true but no chunk carried usage")
    final = usages[-1]
    for key in ("prompt_tokens", "completion_tokens", "total_tokens"):
        if not isinstance(final.get(key), int) or final[key] < 0:
            fail(f"the usage chunk's {key} should be a non-negative integer: {final!r}")
