"""Checks on response and request headers."""

from __future__ import annotations

from conformance.checks.registry import fail, register, require_ok
from conformance.probes.base import Observation
from conformance.spec.model import Claim


def _header(obs: Observation, name: str) -> str | None:
    response = obs.main.response
    return None if response is None else response.headers.get(name.lower())


@register("header_present")
def header_present(claim: Claim, obs: Observation) -> None:
    require_ok(obs.main)
    if not _header(obs, claim.field):
        fail(f"response header {claim.field} is documented but was not sent")


@register("header_constant")
def header_constant(claim: Claim, obs: Observation) -> None:
    require_ok(obs.main)
    value = _header(obs, claim.field)
    if value != str(claim.params["value"]):
        fail(f"response header {claim.field} should always be {claim.params['value']!r}, got {value!r}")


@register("header_empty")
def header_empty(claim: Claim, obs: Observation) -> None:
    require_ok(obs.main)
    value = _header(obs, claim.field)
    if value not in (None, ""):
        fail(f"response header {claim.field} is documented as always empty, got {value!r}")


@register("bearer_auth")
def bearer_auth(claim: Claim, obs: Observation) -> None:
    """The key is sent as Authorization: Bearer and accepted."""
    require_ok(obs.main)
    sent = obs.main.attempts[-1].request.headers.get("authorization", "")
    if not sent.lower().startswith("bearer "):
        fail("the request did not carry Authorization: Bearer")


@register("header_sent_and_accepted")
def header_sent_and_accepted(claim: Claim, obs: Observation) -> None:
    """The SDK sends the documented request header and the provider accepts the request."""
    require_ok(obs.main)
    sent = obs.main.attempts[-1].request.headers
    if claim.field.lower() not in sent:
        fail(f"the request did not carry {claim.field}")
    expected = claim.params.get("value")
    if expected is not None and not sent[claim.field.lower()].startswith(str(expected)):
        fail(f"{claim.field} was {sent[claim.field.lower()]!r}, documented {expected!r}")
