"""The recording transport: the ``httpx2`` transport that records each request and response of a probe.

The SDKs send through ``httpx2``. :class:`Recorder` hands them an ``httpx2`` client
whose transport wraps the real one (or any other, e.g. a replay or mock transport)
and records each request and response as it passes, bodies and SSE events included.

The SDK clients of live runs are built once per process and reused (:mod:`conformance.providers.clients`): their
``httpx2`` clients (:func:`routed_client`, :func:`routed_async_client`) hold no connection and no recorder of
their own. Each request goes to the recorder of the probe running it (:meth:`Recorder.active`, a context variable
set around the probe: asyncio tasks inherit it, each sender thread sets its own), is recorded there, and is sent
through that recorder's transport: its provider's one shared connection :class:`Pool` (sync), a replay's
transport, or a connection of the probe's own (async clients: an event loop's connections stay with that loop).
"""

from __future__ import annotations

import contextlib
import functools
import ssl
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx2
from tenacity import AsyncRetrying, Retrying

from conformance.exchange.model import Attempt, RecordedRequest, RecordedResponse, trim
from conformance.exchange.retry import (
    NO_RETRY,
    RETRY_STATUSES,
    ResponseBroken,
    RetryableStatus,
    RetryPolicy,
    exhausted,
)


def _headers(headers: httpx2.Headers) -> dict[str, str]:
    merged: dict[str, str] = {}
    for key, value in headers.multi_items():
        k = key.lower()
        merged[k] = f"{merged[k]}, {value}" if k in merged else value
    return merged


def _record_request(request: httpx2.Request) -> RecordedRequest:
    body = request.content.decode("utf-8", errors="replace") if request.content else ""
    return RecordedRequest(request.method, str(request.url), _headers(request.headers), body)


def _rebuilt(response: httpx2.Response, content: bytes, request: httpx2.Request) -> httpx2.Response:
    # The body is already decoded: drop the encoding headers so the SDK does not decode it twice.
    headers = [
        (k, v) for k, v in response.headers.multi_items() if k.lower() not in ("content-encoding", "content-length")
    ]
    return httpx2.Response(response.status_code, headers=headers, content=content, request=request)


MAX_BODY_BYTES = 64 * 1024 * 1024
"""A response body larger than this stops being read: the attempt ends as an error, memory stays bounded."""


KEPT_OF_OVERSIZED = 64 * 1024


@functools.lru_cache(maxsize=1)
def ssl_context() -> ssl.SSLContext:
    """One verifying TLS context per process: building one (CA bundle included) costs more than a local exchange."""
    return httpx2.create_ssl_context()


class Gate(Protocol):
    """A provider's traffic control (``conformance.run.traffic.ProviderTraffic``): budget, slots, counters."""

    def admit(self, attempt: int) -> None: ...

    def answered(self, attempt: Attempt) -> None: ...

    def hold(self) -> AbstractContextManager[None]: ...

    def hold_async(self) -> AbstractAsyncContextManager[None]: ...


def _broken(exc: httpx2.HTTPError, received: bytes, limit: float | None) -> ResponseBroken:
    timed_out = isinstance(exc, httpx2.TimeoutException)
    what = f"stalled (no bytes for {limit:g} s)" if timed_out and limit else f"broke off ({type(exc).__name__}: {exc})"
    shown = trim(received.decode("utf-8", errors="replace"), 300)
    return ResponseBroken(f"response body {what} after {len(received)} bytes: {shown!r}", received, timed_out)


def _read_timeout(request: httpx2.Request) -> float | None:
    timeout = request.extensions.get("timeout")
    value = timeout.get("read") if isinstance(timeout, dict) else None
    return float(value) if isinstance(value, (int, float)) else None


class Pool:
    """One provider's shared ``httpx2`` connection pool (sync), opened when first used.

    Closed by :meth:`close` at the end of the run, or when the pool is garbage-collected (or at exit), so no
    kept-alive socket is left to a ``ResourceWarning``. A probe still in flight after :meth:`close` (a run stopped
    early) gets a transport error, never a new connection.
    """

    def __init__(self) -> None:
        self._transport: httpx2.HTTPTransport | None = None
        self._closed = False
        self._lock = threading.Lock()
        self._finalizer: weakref.finalize[Any, Pool] | None = None

    def transport(self) -> httpx2.BaseTransport:
        with self._lock:
            if self._closed:
                raise httpx2.TransportError("the run is over: its connection pool is closed")
            if self._transport is None:
                self._transport = httpx2.HTTPTransport(verify=ssl_context())
                self._finalizer = weakref.finalize(self, self._transport.close)
            return self._transport

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._finalizer is not None:
                self._finalizer()  # closes the transport, once


class _Borrowed(httpx2.BaseTransport):
    """A shared transport handed to one probe's client: closing that client leaves the pool open."""

    def __init__(self, inner: httpx2.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        return self.inner.handle_request(request)

    def close(self) -> None:
        pass


_current: ContextVar[Recorder | None] = ContextVar("conformance_recorder", default=None)


def current_recorder() -> Recorder | None:
    """The recorder of the probe running in this thread or task (:meth:`Recorder.active`), if any."""
    return _current.get()


@dataclass
class Recorder:
    """Collects the attempts of one probe; makes the ``httpx2`` clients the SDKs are given.

    Every attempt is kept, retries included. Without a ``policy`` a request is sent once and any status is
    handed to the SDK; with one, 429 / 503 / 529 and connection failures are retried and, once the attempts
    run out, raise :class:`~conformance.exchange.retry.RetriesExhausted`. A ``gate`` counts each attempt
    against its provider's budget and holds one of the provider's in-flight slots while it is on the wire.
    """

    transport: httpx2.BaseTransport | None = None
    async_transport: httpx2.AsyncBaseTransport | None = None
    attempts: list[Attempt] = field(default_factory=list)
    policy: RetryPolicy | None = None
    gate: Gate | None = None
    max_body: int = MAX_BODY_BYTES
    pool: Pool | None = None
    """The provider's shared connections (a live recorder); without one, each client gets connections of its own."""
    clients: list[httpx2.Client] = field(default_factory=list)
    async_clients: list[httpx2.AsyncClient] = field(default_factory=list)
    own: list[httpx2.BaseTransport] = field(default_factory=list)
    async_own: list[httpx2.AsyncBaseTransport] = field(default_factory=list)

    def client(self, timeout: float) -> httpx2.Client:
        """A client of this probe's own, recording here (its connections are the provider's pool, if it has one)."""
        inner = self.transport or (
            _Borrowed(self.pool.transport()) if self.pool is not None else httpx2.HTTPTransport(verify=ssl_context())
        )
        self.clients.append(httpx2.Client(transport=_RecordingTransport(self, inner), timeout=timeout))
        return self.clients[-1]

    def async_client(self, timeout: float) -> httpx2.AsyncClient:
        inner = self.async_transport or httpx2.AsyncHTTPTransport(verify=ssl_context())
        self.async_clients.append(httpx2.AsyncClient(transport=_AsyncRecordingTransport(self, inner), timeout=timeout))
        return self.async_clients[-1]

    @contextlib.contextmanager
    def active(self) -> Iterator[Recorder]:
        """Make this the recorder the routed clients send through, in this thread or task, while the probe runs."""
        token = _current.set(self)
        try:
            yield self
        finally:
            _current.reset(token)

    def routed(self) -> httpx2.BaseTransport:
        """Where a routed sync client's request goes: the given transport, the provider's pool, or a connection
        pool of this probe's own (closed with the probe)."""
        if self.transport is not None:
            return self.transport
        if self.pool is not None:
            return self.pool.transport()
        if not self.own:
            self.own.append(httpx2.HTTPTransport(verify=ssl_context()))
        return self.own[0]

    def routed_async(self) -> httpx2.AsyncBaseTransport:
        """Where a routed async client's request goes: the given transport, or connections of this probe's own
        (bound to the probe's event loop; closed with the probe)."""
        if self.async_transport is not None:
            return self.async_transport
        if not self.async_own:
            self.async_own.append(httpx2.AsyncHTTPTransport(verify=ssl_context()))
        return self.async_own[0]

    def close(self) -> None:
        """Close the sync clients and connections of this probe's own (the provider's pool stays open)."""
        while self.clients:
            self.clients.pop().close()
        while self.own:
            self.own.pop().close()

    async def aclose(self) -> None:
        """Close every client and connection of this probe's own, async ones included."""
        self.close()
        while self.async_clients:
            await self.async_clients.pop().aclose()
        while self.async_own:
            await self.async_own.pop().aclose()

    def add(
        self,
        request: httpx2.Request,
        response: httpx2.Response | None,
        error: str | None,
        start: float,
        content: bytes | None = None,
        waited: float = 0.0,
    ) -> Attempt:
        recorded = None
        if response is not None:
            body = response.content if content is None else content
            text = body.decode("utf-8", errors="replace")
            recorded = RecordedResponse(response.status_code, _headers(response.headers), text)
        elapsed = (time.perf_counter() - start) * 1000
        attempt = Attempt(_record_request(request), recorded, error, elapsed, round(waited, 3))
        self.attempts.append(attempt)
        if self.gate is not None:
            self.gate.answered(attempt)
        return attempt

    def _take(self, chunks: list[bytes], chunk: bytes, size: int) -> int:
        chunks.append(chunk)
        size += len(chunk)
        if size > self.max_body:
            raise ResponseBroken(f"response body over {self.max_body} bytes: stopped reading", b"", False)
        return size

    def read(self, response: httpx2.Response, request: httpx2.Request) -> bytes:
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_bytes():
                size = self._take(chunks, chunk, size)
        except ResponseBroken as exc:
            raise ResponseBroken(str(exc), b"".join(chunks)[:KEPT_OF_OVERSIZED], False) from None
        except httpx2.HTTPError as exc:
            raise _broken(exc, b"".join(chunks), _read_timeout(request)) from exc
        finally:
            response.close()
        return b"".join(chunks)

    async def aread(self, response: httpx2.Response, request: httpx2.Request) -> bytes:
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in response.aiter_bytes():
                size = self._take(chunks, chunk, size)
        except ResponseBroken as exc:
            raise ResponseBroken(str(exc), b"".join(chunks)[:KEPT_OF_OVERSIZED], False) from None
        except httpx2.HTTPError as exc:
            raise _broken(exc, b"".join(chunks), _read_timeout(request)) from exc
        finally:
            await response.aclose()
        return b"".join(chunks)

    def outcome(
        self, request: httpx2.Request, response: httpx2.Response, content: bytes, start: float, waited: float
    ) -> None:
        """Record an answer; a 429 / 503 / 529 raises RetryableStatus so the retry loop tries again."""
        self.add(request, response, None, start, content, waited)
        if self.policy is not None and response.status_code in RETRY_STATUSES:
            raise RetryableStatus(response.status_code, response.headers)

    def failure(
        self, request: httpx2.Request, exc: httpx2.HTTPError, start: float, status: int | None, waited: float
    ) -> None:
        received = exc.received if isinstance(exc, ResponseBroken) else None
        response = None
        if status is not None and received is not None:
            response = httpx2.Response(status, request=request)
        self.add(request, response, f"{type(exc).__name__}: {exc}", start, received, waited)

    def retrying(self) -> Retrying:
        return (self.policy or NO_RETRY).retrying()

    def async_retrying(self) -> AsyncRetrying:
        return (self.policy or NO_RETRY).async_retrying()


class _RecordingTransport(httpx2.BaseTransport):
    def __init__(self, recorder: Recorder, inner: httpx2.BaseTransport) -> None:
        self.recorder = recorder
        self.inner = inner

    def _once(self, request: httpx2.Request, number: int, waited: float = 0.0) -> httpx2.Response:
        recorder = self.recorder
        if recorder.gate is not None:
            recorder.gate.admit(number)
        hold = recorder.gate.hold() if recorder.gate is not None else contextlib.nullcontext()
        with hold:
            start = time.perf_counter()
            status: int | None = None
            try:
                response = self.inner.handle_request(request)
                status = response.status_code
                content = recorder.read(response, request)
            except httpx2.HTTPError as exc:
                recorder.failure(request, exc, start, status, waited)
                raise
        recorder.outcome(request, response, content, start, waited)
        return _rebuilt(response, content, request)

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        request.read()
        number = 0
        if self.recorder.policy is None:
            return self._once(request, 1)
        slept = 0.0
        try:
            for attempt in self.recorder.retrying():
                with attempt:
                    state = attempt.retry_state
                    number, waited, slept = state.attempt_number, state.idle_for - slept, state.idle_for
                    return self._once(request, number, waited)
        except (RetryableStatus, httpx2.HTTPError) as exc:
            final = exhausted(exc, number)
            if final is exc:
                raise
            raise final from exc
        raise AssertionError("unreachable: the retry loop returns or raises")  # pragma: no cover

    def close(self) -> None:
        self.inner.close()


class _AsyncRecordingTransport(httpx2.AsyncBaseTransport):
    def __init__(self, recorder: Recorder, inner: httpx2.AsyncBaseTransport) -> None:
        self.recorder = recorder
        self.inner = inner

    async def _once(self, request: httpx2.Request, number: int, waited: float = 0.0) -> httpx2.Response:
        recorder = self.recorder
        if recorder.gate is not None:
            recorder.gate.admit(number)
        hold = recorder.gate.hold_async() if recorder.gate is not None else contextlib.nullcontext()
        async with hold:
            start = time.perf_counter()
            status: int | None = None
            try:
                response = await self.inner.handle_async_request(request)
                status = response.status_code
                content = await recorder.aread(response, request)
            except httpx2.HTTPError as exc:
                recorder.failure(request, exc, start, status, waited)
                raise
        recorder.outcome(request, response, content, start, waited)
        return _rebuilt(response, content, request)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        await request.aread()
        number = 0
        if self.recorder.policy is None:
            return await self._once(request, 1)
        slept = 0.0
        try:
            async for attempt in self.recorder.async_retrying():
                with attempt:
                    state = attempt.retry_state
                    number, waited, slept = state.attempt_number, state.idle_for - slept, state.idle_for
                    return await self._once(request, number, waited)
        except (RetryableStatus, httpx2.HTTPError) as exc:
            final = exhausted(exc, number)
            if final is exc:
                raise
            raise final from exc
        raise AssertionError("unreachable: the retry loop returns or raises")  # pragma: no cover

    async def aclose(self) -> None:
        await self.inner.aclose()


def _running() -> Recorder:
    recorder = _current.get()
    if recorder is None:
        raise RuntimeError("a shared SDK client sent a request outside a probe (no Recorder.active())")
    return recorder


class _RoutedTransport(httpx2.BaseTransport):
    """The transport of a shared client: each request recorded by, and sent through, the running probe's recorder."""

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        recorder = _running()
        return _RecordingTransport(recorder, recorder.routed()).handle_request(request)


class _AsyncRoutedTransport(httpx2.AsyncBaseTransport):
    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        recorder = _running()
        return await _AsyncRecordingTransport(recorder, recorder.routed_async()).handle_async_request(request)


def routed_client(timeout: float) -> httpx2.Client:
    """An ``httpx2`` client for a shared SDK client: it holds no connection; each request is recorded by the
    running probe's recorder (:meth:`Recorder.active`) and sent through its transport."""
    return httpx2.Client(transport=_RoutedTransport(), timeout=timeout)


def routed_async_client(timeout: float) -> httpx2.AsyncClient:
    """:func:`routed_client` for the async SDK clients (usable from any event loop: it holds no connection)."""
    return httpx2.AsyncClient(transport=_AsyncRoutedTransport(), timeout=timeout)
