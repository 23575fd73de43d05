"""HTTP plumbing of the fake servers: a stdlib ThreadingHTTPServer on 127.0.0.1 that hands every request to a handler.

Nothing here knows a provider: a handler turns a :class:`Request` into a :class:`Reply` (a JSON body or a list
of server-sent events), and :class:`HttpServer` records what came in and writes what goes out.
"""

from __future__ import annotations

import copy
import json
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, NamedTuple, TypeVar
from urllib.parse import parse_qsl, urlsplit

LOCALHOST = "127.0.0.1"
_S = TypeVar("_S", bound="HttpServer")


class Recorded(NamedTuple):
    """One request as it arrived: method, path (with its query string), lower-case headers, JSON body."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Request:
    method: str
    path: str  # without the query string
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: Any = None  # the parsed JSON body; None when absent or not JSON
    size: int = 0  # bytes in the body (its content-length; the bytes themselves are dropped above READ_LIMIT)
    raw: bytes = b""  # the body as sent (multipart uploads, JSONL); empty above READ_LIMIT


READ_LIMIT = 8 * 1024 * 1024
"""Bodies larger than this (the over-limit probes' 32 MB to 500 MB) are judged by their content-length alone:
their bytes are read off the socket in blocks and dropped, never held, so the client gets its answer cleanly."""
DRAIN_BLOCK = 1024 * 1024

SseEvent = tuple[str | None, Any]
"""One server-sent event: its ``event:`` name (or None) and its data (JSON-encoded unless it is a str)."""


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # sent as JSON
    events: list[SseEvent] | None = None  # sent as text/event-stream instead of a body
    headers: dict[str, str] = field(default_factory=dict)
    kind: str = ""  # what the reply is ("chat", "chat-stream", "error", ...), for faults to pick their targets


Handler = Callable[[Request], Reply]


def encode_events(events: list[SseEvent]) -> list[bytes]:
    out = []
    for name, data in events:
        text = data if isinstance(data, str) else json.dumps(data)
        prefix = f"event: {name}\n" if name else ""
        out.append(f"{prefix}data: {text}\n\n".encode())
    return out


class _RequestHandler(BaseHTTPRequestHandler):
    server: _Http
    protocol_version = "HTTP/1.1"  # with ``keep_alive``, connections stay open between JSON answers, as a provider's do
    disable_nagle_algorithm = True  # TCP_NODELAY: else kept-alive connections get their answers ~40 ms late

    def _serve(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if self.headers.get("transfer-encoding"):  # a chunked body is not read here: nothing after it can be
            self.close_connection = True
        raw = self.rfile.read(length) if 0 < length <= READ_LIMIT else b""
        if length > READ_LIMIT:
            self._drain(length)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        headers = {k.lower(): v for k, v in self.headers.items()}
        split = urlsplit(self.path)
        owner = self.server.owner
        with owner.lock:
            owner.requests.append(Recorded(self.command, self.path, headers, body))
        query = dict(parse_qsl(split.query))
        request = Request(self.command, split.path, query, dict(headers), copy.deepcopy(body), length, raw)
        try:
            reply = owner.handler(request)
        except Exception:  # a bug in a fake: answer 500 and keep it for the test to see
            owner.errors.append(traceback.format_exc())
            reply = Reply(500, {"error": {"message": "fake server crashed", "type": "server_error"}}, kind="error")
        self._write(reply)

    def _drain(self, length: int) -> None:
        """Read ``length`` body bytes off the socket without keeping them."""
        left = length
        while left > 0:
            block = self.rfile.read(min(left, DRAIN_BLOCK))
            if not block:
                return
            left -= len(block)

    def _write(self, reply: Reply) -> None:
        self.send_response(reply.status)
        if reply.events is not None:
            self.send_header("content-type", "text/event-stream")
            self.send_header("cache-control", "no-cache")
            self.send_header("connection", "close")  # a stream has no length: its end is the connection's
            self.close_connection = True
            chunks = encode_events(reply.events)
        else:
            data = b"" if reply.body is None else json.dumps(reply.body).encode()
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            if not self.server.owner.keep_alive:
                self.send_header("connection", "close")
                self.close_connection = True
            chunks = [data]
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        for chunk in chunks:
            self.wfile.write(chunk)
            self.wfile.flush()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


class _Http(ThreadingHTTPServer):
    daemon_threads = True
    owner: HttpServer


class HttpServer:
    """A real HTTP server in a daemon thread; ``with HttpServer(handler) as server: server.url``."""

    def __init__(self, handler: Handler, host: str = LOCALHOST, port: int = 0, *, keep_alive: bool = False) -> None:
        self.handler = handler
        self.keep_alive = keep_alive  # off: every answer closes its connection, so no test leaves a socket open
        self.host = host
        self.port = port
        self.requests: list[Recorded] = []
        self.errors: list[str] = []  # tracebacks of handler crashes
        self.lock = threading.Lock()
        self._http: _Http | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        if self._http is None:
            raise RuntimeError("the server is not running: use it as a context manager or call start()")
        return f"http://{self.host}:{self._http.server_address[1]}"

    def start(self: _S) -> _S:
        if self._http is None:
            self._http = _Http((self.host, self.port), _RequestHandler)
            self._http.owner = self
            self._thread = threading.Thread(
                target=self._http.serve_forever, args=(0.05,), name="fake-provider", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            if self._thread is not None:
                self._thread.join()
            self._http = self._thread = None

    def __enter__(self: _S) -> _S:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
