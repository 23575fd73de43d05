"""Checks on endpoints and on behaviours that span several fields."""

from __future__ import annotations

from conformance.checks.registry import fail, register, require_ok, require_rejected, resolve
from conformance.probes import prompts
from conformance.probes.base import Observation
from conformance.spec.model import Claim


@register("endpoint_ok")
def endpoint_ok(claim: Claim, obs: Observation) -> None:
    """The endpoint answers 2xx with a JSON object the SDK parses."""
    for call in obs.calls:
        body = require_ok(call, f"{claim.field} ({call.label})")
        if not body and not (call.response and call.response.is_sse):
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
    """Every documented input of the mapping table is accepted."""
    if not obs.calls:
        fail("the mapping table has no inputs to send")
    for call in obs.calls:
        require_ok(call, call.label)


@register("exclusive_rejected")
def exclusive_rejected(claim: Claim, obs: Observation) -> None:
    require_rejected(obs.main, f"{claim.field} together with {claim.params.get('with')}")
