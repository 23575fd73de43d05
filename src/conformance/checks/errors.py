"""Checks on error status codes and body shapes."""

from __future__ import annotations

from typing import Any

from conformance.checks import reference
from conformance.checks.registry import fail, register, require_rejected
from conformance.exchange.model import Observation
from conformance.spec.model import Claim, Sdk


def openai_shape(body: Any) -> str | None:
    """None when ``body`` is ``{"error": {"message": str, ...}}``; else what is wrong."""
    if isinstance(body, list):
        return "the body is a JSON list, not an object with an 'error' key"
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        return "no 'error' object"
    if not isinstance(body["error"].get("message"), str):
        return "error.message is not a string"
    return None


def anthropic_shape(body: Any) -> str | None:
    if not isinstance(body, dict) or body.get("type") != "error" or not isinstance(body.get("error"), dict):
        return "expected {'type': 'error', 'error': {...}}"
    error = body["error"]
    if not isinstance(error.get("type"), str) or not isinstance(error.get("message"), str):
        return "error.type and error.message must be strings"
    return None


def google_shape(body: Any) -> str | None:
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        return "expected {'error': {'code', 'message', 'status'}}"
    error = body["error"]
    if not isinstance(error.get("code"), int) or not isinstance(error.get("message"), str):
        return "error.code must be an integer and error.message a string"
    return None


SHAPES = {Sdk.OPENAI: openai_shape, Sdk.ANTHROPIC: anthropic_shape, Sdk.GOOGLE_GENAI: google_shape}


@register("error_shape")
def error_shape(claim: Claim, obs: Observation) -> None:
    """A 4xx in the documented body shape (and status/type/code where the claim names them)."""
    call = obs.main
    status = require_rejected(call, f"the {call.label} request")
    expected_status = claim.params.get("status_code") or claim.params.get("error_status")
    if expected_status and status != expected_status:
        fail(f"expected HTTP {expected_status}, got {status}")
    response = call.response
    assert response is not None
    sdk = Sdk(obs.values.get("sdk", "openai"))
    problem = SHAPES[sdk](response.json)
    if problem:
        fail(f"error body is not in the documented {sdk.value} shape: {problem}; body: {response.body[:300]}")
    error = response.json.get("error", {}) if isinstance(response.json, dict) else {}
    wrong = reference.problems(error, reference.constraints(claim, sdk.value))
    if wrong:
        fail(f"the error object {wrong[0]}; body: {response.body[:300]}")
    for key in ("type", "code"):
        if key in claim.params and error.get(key) != claim.params[key]:
            fail(f"error.{key} should be {claim.params[key]!r}, got {error.get(key)!r}")


@register("too_large")
def too_large(claim: Claim, obs: Observation) -> None:
    """A body over a documented size limit is refused in the error shape, with the limit's status and type."""
    error_shape(claim, obs)
    response = obs.main.response
    assert response is not None
    expected = claim.params.get("error_type") or claim.params.get("type")
    error = response.json.get("error", {}) if isinstance(response.json, dict) else {}
    if expected and error.get("type") != expected:
        fail(
            f"a {obs.values.get('body_bytes')}-byte body: error.type should be {expected!r}, got {error.get('type')!r}"
        )
