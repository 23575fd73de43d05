"""Checks on endpoints and on behaviours that span several fields."""

from __future__ import annotations

from typing import Any

from conformance.checks import prompts
from conformance.checks.registry import (
    cannot_tell,
    fail,
    is_stream_request,
    register,
    require_ok,
    require_rejected,
    require_stream,
    resolve,
)
from conformance.checks.stream import judge_stream
from conformance.exchange.model import Observation
from conformance.spec.model import Claim


@register("endpoint_ok")
def endpoint_ok(claim: Claim, obs: Observation) -> None:
    """The endpoint answers 2xx with a JSON object the SDK parses; a stream request, with a stream of events."""
    for call in obs.calls:
        if is_stream_request(call):
            require_stream(call, f"{claim.field} ({call.label})")
            if obs.values.get("sdk", "openai") == "openai":
                judge_stream(claim, call)  # a chat stream: the whole chunk grammar
            continue
        body = require_ok(call, f"{claim.field} ({call.label})")
        if not body:
            fail(f"{claim.field} answered without a JSON object")


@register("system_hoisting")
def system_hoisting(claim: Claim, obs: Observation) -> None:
    """A system message placed after the user's still reaches the model (it is hoisted, not dropped)."""
    body = require_ok(obs.main)
    text = " ".join(c for c in resolve(body, "choices[].message.content") if isinstance(c, str))
    if prompts.SECRET_WORD.lower() not in text.lower():
        fail(f"the later system message did not reach the model: asked for the secret word, got {text[:120]!r}")


@register("thinking_not_returned")
def thinking_not_returned(claim: Claim, obs: Observation) -> None:
    """Thinking is accepted, and no thinking text comes back through the OpenAI shape."""
    body = require_ok(obs.main)
    for key in ("reasoning_content", "reasoning", "thinking"):
        found = [v for v in resolve(body, f"choices[].message.{key}") if isinstance(v, str) and v]
        if found:
            fail(f"thinking text came back in choices[].message.{key}: {found[0][:80]!r}")


@register("mapped_inputs_accepted")
def mapped_inputs_accepted(claim: Claim, obs: Observation) -> None:
    """Every documented input of the mapping table is accepted; where a row maps to a token budget
    (``thinking_budget``), the reasoning tokens spent stay within it; a value outside the table is refused."""
    from conformance.checks.effects import reasoning_spent

    rows = {str(row.get("from")): row.get("to") for row in claim.params.get("mapping", []) if isinstance(row, dict)}
    if not obs.calls:
        fail("the mapping table has no inputs to send")
    for call in obs.calls:
        if call.label.startswith("negative:"):
            require_rejected(call, f"a request with {call.label.removeprefix('negative:')}, which the table lacks")
            continue
        body = require_ok(call, call.label)
        target = rows.get(call.label.partition("=")[2])
        budget = target.get("thinking_budget") if isinstance(target, dict) else None
        if not isinstance(budget, int):
            continue
        if not isinstance(body.get("usage"), dict):
            cannot_tell(f"the answer to {call.label} reports no usage, so the reasoning tokens spent cannot be seen")
        spent = reasoning_spent(body)
        if spent > budget:
            fail(f"{call.label} maps to thinking_budget {budget}, but {spent} reasoning tokens were spent")


@register("exclusive_rejected")
def exclusive_rejected(claim: Claim, obs: Observation) -> None:
    require_rejected(obs.main, f"{claim.field} together with {claim.params.get('with')}")


@register("system_messages_joined")
def system_messages_joined(claim: Claim, obs: Observation) -> None:
    """A system and a developer message both reach the model: asked for the code word each holds, it gives both."""
    body = require_ok(obs.main, "a request with a system and a developer message")
    text = " ".join(c for c in resolve(body, "choices[].message.content") if isinstance(c, str))
    lost = [word for word in obs.values.get("code_words", prompts.CODE_WORDS) if word.lower() not in text.lower()]
    if lost:
        fail(
            f"not every system/developer message reached the model: asked for the code words, the answer "
            f"{text[:120]!r} lacks {', '.join(lost)}"
        )


def _cached_tokens(body: dict[str, Any]) -> int:
    """Prompt tokens the answer reports as read from a cache (OpenAI's field, or Anthropic's name for it)."""
    found = [
        *resolve(body, "usage.prompt_tokens_details.cached_tokens"),
        *resolve(body, "usage.cache_read_input_tokens"),
    ]
    return max((v for v in found if isinstance(v, int) and not isinstance(v, bool)), default=0)


@register("prompt_not_cached")
def prompt_not_cached(claim: Claim, obs: Observation) -> None:
    """The same cacheable prompt sent twice: both accepted, and the repeat reads nothing from a cache."""
    first = obs.call("first")
    if first.status is not None and 400 <= first.status < 500:
        cannot_tell(
            f"the cacheable prompt was refused (HTTP {first.status}), which the doc allows (effect unspecified); "
            "no cache reads to look for"
        )
    require_ok(first, "the first request with a cacheable prompt")
    repeat = require_ok(obs.call("repeat"), "the same request again")
    cached = _cached_tokens(repeat)
    if cached > 0:
        fail(
            f"prompt caching is documented as not supported, but the repeated prompt "
            f"(>= {obs.values.get('cacheable_minimum_tokens')} tokens) reports {cached} cached tokens"
        )


@register("thought_signatures")
def thought_signatures(claim: Claim, obs: Observation) -> None:
    """A tool call carries ``extra_content.google.thought_signature``; echoing it back in the next turn is accepted.

    Gemini puts the signature on the first function call of a turn only (parallel calls after it carry none).
    """
    body = require_ok(obs.call("tool-call"), "a request with tools")
    calls = [c for c in resolve(body, "choices[].message.tool_calls[]") if isinstance(c, dict)]
    if not calls:
        cannot_tell("no tool call came back, so no thought signature could be looked for")
    signature = resolve(calls[0], "extra_content.google.thought_signature")[0]
    if not isinstance(signature, str) or not signature:
        fail(f"the tool call carries no extra_content.google.thought_signature (got {signature!r}): {calls[0]}")
    require_ok(obs.call("echo"), "the next turn echoing the tool call with its thought signature")
