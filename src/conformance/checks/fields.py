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


@register("own_model_names_only")
def own_model_names_only(claim: Claim, obs: Observation) -> None:
    """Only the provider's model names: an OpenAI name is refused with a 4xx, the provider's own is accepted."""
    require_rejected(
        obs.call("foreign-model"), f"model={obs.values.get('model')!r} ({claim.params.get('restriction')})"
    )
    require_ok(obs.call("own-model"), "the same request with the run's own model")


@register("limited")
def limited(claim: Claim, obs: Observation) -> None:
    """A value beyond the documented maximum is refused (with the documented status); one within it is accepted."""
    over = obs.values.get(claim.field)
    status = require_rejected(
        obs.call("over-limit"), f"{claim.field}={over!r} (above the documented max {claim.params['max']})"
    )
    expected = claim.params.get("error_status")
    if expected is not None and status != expected:
        fail(f"{claim.field}={over!r} was refused with HTTP {status}, the doc says {expected}")
    require_ok(obs.call("within-limit"), f"{claim.field} within the limit")


@register("rejected")
def rejected(claim: Claim, obs: Observation) -> None:
    """The request is refused with a 4xx (a recorded request with a value the doc does not allow)."""
    require_rejected(obs.main, f"a request with {claim.field}={obs.values.get(claim.field)!r}")


@register("required")
def required(claim: Claim, obs: Observation) -> None:
    """Leaving the field or header out gets a 4xx (the documented status, if any); the control is accepted."""
    status = require_rejected(obs.call("without"), f"a request without {claim.field}")
    expected = claim.params.get("error_status")
    if expected is not None and status != expected:
        fail(f"a request without {claim.field} was refused with HTTP {status}, the doc says {expected}")
    require_ok(obs.call("with"), f"the same request with {claim.field}")


@register("response_present")
def response_present(claim: Claim, obs: Observation) -> None:
    """The response field is present and not null."""
    body = require_ok(obs.main)
    values = resolve(body, claim.field)
    if "[]" in claim.field.rsplit(".", 1)[0] + "." and any(v is not MISSING and v is not None for v in values):
        return  # an array of blocks of several types (text, tool_use): the field is in the blocks that have it
    if any(v is MISSING or v is None for v in values):
        fail(f"response field {claim.field} is documented as supported but is {values[0]!r} in the response")


@register("response_key_present")
def response_key_present(claim: Claim, obs: Observation) -> None:
    """The response field is present; null is a value (for fields the API defines as nullable, e.g. ``refusal``)."""
    body = require_ok(obs.main)
    values = resolve(body, claim.field)
    if any(v is MISSING for v in values):
        fail(f"response field {claim.field} is documented as always present (possibly null) but is absent")


@register("response_row_shorthand")
def response_row_shorthand(claim: Claim, obs: Observation) -> None:
    """A compat table's bare row (``finish_reason``, ``content``): present at the top level or where OpenAI puts it."""
    body = require_ok(obs.main)
    places = [claim.field, f"choices[].{claim.field}", f"choices[].message.{claim.field}"]
    for place in places:
        values = resolve(body, place)
        if values and all(v is not MISSING and v is not None for v in values):
            return
    fail(f"{claim.field} is documented as supported but is absent or null at {', '.join(places)}")


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
    _stream_field(claim, chunks)


_EVERY_CHUNK = ("id", "object", "created", "model")


def _stream_field(claim: Claim, chunks: list[Any]) -> None:
    """The claim's own field: in every chunk (id, object, created, model), or with content somewhere (deltas)."""
    field = claim.field
    if claim.location.value != "stream" or field in ("stream", "done", "[DONE]") or "usage" in field:
        return
    if field in _EVERY_CHUNK:
        lacking = [i for i, chunk in enumerate(chunks) if chunk.get(field) in (None, "")]
        if lacking:
            fail(f"chunk(s) {lacking[:5]} of {len(chunks)} have no {field}")
        return
    if field.startswith("choices[]"):
        found = [v for c in chunks for v in resolve(c, field) if not is_empty(v)]
        if not found:
            fail(f"no chunk carried {field}")


@register("choices_match_n")
def choices_match_n(claim: Claim, obs: Observation) -> None:
    """choices has n entries (1 when n is not sent)."""
    body = require_ok(obs.main)
    expected = obs.values.get("n", 1)
    choices = body.get("choices")
    if not isinstance(choices, list) or len(choices) != expected:
        got = len(choices) if isinstance(choices, list) else choices
        fail(f"choices should have n={expected} entries, got {got!r}")


@register("logprobs_returned")
def logprobs_returned(claim: Claim, obs: Observation) -> None:
    """logprobs: true gives choices[].logprobs.content, one entry per output token with token and logprob."""
    body = require_ok(obs.main, "a request with logprobs=true")
    contents = resolve(body, "choices[].logprobs.content")
    if not contents or any(not isinstance(c, list) or not c for c in contents):
        fail(f"logprobs=true but choices[].logprobs.content is {contents!r}")
    for entry in (e for c in contents for e in c):
        if not isinstance(entry, dict) or not isinstance(entry.get("logprob"), int | float) or "token" not in entry:
            fail(f"a logprobs entry lacks token/logprob: {entry!r}")


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
