"""Checks on response and request headers."""

from __future__ import annotations

from conformance.checks.registry import fail, register, require_ok, require_rejected
from conformance.exchange.model import Call, Observation
from conformance.spec.model import Claim


def _header(obs: Observation, name: str) -> str | None:
    response = obs.main.response
    return None if response is None else response.headers.get(name.lower())


@register("header_present")
def header_present(claim: Claim, obs: Observation) -> None:
    """The header is on the answer; for a header documented on every response (``every_response: true``), on the
    error answers the probe provoked too."""
    require_ok(obs.main)
    if not _header(obs, claim.field):
        fail(f"response header {claim.field} is documented but was not sent")
    if not claim.params.get("every_response"):
        return
    for call in obs.calls[1:]:
        if call.response is None or 200 <= call.response.status < 300:
            continue
        if not call.response.headers.get(claim.field.lower()):
            fail(
                f"response header {claim.field} is documented on every response, but the HTTP "
                f"{call.response.status} answer to the {call.label} request lacks it"
            )


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
    """The key is sent as Authorization: Bearer and accepted; a request with no credentials at all is refused with
    401 in the API's error shape (the negative control, where the probe sent one)."""
    require_ok(obs.main)
    sent = obs.main.attempts[-1].request.headers.get("authorization", "")
    if not sent.lower().startswith("bearer "):
        fail("the request did not carry Authorization: Bearer")
    for call in obs.calls[1:]:
        if call.label == "no-credentials":
            no_credentials_refused(call)


def no_credentials_refused(call: Call) -> None:
    """A request without any key: 401, in the OpenAI error shape."""
    from conformance.checks.errors import openai_shape

    status = require_rejected(call, "a request with no credentials at all")
    if status != 401:
        fail(f"a request with no credentials at all was refused with HTTP {status}, not 401")
    assert call.response is not None
    problem = openai_shape(call.response.json)
    if problem:
        fail(f"the 401 for a request with no credentials is not in the error shape: {problem}")


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
