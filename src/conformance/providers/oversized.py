"""Request bodies just over a documented size limit, streamed in blocks so that no copy of them is ever held.

A 32 MB (or 256 MB, or 500 MB) body built as one string, then JSON-encoded, then UTF-8-encoded would be three
copies in memory; here the body is a head, ``fill`` bytes of ``a`` sent one block at a time, and a tail, with
its ``content-length`` known in advance. The recorded request keeps the headers and a summary of the body (the
head, the number of padding bytes and the tail), never the padding itself, so results and cassettes stay small.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx2

from conformance.exchange.model import Attempt, Call, RecordedRequest, RecordedResponse
from conformance.providers.base import ProbeContext
from conformance.providers.clients import perform

MARGIN = 64 * 1024
"""How far over the limit a body goes: enough to be over under any rounding, small next to the limit."""
BLOCK = 1024 * 1024
PADDING_MARK = "@@conformance-padding@@"


@dataclass(frozen=True, slots=True)
class PaddedBody:
    """``head + b"a" * fill + tail``, produced lazily."""

    head: bytes
    fill: int
    tail: bytes
    content_type: str

    @property
    def size(self) -> int:
        return len(self.head) + self.fill + len(self.tail)

    def chunks(self) -> Iterator[bytes]:
        yield self.head
        block = b"a" * min(BLOCK, self.fill)
        left = self.fill
        while left > 0:
            step = min(left, len(block))
            yield block if step == len(block) else block[:step]
            left -= step
        yield self.tail

    def summary(self) -> str:
        """What the recorded request shows instead of the body."""
        head, tail = self.head.decode(errors="replace"), self.tail.decode(errors="replace")
        return f"{head}<{self.fill} bytes of 'a' not kept>{tail} ({self.size} bytes in all)"


def over_limit(limit: int) -> int:
    """The total body size a probe sends for a documented limit of ``limit`` bytes."""
    return limit + MARGIN


def json_over(limit: int, template: Any) -> PaddedBody:
    """A JSON body of ``over_limit(limit)`` bytes: ``template`` with its one :data:`PADDING_MARK` string padded."""
    text = json.dumps(template, separators=(",", ":"))
    head, mark, tail = text.partition(PADDING_MARK)
    if not mark:
        raise ValueError(f"the template has no {PADDING_MARK!r} string to pad")
    head_b, tail_b = head.encode(), tail.encode()
    return PaddedBody(head_b, over_limit(limit) - len(head_b) - len(tail_b), tail_b, "application/json")


def multipart_over(limit: int, field: str, filename: str, mime_type: str) -> PaddedBody:
    """A ``multipart/form-data`` body of ``over_limit(limit)`` bytes whose one file part is the padding."""
    boundary = f"conformance-{uuid.uuid4().hex}"
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
        f"Content-Type: {mime_type}\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    return PaddedBody(
        head, over_limit(limit) - len(head) - len(tail), tail, f"multipart/form-data; boundary={boundary}"
    )


def send(ctx: ProbeContext, label: str, url: str, headers: dict[str, str], body: PaddedBody) -> Call:
    """POST ``body`` to ``url`` through the run's transport; the attempt is recorded with the body summarised."""
    sent = {**{k.lower(): v for k, v in headers.items()}, "content-type": body.content_type}
    sent["content-length"] = str(body.size)
    request = RecordedRequest("POST", url, sent, body.summary())

    def post() -> httpx2.Response:
        start = time.perf_counter()
        transport = ctx.recorder.transport or httpx2.HTTPTransport()
        with httpx2.Client(transport=transport, timeout=ctx.timeout) as client:
            try:
                response: httpx2.Response = client.post(url, headers=sent, content=body.chunks())
            except httpx2.HTTPError as exc:
                elapsed = (time.perf_counter() - start) * 1000
                ctx.recorder.attempts.append(Attempt(request, None, f"{type(exc).__name__}: {exc}", elapsed))
                raise
        recorded = RecordedResponse(
            response.status_code,
            {k.lower(): v for k, v in response.headers.items()},
            response.content.decode("utf-8", errors="replace"),
        )
        ctx.recorder.attempts.append(Attempt(request, recorded, None, (time.perf_counter() - start) * 1000))
        return response

    return perform(ctx, label, post)
