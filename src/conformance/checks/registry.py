"""Checks: small named functions ``(claim, observation) -> None`` that raise :class:`ConformanceFailure`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn

from conformance.probes.base import Call, Observation
from conformance.spec.model import Claim

Check = Callable[[Claim, Observation], None]
CHECKS: dict[str, Check] = {}
MISSING: Any = type("Missing", (), {"__repr__": lambda self: "<absent>"})()


class ConformanceFailure(AssertionError):
    """The provider's answer contradicts the claim; the message says how."""


class CouldNotTell(Exception):
    """The exchange lacks the evidence the check needs (no tool call, no SSE event, no usage chunk): the outcome is
    "could not tell" with this reason, never a pass."""


def cannot_tell(reason: str) -> NoReturn:
    raise CouldNotTell(reason)


def register(name: str) -> Callable[[Check], Check]:
    def decorate(fn: Check) -> Check:
        if name in CHECKS:
            raise ValueError(f"check {name!r} registered twice")
        CHECKS[name] = fn
        return fn

    return decorate


def fail(message: str) -> None:
    raise ConformanceFailure(message)


def resolve(data: Any, path: str) -> list[Any]:
    """Every value at a dotted path (``[]`` fans out over arrays); MISSING where a step is absent."""
    values = [data]
    for part in path.split("."):
        fan = part.endswith("[]")
        key = part[:-2] if fan else part
        step: list[Any] = []
        for value in values:
            if key:
                value = value.get(key, MISSING) if isinstance(value, dict) else MISSING
            if fan and isinstance(value, list):
                step.extend(value or [MISSING])
            else:
                step.append(value)
        values = step
    return values


def require_ok(call: Call, what: str = "the request") -> dict[str, Any]:
    """The call succeeded with 2xx and a JSON body (or SSE); return the body (``{}`` for SSE)."""
    response = call.response
    if response is None:
        fail(f"{what} got no response ({call.error!r})")
        raise AssertionError  # unreachable: fail raises
    if not 200 <= response.status < 300:
        fail(f"{what} was rejected with HTTP {response.status}: {response.body[:300]}")
    if call.error is not None:
        fail(f"the SDK could not use the answer to {what}: {type(call.error).__name__}: {call.error}")
    body = response.json
    return body if isinstance(body, dict) else {}


def require_rejected(call: Call, what: str) -> int:
    """The call was refused with a 4xx; return the status."""
    status = call.status
    if status is None:
        fail(f"{what} got no response ({call.error!r})")
        raise AssertionError
    if not 400 <= status < 500:
        fail(f"{what} should be rejected with a 4xx error but got HTTP {status}")
    return status


def is_empty(value: Any) -> bool:
    return value is MISSING or value is None or value in ("", [], {})
