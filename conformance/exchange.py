"""What went over the wire: every attempt's raw request and response, kept beside the SDK's objects.

The SDKs send through ``httpx2``. :class:`Recorder` hands them an ``httpx2`` client
whose transport wraps the real one (or any other, e.g. a replay or mock transport)
and records each request and response as it passes, bodies and SSE events included.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx2

SECRET_HEADERS = frozenset({"authorization", "x-api-key", "x-goog-api-key", "api-key", "cookie", "set-cookie"})
MASK = "***"


@dataclass(frozen=True, slots=True)
class SseEvent:
    """One server-sent event: its ``event`` name (if any) and its ``data`` text."""

    data: str
    event: str | None = None

    def json(self) -> Any:
        return json.loads(self.data)


def parse_sse(text: str) -> list[SseEvent]:
    """Split an ``text/event-stream`` body into events (comments and retry lines dropped)."""
    events: list[SseEvent] = []
    data: list[str] = []
    name: str | None = None
    for line in text.replace("\r\n", "\n").split("\n"):
        if not line:
            if data:
                events.append(SseEvent("\n".join(data), name))
            data, name = [], None
            continue
        if line.startswith(":"):
            continue
        key, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if key == "data":
            data.append(value)
        elif key == "event":
            name = value
    if data:
        events.append(SseEvent("\n".join(data), name))
    return events


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    method: str
    url: str
    headers: dict[str, str]
    body: str

    @property
    def json(self) -> Any:
        return _json_or_none(self.body) if self.body else None

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc


@dataclass(frozen=True, slots=True)
class RecordedResponse:
    status: int
    headers: dict[str, str]
    body: str

    @property
    def json(self) -> Any:
        return _json_or_none(self.body)

    @property
    def is_sse(self) -> bool:
        return "text/event-stream" in self.headers.get("content-type", "")

    @property
    def events(self) -> list[SseEvent]:
        return parse_sse(self.body)


@dataclass(frozen=True, slots=True)
class Attempt:
    """One HTTP request and what came back (a response, or a transport error)."""

    request: RecordedRequest
    response: RecordedResponse | None
    error: str | None
    elapsed_ms: float


def _headers(headers: httpx2.Headers) -> dict[str, str]:
    merged: dict[str, str] = {}
    for key, value in headers.multi_items():
        k = key.lower()
        merged[k] = f"{merged[k]}, {value}" if k in merged else value
    return merged


def _record_request(request: httpx2.Request) -> RecordedRequest:
    body = request.content.decode("utf-8", errors="replace") if request.content else ""
    return RecordedRequest(request.method, str(request.url), _headers(request.headers), body)


def _rebuilt(response: httpx2.Response, request: httpx2.Request) -> httpx2.Response:
    # The body is already decoded: drop the encoding headers so the SDK does not decode it twice.
    headers = [
        (k, v) for k, v in response.headers.multi_items() if k.lower() not in ("content-encoding", "content-length")
    ]
    return httpx2.Response(response.status_code, headers=headers, content=response.content, request=request)


@dataclass
class Recorder:
    """Collects the attempts of one probe; makes the ``httpx2`` clients the SDKs are given."""

    transport: httpx2.BaseTransport | None = None
    async_transport: httpx2.AsyncBaseTransport | None = None
    attempts: list[Attempt] = field(default_factory=list)

    def client(self, timeout: float) -> httpx2.Client:
        return httpx2.Client(
            transport=_RecordingTransport(self, self.transport or httpx2.HTTPTransport()), timeout=timeout
        )

    def async_client(self, timeout: float) -> httpx2.AsyncClient:
        inner = self.async_transport or httpx2.AsyncHTTPTransport()
        return httpx2.AsyncClient(transport=_AsyncRecordingTransport(self, inner), timeout=timeout)

    def add(self, request: httpx2.Request, response: httpx2.Response | None, error: str | None, start: float) -> None:
        recorded = None
        if response is not None:
            text = response.content.decode("utf-8", errors="replace")
            recorded = RecordedResponse(response.status_code, _headers(response.headers), text)
        self.attempts.append(Attempt(_record_request(request), recorded, error, (time.perf_counter() - start) * 1000))


class _RecordingTransport(httpx2.BaseTransport):
    def __init__(self, recorder: Recorder, inner: httpx2.BaseTransport) -> None:
        self.recorder = recorder
        self.inner = inner

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        start = time.perf_counter()
        request.read()
        try:
            response = self.inner.handle_request(request)
            response.read()
        except httpx2.HTTPError as exc:
            self.recorder.add(request, None, f"{type(exc).__name__}: {exc}", start)
            raise
        self.recorder.add(request, response, None, start)
        return _rebuilt(response, request)

    def close(self) -> None:
        self.inner.close()


class _AsyncRecordingTransport(httpx2.AsyncBaseTransport):
    def __init__(self, recorder: Recorder, inner: httpx2.AsyncBaseTransport) -> None:
        self.recorder = recorder
        self.inner = inner

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        start = time.perf_counter()
        await request.aread()
        try:
            response = await self.inner.handle_async_request(request)
            await response.aread()
        except httpx2.HTTPError as exc:
            self.recorder.add(request, None, f"{type(exc).__name__}: {exc}", start)
            raise
        self.recorder.add(request, response, None, start)
        return _rebuilt(response, request)

    async def aclose(self) -> None:
        await self.inner.aclose()


MIN_SECRET_LENGTH = 8
"""A key shorter than this (``ANTHROPIC_API_KEY=x`` against a local server) is masked only where it is a whole
header value: replacing every ``x`` in a body would make the output unreadable and protects nothing."""


def _contains_secret(value: str, secrets: tuple[str, ...]) -> bool:
    return any(s and (s == value or (len(s) >= MIN_SECRET_LENGTH and s in value)) for s in secrets)


def mask_headers(headers: dict[str, str], secrets: tuple[str, ...] = ()) -> dict[str, str]:
    """Headers safe to print: secret-bearing ones and any value containing a known key are masked."""
    masked: dict[str, str] = {}
    for key, value in headers.items():
        if key.lower() in SECRET_HEADERS or _contains_secret(value, secrets):
            masked[key] = MASK
        else:
            masked[key] = value
    return masked


def mask_text(text: str, secrets: tuple[str, ...]) -> str:
    """``text`` with every known key (of at least MIN_SECRET_LENGTH characters) replaced."""
    for secret in secrets:
        if len(secret) >= MIN_SECRET_LENGTH:
            text = text.replace(secret, MASK)
    return text


def trim(text: str, limit: int = 1500) -> str:
    return text if len(text) <= limit else text[:limit] + f"… ({len(text) - limit} more characters)"
