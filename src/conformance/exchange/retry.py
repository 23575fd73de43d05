"""Retries of live sends: which answers deserve another attempt, and how long to wait before it.

A provider's hiccup (429 rate limited, 503 unavailable, Anthropic's 529 overloaded, a connection that failed
before any answer) is retried as ``retry-after-ms`` / ``retry-after`` asks, capped, or with exponential backoff
and jitter. When the attempts run out the send raises :class:`RetriesExhausted`, a transport error: the probe's
outcome is then ``error`` with the reason, never ``fail`` (the provider said nothing about the claim).

What is *not* retried: a response that had started (a stream cut or stalled mid-body: the provider answered and
may have charged for it), a read timeout (a slow answer would only be slow again), and every other status.
The loop is tenacity's (already installed with google-genai); the policy is ours.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

import httpx2
from tenacity import AsyncRetrying, RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_random_exponential

from conformance.defaults import DEFAULT_RETRIES, DEFAULT_RETRY_CAP
from conformance.errors import NoAnswer

RETRY_STATUSES = frozenset({429, 503, 529})
BACKOFF_BASE = 0.5
"""First backoff window in seconds (full jitter: a wait is uniform in [0, min(cap, base * 2**n)])."""

RETRIED_ERRORS: tuple[type[httpx2.TransportError], ...] = (
    httpx2.ConnectError,
    httpx2.ConnectTimeout,
    httpx2.ReadError,
    httpx2.WriteError,
    httpx2.RemoteProtocolError,
)
"""Connection failures before any response: nothing reached the provider, or nothing came back."""


class RetryableStatus(NoAnswer):
    """A 429 / 503 / 529 answer, raised inside the retry loop; carries the wait the provider asked for."""

    def __init__(self, status: int, headers: Mapping[str, str]) -> None:
        self.status = status
        self.retry_after = retry_after(headers)
        hint = f", retry-after {self.retry_after:g} s" if self.retry_after is not None else ""
        super().__init__(f"HTTP {status}{hint}")


class ResponseBroken(httpx2.TransportError, NoAnswer):
    """A response whose body stopped (stalled past the timeout, cut, or too large): never retried.

    ``received`` holds the bytes that did arrive; the message says how many and shows their start.
    """

    def __init__(self, message: str, received: bytes, timed_out: bool) -> None:
        super().__init__(message)
        self.received = received
        self.timed_out = timed_out


class RetriesExhausted(httpx2.TransportError, NoAnswer):
    """Every attempt met a 429 / 503 / 529 or a connection failure; the message gives the count and the last."""


def retry_after(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Seconds the server asks us to wait: ``retry-after-ms``, else ``retry-after`` (seconds or an HTTP date)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    millis = lowered.get("retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = lowered.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


def retryable(exc: BaseException) -> bool:
    if isinstance(exc, RetryableStatus):
        return True
    return isinstance(exc, RETRIED_ERRORS) and not isinstance(exc, ResponseBroken)


def describe(exc: BaseException) -> str:
    if isinstance(exc, RetryableStatus):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many times to retry (after the first attempt) and the longest single wait, in seconds.

    ``wait=False`` retries without sleeping: replaying a cassette that holds the 429 and the 200 that followed.
    """

    retries: int = DEFAULT_RETRIES
    cap: float = DEFAULT_RETRY_CAP
    base: float = BACKOFF_BASE
    wait: bool = True

    @property
    def attempts(self) -> int:
        return self.retries + 1

    def delay(self, state: RetryCallState) -> float:
        """The provider's ``retry-after`` when it gave one, else exponential backoff with jitter; both capped."""
        if not self.wait:
            return 0.0
        exc = state.outcome.exception() if state.outcome is not None else None
        hinted = exc.retry_after if isinstance(exc, RetryableStatus) else None
        if hinted is not None:
            return min(hinted, self.cap)
        return float(wait_random_exponential(multiplier=self.base, max=self.cap)(state))

    def retrying(self) -> Retrying:
        return Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=self.delay,
            retry=retry_if_exception(retryable),
            sleep=time.sleep,
            reraise=True,
        )

    def async_retrying(self) -> AsyncRetrying:
        return AsyncRetrying(
            stop=stop_after_attempt(self.attempts), wait=self.delay, retry=retry_if_exception(retryable), reraise=True
        )


NO_RETRY = RetryPolicy(retries=0)


def exhausted(exc: BaseException, attempts: int) -> BaseException:
    """What to raise once the loop has stopped: a RetriesExhausted for a retryable cause, else ``exc`` itself."""
    if not retryable(exc):
        return exc
    if attempts <= 1 and not isinstance(exc, RetryableStatus):
        return exc
    noun = "attempt" if attempts == 1 else "attempts"
    return RetriesExhausted(f"gave up after {attempts} {noun}: {describe(exc)}")


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def unreachable(base_url: str, exc: BaseException) -> str:
    """Why a send got no answer to judge, from the transport error under the SDK's own wrapper."""
    root = next((c for c in _causes(exc) if isinstance(c, httpx2.HTTPError)), None)
    if isinstance(root, ResponseBroken):
        return f"{base_url} answered, then the {root}"
    if isinstance(root, RetriesExhausted) and "HTTP " in str(root):
        return f"no usable answer from {base_url}: {root}"
    if isinstance(root, httpx2.ReadTimeout):
        return f"no answer from {base_url} within the timeout (--conformance-timeout): ReadTimeout: {root}"
    shown = root if root is not None else exc
    return f"could not reach {base_url}: {type(shown).__name__}: {shown}"


def malformed(exc: BaseException, response_status: int | None, content_type: str) -> bool:
    """The SDK choked on a 2xx JSON body that is not JSON: a broken answer, not evidence about a claim."""
    return (
        isinstance(exc, json.JSONDecodeError)
        and response_status is not None
        and 200 <= response_status < 300
        and "json" in content_type
    )
