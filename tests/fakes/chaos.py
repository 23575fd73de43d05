"""A fake provider that misbehaves the way real ones do: rate limits, overload, stalls, cut streams, resets.

``with ChaosServer("openai", "429-storm") as server: server.base_url`` serves the faithful fake of that flavor
(127.0.0.1 only) with one fault in front of it. Faults, by name:

* ``429-storm``: the first ``times`` attempts of every distinct request get 429 with ``retry-after`` (then fine);
  ``times=None`` means every attempt.
* ``529``: every request gets Anthropic's 529 ``overloaded_error``.
* ``503``: every request gets a bare 503, no headers to say when to come back.
* ``slow``: the answer starts only after ``delay`` seconds (longer than the harness's timeout).
* ``cut``: a stream stops after half its events: the connection closes mid-body.
* ``stall``: a stream sends half its events, then nothing for ``delay`` seconds.
* ``malformed``: 200 with ``content-type: application/json`` and a body that is not JSON.
* ``html``: 200 with an HTML error page (``text/html``), as proxies, CDNs and captive portals send; like some
  debug pages, it echoes the request's credentials (so the canary test sees masking work on what came back).
* ``reset``: the request is read, then the connection is reset (TCP RST) with no answer.
* ``huge``: the faithful answer plus a ``padding`` field of ``size`` bytes.
* ``fine``: no fault (the faithful fake).

Every wait is bounded and ends when the server stops, so a test can never hang on it.
"""

from __future__ import annotations

import hashlib
import json
import socket
import struct
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from . import FakeServer
from .server import LOCALHOST, Reply, Request, encode_events

FAULTS = ("429-storm", "529", "503", "slow", "cut", "stall", "malformed", "html", "reset", "huge", "fine")
HTML_PAGE = (
    "<!DOCTYPE html><html><head><title>Attention Required! | Example CDN</title></head>"
    "<body><h1>Sorry, you have been blocked</h1><p>Ray ID: 0000fake</p><!-- request: {credentials} --></body></html>"
)


class _Handler(BaseHTTPRequestHandler):
    server: _Http
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        split = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        request = Request(
            method=self.command,
            path=split.path,
            query=dict(parse_qsl(split.query)),
            headers=headers,
            body=body,
            size=length,
        )
        self.server.owner.serve(self, request, raw)

    do_GET = do_POST = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Http(ThreadingHTTPServer):
    daemon_threads = True
    owner: ChaosServer

    def handle_error(self, request: Any, client_address: Any) -> None:  # resets and cut streams are the point
        pass


class ChaosServer:
    """The faithful fake of ``flavor`` behind one fault (see the module docstring)."""

    def __init__(
        self,
        flavor: str,
        fault: str,
        *,
        times: int | None = None,
        delay: float = 3.0,
        retry_after: str = "0.01",
        size: int = 6 * 1024 * 1024,
    ) -> None:
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; choose one of {', '.join(FAULTS)}")
        self.fake = FakeServer(flavor)
        self.fault = fault
        self.times = times
        self.delay = delay
        self.retry_after = retry_after
        self.size = size
        self.seen: Counter[str] = Counter()
        self.requests = 0
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self._http: _Http | None = None
        self._thread: threading.Thread | None = None

    # --- what to answer -----------------------------------------------------------------------------------------

    def serve(self, handler: _Handler, request: Request, raw: bytes) -> None:
        key = hashlib.sha256(f"{request.method} {request.path} ".encode() + raw).hexdigest()
        with self.lock:
            self.requests += 1
            self.seen[key] += 1
            nth = self.seen[key]
        fault = self.fault
        if fault == "429-storm" and (self.times is None or nth <= self.times):
            return self._json(
                handler, 429, _error("rate_limit_error", "Rate limited."), {"retry-after": self.retry_after}
            )
        if fault == "529":
            return self._json(
                handler, 529, {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
            )
        if fault == "503":
            return self._json(handler, 503, _error("unavailable", "Service unavailable."))
        if fault == "reset":
            return self._reset(handler)
        if fault == "malformed":
            return self._bytes(handler, 200, b'{"id": "chatcmpl-1", "choices": [{"index": 0, "mess', "application/json")
        if fault == "html":
            credentials = " ".join(request.headers.get(k, "") for k in ("authorization", "x-api-key", "x-goog-api-key"))
            page = HTML_PAGE.format(credentials=credentials.strip()).encode()
            return self._bytes(handler, 200, page, "text/html; charset=UTF-8")
        if fault == "slow" and self.stopping.wait(self.delay):
            return None
        reply = self.fake.handle(request)
        if fault == "huge" and isinstance(reply.body, dict):
            reply.body["padding"] = "x" * self.size
        if reply.events is not None and fault in ("cut", "stall"):
            return self._broken_stream(handler, reply)
        return self._reply(handler, reply)

    # --- writing ------------------------------------------------------------------------------------------------

    def _json(self, handler: _Handler, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self._bytes(handler, status, json.dumps(body).encode(), "application/json", headers)

    def _bytes(
        self, handler: _Handler, status: int, data: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        handler.send_response(status)
        handler.send_header("content-type", content_type)
        handler.send_header("content-length", str(len(data)))
        handler.send_header("connection", "close")  # no pooled sockets left behind in the client
        handler.close_connection = True
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)
        handler.wfile.flush()

    def _reply(self, handler: _Handler, reply: Reply) -> None:
        if reply.events is None:
            data = b"" if reply.body is None else json.dumps(reply.body).encode()
            return self._bytes(handler, reply.status, data, "application/json", reply.headers)
        data = b"".join(encode_events(reply.events))
        return self._bytes(handler, reply.status, data, "text/event-stream", reply.headers)

    def _broken_stream(self, handler: _Handler, reply: Reply) -> None:
        chunks = encode_events(reply.events or [])
        half = chunks[: max(1, len(chunks) // 2)]
        handler.send_response(reply.status)
        handler.send_header("content-type", "text/event-stream")
        handler.send_header("transfer-encoding", "chunked")
        handler.send_header("connection", "close")
        handler.end_headers()
        for chunk in half:
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            handler.wfile.flush()
        if self.fault == "stall":
            self.stopping.wait(self.delay)
        handler.close_connection = True
        handler.connection.shutdown(socket.SHUT_RDWR)

    def _reset(self, handler: _Handler) -> None:
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.close_connection = True
        handler.connection.close()

    # --- lifecycle ----------------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._http is not None, "use the server as a context manager"
        return f"http://{LOCALHOST}:{self._http.server_address[1]}"

    @property
    def base_url(self) -> str:
        return self.url + self.fake.flavor.root

    def __enter__(self) -> ChaosServer:
        self._http = _Http((LOCALHOST, 0), _Handler)
        self._http.owner = self
        self._thread = threading.Thread(target=self._http.serve_forever, args=(0.05,), name="chaos", daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stopping.set()
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


def _error(kind: str, message: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "code": kind}}
