"""Checks on token accounting."""

from __future__ import annotations

from conformance.checks.fields import held_to_reference, placed
from conformance.checks.registry import MISSING, cannot_tell, fail, is_empty, register, require_ok, resolve
from conformance.exchange.model import Observation
from conformance.spec.model import Claim


@register("usage_field")
def usage_field(claim: Claim, obs: Observation) -> None:
    """A count is a non-negative integer; a *_details object is an object."""
    body = require_ok(obs.main)
    if not isinstance(body.get("usage"), dict) and claim.field.startswith("usage."):
        fail(f"the answer carries no usage object, so {claim.field} is missing: {str(body)[:160]}")
    values = resolve(body, claim.field)
    if not values:
        cannot_tell(f"nothing in the answer holds {claim.field}")
    for value in values:
        if claim.field.endswith("_details"):
            if not isinstance(value, dict):
                fail(f"{claim.field} should be an object, got {value!r}")
        elif not isinstance(value, int) or isinstance(value, bool) or value < 0:
            fail(f"{claim.field} should be a non-negative integer, got {value!r}")
    if claim.field == "usage.total_tokens":
        usage = body.get("usage", {})
        prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
        if isinstance(prompt, int) and isinstance(completion, int) and usage["total_tokens"] != prompt + completion:
            fail(f"total_tokens {usage['total_tokens']} != prompt_tokens {prompt} + completion_tokens {completion}")
    held_to_reference(claim, obs, placed(body, claim.field))


@register("usage_empty")
def usage_empty(claim: Claim, obs: Observation) -> None:
    """The usage field is absent, null or empty; an answer with no usage object at all shows nothing."""
    body = require_ok(obs.main)
    if claim.field.startswith("usage.") and not isinstance(body.get("usage"), dict):
        cannot_tell(f"the answer carries no usage object, so whether {claim.field} is empty cannot be seen")
    values = [v for v in resolve(body, claim.field) if not is_empty(v) and v is not MISSING]
    if values:
        fail(f"{claim.field} is documented as always empty, got {values[0]!r}")
