"""What went over the wire: every attempt's raw request and response (SSE events parsed), kept beside the SDK's
objects, and the masked, trimmed summaries of them that results and messages carry. :mod:`conformance.exchange.
recorder` records them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from conformance import bounded
from conformance.exchange.redact import redact_headers, redact_text
from conformance.exchange.secret import Secrets, revealed


@dataclass(frozen=True, slots=True)
class SseEvent:
    """One server-sent event: its ``event`` name (if any) and its ``data`` text."""

    data: str
    event: str | None = None

    def json(self) -> Any:
        return bounded.loads(self.data)


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
    """The body as JSON, or None. Not :func:`conformance.bounded.loads`, which would double the cost of every
    check: recordings with too-deep bodies are left out when read, and a live answer is under the body limit."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser recurses
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
        """A ``text/event-stream`` answer; with no content-type at all (a recorder that dropped the response
        headers), a body framed as server-sent events (it opens with a ``data:`` or ``event:`` field)."""
        content_type = self.headers.get("content-type")
        if content_type is not None:
            return "text/event-stream" in content_type
        return self.body.lstrip().startswith(("data:", "event:"))

    @property
    def events(self) -> list[SseEvent]:
        return parse_sse(self.body)


@dataclass(frozen=True, slots=True)
class Attempt:
    """One HTTP request and what came back (a response, or a transport error); ``waited_s`` is how long the retry
    loop slept before sending it (0 for a first attempt)."""

    request: RecordedRequest
    response: RecordedResponse | None
    error: str | None
    elapsed_ms: float
    waited_s: float = 0.0


mask_headers = redact_headers
"""Headers safe to print (:func:`conformance.exchange.redact.redact_headers`)."""
mask_text = redact_text
"""Text with every known key masked (:func:`conformance.exchange.redact.redact_text`)."""


def trim(text: str, limit: int = 1500) -> str:
    return text if len(text) <= limit else text[:limit] + f"… ({len(text) - limit} more characters)"


OBSERVED_BODY_CHARS = 600
"""How much of a request or response body a results record keeps (the cassette keeps all of it)."""


def attempt_summary(attempt: Attempt, secrets: Secrets = ()) -> dict[str, Any]:
    """What a results record keeps of one exchange: the request line and body, the response's headers and body;
    secrets masked before trimming, so no cut can leave part of a key behind."""
    plain = revealed(secrets)
    request = attempt.request
    sent = mask_text(f"{request.method} {request.path}\n{request.body}".rstrip(), plain)
    summary: dict[str, Any] = {"request": trim(sent, OBSERVED_BODY_CHARS)}
    return summary | _answer(attempt, plain, OBSERVED_BODY_CHARS)


def _answer(attempt: Attempt, plain: tuple[str, ...], limit: int) -> dict[str, Any]:
    response = attempt.response
    if response is not None:
        headers = redact_headers(response.headers, plain, caller=True)
        return {
            "response_headers": dict(sorted(headers.items())),
            "response_body": trim(mask_text(response.body, plain), limit),
        }
    if attempt.error:
        return {"transport_error": trim(mask_text(attempt.error, plain), limit)}
    return {}


HISTORY_BODY_CHARS = 300
"""How much of each attempt's answer the attempt history keeps (the last attempt is kept longer beside it)."""


def attempt_history(attempts: list[Attempt], secrets: Secrets = ()) -> list[dict[str, Any]]:
    """Every attempt of a call, retries included, for a results record: the wait before it, its status (or
    transport error), the answer's headers and the start of its body; secrets masked."""
    plain = revealed(secrets)
    return [
        {
            "status": a.response.status if a.response is not None else None,
            "waited_s": a.waited_s,
            "elapsed_ms": round(a.elapsed_ms, 2),
        }
        | _answer(a, plain, HISTORY_BODY_CHARS)
        for a in attempts
    ]


@dataclass
class Call:
    """One SDK call inside a probe: its label, the SDK's result or the SDK's exception."""

    label: str
    result: Any = None
    error: BaseException | None = None
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def response(self) -> RecordedResponse | None:
        for attempt in reversed(self.attempts):
            if attempt.response is not None:
                return attempt.response
        return None

    @property
    def status(self) -> int | None:
        response = self.response
        return response.status if response else None

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 300


@dataclass
class Observation:
    """All a probe saw: its SDK calls (each with its raw attempts) and the values it chose."""

    calls: list[Call] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def call(self, label: str) -> Call:
        for call in self.calls:
            if call.label == label:
                return call
        raise KeyError(label)

    @property
    def main(self) -> Call:
        return self.calls[0]

    def describe(self, secrets: Secrets = ()) -> str:
        """The request(s) sent and what came back, secrets masked, bodies trimmed."""
        secrets = revealed(secrets)
        lines: list[str] = []
        for call in self.calls:
            for attempt in call.attempts:
                req = attempt.request
                lines.append(f"[{call.label}] {req.method} {mask_text(req.url, secrets)}")
                lines.append(f"  request headers: {json.dumps(mask_headers(req.headers, secrets))}")
                if req.body:
                    lines.append(f"  request body: {trim(mask_text(req.body, secrets), 600)}")
                if attempt.response is not None:
                    resp = attempt.response
                    lines.append(f"  -> {resp.status} headers: {json.dumps(mask_headers(resp.headers, secrets))}")
                    lines.append(f"  -> body: {trim(mask_text(resp.body, secrets), 900)}")
                else:
                    lines.append(f"  -> no response: {attempt.error}")
            if call.error is not None and not call.attempts:
                lines.append(f"[{call.label}] SDK raised before sending: {call.error!r}")
        return "\n".join(lines)
