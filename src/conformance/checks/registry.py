"""Checks: small named functions ``(claim, observation) -> None`` that raise :class:`ConformanceFailure`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn

from conformance.errors import CheckSignal
from conformance.exchange.model import Call, Observation, SseEvent
from conformance.spec.model import Claim

Check = Callable[[Claim, Observation], None]
CHECKS: dict[str, Check] = {}
MISSING: Any = type("Missing", (), {"__repr__": lambda self: "<absent>"})()


class ConformanceFailure(CheckSignal, AssertionError):
    """The provider's answer contradicts the claim; the message says how."""


class CouldNotTell(CheckSignal):
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


def is_stream_request(call: Call) -> bool:
    """Whether the call asked for a stream: ``stream: true`` in the body, ``alt=sse`` or ``:streamGenerateContent``."""
    if not call.attempts:
        return False
    request = call.attempts[-1].request
    body = request.json
    asked = isinstance(body, dict) and body.get("stream") is True
    return asked or "alt=sse" in request.url or request.path.endswith(":streamGenerateContent")


def require_stream(call: Call, what: str = "the streamed request") -> list[SseEvent]:
    """The call asked for a stream and got one: 2xx, ``text/event-stream`` and at least one event; its events.

    A stream request answered with a JSON body, or an event stream with no event, contradicts every stream claim
    (the server did not stream), so both fail rather than pass with nothing to judge."""
    require_ok(call, what)
    response = call.response
    assert response is not None
    if not response.is_sse:
        kind = response.headers.get("content-type")
        fail(f"{what} asked for a stream but the answer is {kind!r}, not text/event-stream: {response.body[:160]!r}")
    events = response.events
    if not events:
        fail(f"{what} answered text/event-stream with no event at all")
    return events


def is_empty(value: Any) -> bool:
    return value is MISSING or value is None or value in ("", [], {})
