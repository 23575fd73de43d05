"""Checks on request fields and response fields, by status."""

from __future__ import annotations

import json
from typing import Any

from conformance.checks import reference
from conformance.checks.registry import (
    MISSING,
    cannot_tell,
    fail,
    is_empty,
    register,
    require_ok,
    require_rejected,
    resolve,
)
from conformance.exchange.model import Observation
from conformance.spec.model import Claim


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
    if claim.field == "response_format":
        obeyed = [c for c in _contents(body) if isinstance(_json_object(c), dict)]
        if obeyed:
            fail(
                f"response_format is documented as ignored, but the answer obeys it (a JSON object): {obeyed[0][:120]!r}"
            )


def _contents(body: dict[str, Any]) -> list[str]:
    return [c for c in resolve(body, "choices[].message.content") if isinstance(c, str)]


def _json_object(text: str) -> Any:
    """The JSON value of an answer text (a Markdown code fence around it allowed), or None."""
    stripped = text.strip()
    if stripped.startswith("```"):
        stripped = stripped.strip("`").removeprefix("json").strip()
    try:
        return json.loads(stripped)
    except ValueError:
        return None


@register("json_answer")
def json_answer(claim: Claim, obs: Observation) -> None:
    """response_format json_object / json_schema: accepted, and the answer is a JSON object (with the schema's
    required keys, for json_schema)."""
    body = require_ok(obs.main, f"a request with response_format={obs.values.get('response_format')!r}")
    contents = _contents(body)
    if not contents:
        cannot_tell("the answer carries no message content to read as JSON")
    asked = obs.values.get("response_format") or {}
    for content in contents:
        value = _json_object(content)
        if not isinstance(value, dict):
            fail(f"response_format {asked.get('type')!r} asks for a JSON object, but the answer is {content[:120]!r}")
        schema = (asked.get("json_schema") or {}).get("schema") or {}
        lacking = [k for k in schema.get("required", []) if k not in value]
        if lacking:
            fail(f"the JSON answer lacks the schema's required keys {lacking}: {content[:120]!r}")


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
    """A value beyond the documented maximum (and, where the doc gives one, below the minimum) is refused with the
    documented status; one within the range is accepted."""
    over = obs.values.get(claim.field)
    expected = claim.params.get("error_status")
    refused = [("over-limit", over, f"above the documented max {claim.params['max']}")]
    if "min" in claim.params:
        refused.append(
            ("under-limit", obs.values.get(f"{claim.field} (under the limit)"), f"below {claim.params['min']}")
        )
    for label, value, why in refused:
        status = require_rejected(obs.call(label), f"{claim.field}={value!r} ({why})")
        if expected is not None and status != expected:
            fail(f"{claim.field}={value!r} was refused with HTTP {status}, the doc says {expected}")
    require_ok(obs.call("within-limit"), f"{claim.field} within the limit")


@register("rejected")
def rejected(claim: Claim, obs: Observation) -> None:
    """The request is refused with a 4xx: a value the doc does not allow (a negative control: outside the documented
    enum, an empty list where one item is the minimum; or a recorded request with such a value)."""
    require_rejected(obs.main, f"a request with {claim.field}={obs.values.get(claim.field)!r}")


@register("required")
def required(claim: Claim, obs: Observation) -> None:
    """Leaving the field or header out gets a 4xx (the documented status, if any); the control is accepted."""
    status = require_rejected(obs.call("without"), f"a request without {claim.field}")
    expected = claim.params.get("error_status")
    if expected is not None and status != expected:
        fail(f"a request without {claim.field} was refused with HTTP {status}, the doc says {expected}")
    require_ok(obs.call("with"), f"the same request with {claim.field}")


def placed(body: Any, field: str) -> list[tuple[Any, Any]]:
    """Every (holder, value) at a dotted path: the object holding the last key, and its value (MISSING if absent).
    Holders that are not there (no ``choices`` at all) give nothing."""
    head, _, last = field.rpartition(".")
    holders = resolve(body, head) if head else [body]
    if last.endswith("[]"):
        return [(h, v) for h in holders if isinstance(h, dict) for v in resolve(h, last)]
    return [(h, h.get(last, MISSING)) for h in holders if isinstance(h, dict)]


def held_to_reference(claim: Claim, obs: Observation, found: list[tuple[Any, Any]], nullable: bool = False) -> None:
    """Every present value obeys the field's constraints (its own params, or the reference's for ``supported``)."""
    rules = reference.constraints(claim, str(obs.values.get("sdk", "openai")))
    for holder, value in found:
        if value is MISSING or (value is None and nullable):
            continue
        wrong = reference.problems(value, rules, holder)
        if wrong:
            fail(f"{claim.field} {wrong[0]}")


def _holders(claim: Claim, body: dict[str, Any]) -> list[tuple[Any, Any]]:
    found = placed(body, claim.field)
    if not found:
        cannot_tell(f"the answer has no {claim.field.rpartition('.')[0] or 'body'} to hold {claim.field}")
    return found


@register("response_present")
def response_present(claim: Claim, obs: Observation) -> None:
    """The response field is present, not null, and as the reference documents it (type, value, keys)."""
    body = require_ok(obs.main)
    found = _holders(claim, body)
    values = [v for _, v in found]
    if "[]" in claim.field.rsplit(".", 1)[0] + "." and any(v is not MISSING and v is not None for v in values):
        held_to_reference(claim, obs, found)
        return  # an array of blocks of several types (text, tool_use): the field is in the blocks that have it
    if any(v is MISSING or v is None for v in values):
        fail(f"response field {claim.field} is documented as supported but is {values[0]!r} in the response")
    held_to_reference(claim, obs, found)


@register("response_key_present")
def response_key_present(claim: Claim, obs: Observation) -> None:
    """The response field is present; null is a value (for fields the API defines as nullable, e.g. ``refusal``)."""
    body = require_ok(obs.main)
    found = _holders(claim, body)
    if any(v is MISSING for _, v in found):
        fail(f"response field {claim.field} is documented as always present (possibly null) but is absent")
    held_to_reference(claim, obs, found, nullable=True)


@register("response_if_present")
def response_if_present(claim: Claim, obs: Observation) -> None:
    """An optional response field (not required by the reference): absent is allowed (could not tell), and when
    present it is null or as documented (type, value)."""
    body = require_ok(obs.main)
    found = [(h, v) for h, v in _holders(claim, body) if v is not MISSING]
    if not found:
        cannot_tell(f"{claim.field} is optional and this answer does not carry it")
    held_to_reference(claim, obs, found, nullable=True)


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
    _holders(claim, body)
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
    values = [v for _, v in _holders(claim, body) if not is_empty(v)]
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
    contents = _contents(body)
    stop = obs.values["stop"][0]
    if not contents:
        cannot_tell("no message content came back to look for the stop sequence in")
    if any(stop in c for c in contents):  # a stop sequence is a substring ("7," holds "7"), not a word
        fail(f"stop={obs.values['stop']} but the answer contains {stop!r}: {contents[0][:120]!r}")
    reasons = resolve(body, "choices[].finish_reason")
    if reasons != ["stop"]:
        fail(f"a stop sequence should end with finish_reason 'stop', got {reasons}")


@register("tool_calls")
def tool_calls(claim: Claim, obs: Observation) -> None:
    """tool_calls come back, naming declared tools, with JSON arguments."""
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
    """parallel_tool_calls=false with a question that needs two tools: exactly one call (none shows nothing)."""
    body = require_ok(obs.main)
    calls = [c for c in resolve(body, "choices[].message.tool_calls[]") if c is not MISSING]
    if not calls:
        cannot_tell("no tool call came back, so whether calls are made one at a time cannot be seen")
    if len(calls) > 1:
        fail(f"parallel_tool_calls=false but {len(calls)} tool calls came back")


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
