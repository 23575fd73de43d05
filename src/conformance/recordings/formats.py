"""The recording formats other projects commit, each read into one neutral shape.

Every project that records LLM traffic picked its own cassette format: Python's vcrpy
(and pydantic-ai's variant of it, which stores JSON bodies as YAML under ``parsed_body``),
Ruby's VCR, R's vcr, Go's go-vcr, and Go's httprr (raw HTTP/1 messages with byte counts).
Llama Stack's recordings are of another kind: JSON files holding the SDK call (its keyword arguments) and the
SDK objects it returned (``__type__``/``__data__``), not the HTTP bytes; :func:`llama_stack` reads them and says
so in the exchange's notes. Each function here knows one format and nothing else; it returns a :class:`RawExchange`
with the bodies still as the file holds them (base64 already undone, gzip not yet), so
that decoding happens once, in :mod:`conformance.recordings.reader`, for every format.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from conformance.errors import UserInputError

VCRPY = "vcrpy"
RUBY_VCR = "ruby-vcr"
R_VCR = "r-vcr"
GO_VCR = "go-vcr"
HTTPRR = "httprr"
LLAMA_STACK = "llama-stack"
FORMATS = (VCRPY, RUBY_VCR, R_VCR, GO_VCR, HTTPRR, LLAMA_STACK)

HTTPRR_MAGIC = b"httprr trace v1\n"
RESTORE = "restore the file from its source or re-record it"
UNREADABLE_MARK = "not the text the API sent"
"""In the note of a body that is not the text that went over the wire (the reader then does not audit its answer)."""


class FormatError(UserInputError, ValueError):
    """A recording whose content does not have the shape its format requires.

    ``line`` is set only where the problem's own line is known (httprr records, YAML marks);
    otherwise the reader names the line of the interaction that holds the problem.
    """

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass(frozen=True)
class RawExchange:
    """One request and its response as a recording holds them: headers as pairs, bodies still content-encoded."""

    method: str
    url: str
    request_headers: tuple[tuple[str, str], ...]
    request_body: bytes | str
    status: int
    response_headers: tuple[tuple[str, str], ...]
    response_body: bytes | str
    notes: tuple[str, ...] = ()


# --- YAML ------------------------------------------------------------------------------------------------------------


class CassetteLoader(yaml.SafeLoader):
    """PyYAML's SafeLoader plus what cassettes written by other languages need.

    * ``!binary`` (Ruby's Psych) and ``!!binary`` (PyYAML) become bytes, with an error that names the line when
      the base64 is broken;
    * timestamps stay text: R's vcr writes ``recorded_at: 2026-08-02 17:45:05`` unquoted, and a header value or a
      pydantic-ai ``parsed_body`` field that looks like a date must come back byte for byte (and stay JSON-able).
    """


def _construct_binary(loader: yaml.SafeLoader, node: yaml.Node) -> bytes:
    if not isinstance(node, yaml.ScalarNode):
        raise yaml.constructor.ConstructorError(None, None, "a !binary value must be a base64 string", node.start_mark)
    text = "".join(loader.construct_scalar(node).split())
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise yaml.constructor.ConstructorError(
            None, None, f"a !binary body is not valid base64 ({exc}); {RESTORE}", node.start_mark
        ) from exc


def _construct_timestamp_as_text(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    if not isinstance(node, yaml.ScalarNode):
        raise yaml.constructor.ConstructorError(None, None, "a timestamp must be a scalar", node.start_mark)
    return loader.construct_scalar(node)


CassetteLoader.add_constructor("tag:yaml.org,2002:binary", _construct_binary)
CassetteLoader.add_constructor("!binary", _construct_binary)
CassetteLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp_as_text)

FastCassetteLoader: Any = None
""":class:`CassetteLoader`'s constructors on libyaml's parser (when PyYAML has it): same data, parsed about ten
times faster. The reader falls back to :class:`CassetteLoader` on any error, so messages stay the same."""
if hasattr(yaml, "CSafeLoader"):

    class _FastCassetteLoader(yaml.CSafeLoader):  # type: ignore[misc,name-defined,unused-ignore]
        pass

    _FastCassetteLoader.add_constructor("tag:yaml.org,2002:binary", _construct_binary)
    _FastCassetteLoader.add_constructor("!binary", _construct_binary)
    _FastCassetteLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp_as_text)
    FastCassetteLoader = _FastCassetteLoader


# --- detection -------------------------------------------------------------------------------------------------------


def interactions_key(document: Mapping[str, Any]) -> str | None:
    """Where a YAML cassette keeps its list: ``http_interactions`` (Ruby and R vcr) or ``interactions`` (the rest)."""
    for key in ("http_interactions", "interactions"):
        if key in document:
            return key
    return None


def detect(document: object) -> str:
    """Which YAML cassette format a parsed document is (an httprr trace is recognised earlier, by its first line)."""
    if not isinstance(document, Mapping):
        raise FormatError(_unknown(f"the file holds a YAML {type(document).__name__}, not a mapping"), 1)
    key = interactions_key(document)
    if key is None:
        keys = ", ".join(sorted(str(k) for k in document)[:6])
        raise FormatError(_unknown(f"no 'interactions' or 'http_interactions' key (top-level keys: {keys})"), 1)
    first = _first_entry(document[key])
    if key == "http_interactions":
        return R_VCR if _is_r_vcr(document, first) else RUBY_VCR
    return GO_VCR if _is_go_vcr(document, first) else VCRPY


def _unknown(why: str) -> str:
    return (
        f"unknown recording format: {why}. Readable formats: vcrpy / pydantic-ai YAML or JSON, Ruby VCR, R vcr, "
        "go-vcr YAML, httprr traces and Llama Stack's JSON; convert the file to one of them or leave it out"
    )


def _first_entry(entries: object) -> Mapping[str, Any]:
    if isinstance(entries, list) and entries and isinstance(entries[0], Mapping):
        return entries[0]
    return {}


def _is_r_vcr(document: Mapping[str, Any], first: Mapping[str, Any]) -> bool:
    """R's vcr says so in ``recorded_with`` (``VCR-vcr/2.1.0``, older ``vcr/1.2.0``); Ruby's says ``VCR 6.4.0``."""
    recorded_with = str(document.get("recorded_with", ""))
    if recorded_with.startswith(("VCR-vcr/", "vcr/")):
        return True
    if recorded_with.startswith("VCR "):
        return False
    status = _mapping_or_empty(first.get("response")).get("status")
    return isinstance(status, int) or (isinstance(status, Mapping) and "status_code" in status)


def _is_go_vcr(document: Mapping[str, Any], first: Mapping[str, Any]) -> bool:
    """go-vcr names the address ``url`` and keeps the status code as ``code`` beside a ``status`` line."""
    request = _mapping_or_empty(first.get("request"))
    response = _mapping_or_empty(first.get("response"))
    if "url" in request or "code" in response:
        return True
    return "uri" not in request and document.get("version") == 2


def _mapping_or_empty(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


# --- shared pieces ---------------------------------------------------------------------------------------------------


def _mapping(value: object, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise FormatError(f"{what} is missing or not a mapping; {RESTORE}")
    return value


def _text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise FormatError(f"{what} is missing or not text; {RESTORE}")
    return value


def _status(value: object, what: str) -> int:
    """A status code, whether written as ``200``, ``'200'`` or go-vcr's ``200 OK``."""
    text = str(value).strip() if isinstance(value, (int, str)) else ""
    match = re.match(r"\d{3}\b", text)
    if match is None:
        raise FormatError(f"{what} is {value!r}, not an HTTP status code; {RESTORE}")
    return int(match.group())


def header_pairs(raw: object) -> tuple[tuple[str, str], ...]:
    """Headers as (name, value) pairs, whether each value is a list (vcrpy, Ruby, go-vcr) or a scalar (R vcr)."""
    if raw is None:
        return ()
    if not isinstance(raw, Mapping):
        raise FormatError(f"headers are not a mapping of name to value(s); {RESTORE}")
    pairs: list[tuple[str, str]] = []
    for name, value in raw.items():
        values = value if isinstance(value, list) else [value]
        pairs.extend((str(name), "" if item is None else str(item)) for item in values)
    return tuple(pairs)


def _body_value(value: object, what: str) -> bytes | str:
    if value is None:
        return ""
    if isinstance(value, (bytes, str)):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise FormatError(f"{what} is a YAML {type(value).__name__}, neither text nor !binary; {RESTORE}")


def _base64(value: object, what: str) -> bytes:
    try:
        return base64.b64decode("".join(str(value).split()), validate=True)
    except binascii.Error as exc:
        raise FormatError(f"{what} is not valid base64 ({exc}); {RESTORE}") from exc


def _string_or_base64(body: object, what: str) -> bytes | str:
    """Ruby and R vcr keep a body as ``{string: …}``, or as ``{base64_string: …}`` when they kept the exact bytes."""
    if body is None:
        return ""
    if isinstance(body, str):
        return body
    fields = _mapping(body, what)
    if fields.get("base64_string") is not None:
        return _base64(fields["base64_string"], f"{what}.base64_string")
    return _body_value(fields.get("string"), f"{what}.string")


# --- one function per format -----------------------------------------------------------------------------------------


def vcrpy(entry: Mapping[str, Any]) -> RawExchange:
    """Python vcrpy: ``request: {method, uri, body, headers}``, ``response: {status: {code}, headers, body: {string}}``."""
    request = _mapping(entry.get("request"), "request")
    response = _mapping(entry.get("response"), "response")
    return _vcr_exchange(
        request, response, _vcrpy_body(request, "request.body"), _vcrpy_body(response, "response.body")
    )


def _vcr_exchange(
    request: Mapping[str, Any], response: Mapping[str, Any], request_body: bytes | str, response_body: bytes | str
) -> RawExchange:
    """The fields vcrpy and Ruby VCR write alike: ``method``, ``uri``, ``headers`` and ``status: {code}``."""
    status = _mapping(response.get("status"), "response.status")
    return RawExchange(
        method=_text(request.get("method"), "request.method"),
        url=_text(request.get("uri"), "request.uri"),
        request_headers=header_pairs(request.get("headers")),
        request_body=request_body,
        status=_status(status.get("code"), "response.status.code"),
        response_headers=header_pairs(response.get("headers")),
        response_body=response_body,
    )


def _vcrpy_body(part: Mapping[str, Any], what: str) -> bytes | str:
    """vcrpy keeps a request body bare and a response body under ``string``; pydantic-ai's serializer swaps either
    for ``parsed_body`` (the JSON as YAML), which is turned back into JSON text here."""
    if part.get("parsed_body") is not None:
        return json.dumps(part["parsed_body"], ensure_ascii=False)
    body = part.get("body")
    if isinstance(body, Mapping):
        body = body.get("string")
    return _body_value(body, what)


def ruby_vcr(entry: Mapping[str, Any]) -> RawExchange:
    """Ruby VCR: like vcrpy but the request body is ``{encoding, string}`` too, and methods are lower case."""
    request = _mapping(entry.get("request"), "request")
    response = _mapping(entry.get("response"), "response")
    return _vcr_exchange(
        request,
        response,
        _string_or_base64(request.get("body"), "request.body"),
        _string_or_base64(response.get("body"), "response.body"),
    )


def r_vcr(entry: Mapping[str, Any]) -> RawExchange:
    """R vcr: ``status`` is a bare number (2.x) or ``{status_code, message}`` (1.x); header values are scalars,
    lists only for repeated headers; request headers may be absent altogether."""
    request = _mapping(entry.get("request"), "request")
    response = _mapping(entry.get("response"), "response")
    status = response.get("status")
    if isinstance(status, Mapping):
        status = status.get("status_code", status.get("code"))
    return RawExchange(
        method=_text(request.get("method"), "request.method"),
        url=_text(request.get("uri"), "request.uri"),
        request_headers=header_pairs(request.get("headers")),
        request_body=_string_or_base64(request.get("body"), "request.body"),
        status=_status(status, "response.status"),
        response_headers=header_pairs(response.get("headers")),
        response_body=_string_or_base64(response.get("body"), "response.body"),
    )


def go_vcr(entry: Mapping[str, Any]) -> RawExchange:
    """go-vcr (v1 and v2 cassettes): ``request: {url, method, headers, body}``, ``response: {code, status, body}``;
    bodies are plain text, already decompressed by Go's transport (``uncompressed: true``)."""
    request = _mapping(entry.get("request"), "request")
    response = _mapping(entry.get("response"), "response")
    code = response.get("code", response.get("status"))
    return RawExchange(
        method=_text(request.get("method"), "request.method"),
        url=_text(request.get("url"), "request.url"),
        request_headers=header_pairs(request.get("headers")),
        request_body=_body_value(request.get("body"), "request.body"),
        status=_status(code, "response.code"),
        response_headers=header_pairs(response.get("headers")),
        response_body=_body_value(response.get("body"), "response.body"),
    )


YAML_READERS: dict[str, Callable[[Mapping[str, Any]], RawExchange]] = {
    VCRPY: vcrpy,
    RUBY_VCR: ruby_vcr,
    R_VCR: r_vcr,
    GO_VCR: go_vcr,
}


# --- httprr ----------------------------------------------------------------------------------------------------------


def httprr(data: bytes) -> list[tuple[int, RawExchange]]:
    """Go httprr (tmc/langchaingo, rsc.io/httprr): ``httprr trace v1``, then per exchange a line ``N M`` and
    N bytes of raw HTTP request plus M bytes of raw HTTP response. Returns each exchange with its ``N M`` line."""
    if not data.startswith(HTTPRR_MAGIC):
        first = data.split(b"\n", 1)[0].decode("utf-8", errors="replace")
        raise FormatError(f"httprr trace starts with {first!r}, expected 'httprr trace v1'; {RESTORE}", 1)
    exchanges: list[tuple[int, RawExchange]] = []
    pos, line = len(HTTPRR_MAGIC), 2
    while pos < len(data):
        request_size, response_size, start = _httprr_sizes(data, pos, line)
        end = start + request_size + response_size
        if end > len(data):
            raise FormatError(
                f"truncated httprr trace: the exchange announces {request_size}+{response_size} bytes but only "
                f"{len(data) - start} remain; {RESTORE}",
                line,
            )
        try:
            exchange = _http_exchange(data[start : start + request_size], data[start + request_size : end])
        except FormatError as exc:
            raise FormatError(exc.message, line) from exc
        exchanges.append((line, exchange))
        line += data.count(b"\n", pos, end)
        pos = end
    return exchanges


def _httprr_sizes(data: bytes, pos: int, line: int) -> tuple[int, int, int]:
    """The ``N M`` sizes line at ``pos``, and where the request starts."""
    newline = data.find(b"\n", pos)
    if newline < 0:
        raise FormatError(f"truncated httprr trace: the sizes line has no end; {RESTORE}", line)
    match = re.fullmatch(rb"(\d+) (\d+)", data[pos:newline])
    if match is None:
        shown = data[pos:newline][:40].decode("utf-8", errors="replace")
        raise FormatError(f"httprr sizes line is {shown!r}, expected two byte counts 'N M'; {RESTORE}", line)
    return int(match.group(1)), int(match.group(2)), newline + 1


def _http_exchange(raw_request: bytes, raw_response: bytes) -> RawExchange:
    request_line, request_headers, request_body = _http_message(raw_request, "request")
    status_line, response_headers, response_body = _http_message(raw_response, "response")
    method, url = _request_target(request_line, request_headers)
    return RawExchange(
        method=method,
        url=url,
        request_headers=request_headers,
        request_body=request_body,
        status=_status_from_line(status_line),
        response_headers=response_headers,
        response_body=response_body,
    )


_END_OF_HEADERS = re.compile(rb"\r?\n\r?\n")


def _http_message(raw: bytes, what: str) -> tuple[str, tuple[tuple[str, str], ...], bytes]:
    """Start line, headers and body of one HTTP/1 message as Go writes it; a chunked body is de-chunked (and its
    ``Transfer-Encoding`` dropped, since the body kept is no longer chunked)."""
    end = _END_OF_HEADERS.search(raw)
    if end is None:
        raise FormatError(f"the {what} has no blank line after its headers; {RESTORE}")
    start_line, *lines = re.split(r"\r?\n", raw[: end.start()].decode("latin-1"))
    headers: list[tuple[str, str]] = []
    for header in lines:
        name, colon, value = header.partition(":")
        if not colon:
            raise FormatError(f"the {what} header line {header[:60]!r} has no ':'; {RESTORE}")
        headers.append((name.strip(), value.strip()))
    body = raw[end.end() :]
    if any(n.lower() == "transfer-encoding" and "chunked" in v.lower() for n, v in headers):
        body = dechunk(body)
        headers = [(n, v) for n, v in headers if n.lower() != "transfer-encoding"]
    return start_line, tuple(headers), body


def _request_target(request_line: str, headers: tuple[tuple[str, str], ...]) -> tuple[str, str]:
    """Method and full URL; httprr writes the absolute URL (Go's WriteProxy), a plain path takes the Host header."""
    parts = request_line.split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        raise FormatError(f"request line {request_line[:80]!r} is not 'METHOD TARGET HTTP/x'; {RESTORE}")
    method, target, _version = parts
    if target.startswith("/"):
        host = next((v for n, v in headers if n.lower() == "host"), "")
        if not host:
            raise FormatError(f"request line {request_line[:80]!r} has a path but there is no Host header; {RESTORE}")
        target = f"https://{host}{target}"
    return method, target


def _status_from_line(status_line: str) -> int:
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/"):
        raise FormatError(f"status line {status_line[:80]!r} is not 'HTTP/x CODE REASON'; {RESTORE}")
    return _status(parts[1], "the status line's code")


def dechunk(body: bytes) -> bytes:
    """The payload of a ``Transfer-Encoding: chunked`` body: hex sizes (extensions ignored), trailers dropped."""
    payload = bytearray()
    pos = 0
    while True:
        end = body.find(b"\n", pos)
        if end < 0:
            raise FormatError(f"the chunked body is cut short (a chunk size line has no end); {RESTORE}")
        size_text = body[pos:end].split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise FormatError(f"the chunked body has a bad chunk size {size_text[:20]!r}; {RESTORE}") from None
        pos = end + 1
        if size == 0:
            return bytes(payload)
        if pos + size > len(body):
            raise FormatError(f"the chunked body is cut short (a {size}-byte chunk is incomplete); {RESTORE}")
        payload += body[pos : pos + size]
        pos += size
        pos += 2 if body[pos : pos + 2] == b"\r\n" else 1 if body[pos : pos + 1] == b"\n" else 0


# --- Llama Stack -----------------------------------------------------------------------------------------------------
# Llama Stack's api_recorder patches the provider SDKs' methods, not the HTTP layer: a recording is one JSON file per
# call, ``{"request": {"method", "url", "headers", "body", "endpoint", "model"}, "response": {"body", "is_streaming"}}``
# (``is_exception`` and ``exception_data`` when the call raised). The URL is the client's base URL plus the endpoint
# (so ``…/openai/`` + ``/v1/models``), the method is POST for every call, the body is the call's keyword arguments,
# and the answer is the returned SDK objects dumped with ``model_dump(mode="json")`` (absent fields as null, ids and
# timestamps normalised), as ``{"__type__": "openai.types…", "__data__": {…}}``, a list of them for a stream or a
# list result. So the exchange is rebuilt from those, and its notes say the answer is no evidence of the API's text.

LLAMA_STACK_REBUILT = (
    f"response body was rebuilt from the SDK objects Llama Stack recorded, {UNREADABLE_MARK} "
    "(model_dump fills absent fields with null, ids and timestamps are normalised, status and headers were not "
    "recorded); the request is the SDK call's arguments, its URL the client's base URL plus the endpoint"
)


def is_llama_stack(document: object) -> bool:
    """A Llama Stack recording: a ``request`` with a ``url`` and a ``response`` with a ``body`` (or an exception)."""
    if not isinstance(document, Mapping):
        return False
    request, response = document.get("request"), document.get("response")
    return (
        isinstance(request, Mapping)
        and "url" in request
        and isinstance(response, Mapping)
        and ("body" in response or "is_exception" in response)
    )


def llama_stack(document: Mapping[str, Any]) -> RawExchange:
    """The one call a Llama Stack recording holds, rebuilt as an HTTP exchange (see the notes above)."""
    request = _mapping(document.get("request"), "request")
    response = _mapping(document.get("response"), "response")
    body = request.get("body")
    if body is not None and not isinstance(body, Mapping):
        raise FormatError(f"request.body is a JSON {type(body).__name__}, not an object; {RESTORE}")
    if response.get("is_exception"):
        status, headers, answer = _llama_stack_exception(_mapping(response.get("exception_data"), "exception_data"))
    else:
        status, headers, answer = _llama_stack_answer(response.get("body"), bool(response.get("is_streaming")))
    return RawExchange(
        method=_text(request.get("method"), "request.method"),
        url=_text(request.get("url"), "request.url"),
        request_headers=header_pairs(request.get("headers")),
        request_body=json.dumps(body) if body else "",
        status=status,
        response_headers=headers,
        response_body=answer,
        notes=(LLAMA_STACK_REBUILT,),
    )


def _sdk_data(value: object) -> object:
    """What an SDK object held: ``__data__`` of a ``{"__type__", "__data__"}`` wrapper, or the value itself."""
    if isinstance(value, Mapping) and "__type__" in value and "__data__" in value:
        return value["__data__"]
    return value


def _llama_stack_answer(body: object, streaming: bool) -> tuple[int, tuple[tuple[str, str], ...], str]:
    if streaming:
        if not isinstance(body, list):
            raise FormatError(f"response.is_streaming is true but response.body is not a list of chunks; {RESTORE}")
        events = "".join(f"data: {json.dumps(_sdk_data(chunk))}\n\n" for chunk in body)
        return 200, (("content-type", "text/event-stream"),), events
    if isinstance(body, list):  # a list result (models.list): the items the SDK paged through
        return 200, (("content-type", "application/json"),), json.dumps([_sdk_data(item) for item in body])
    return 200, (("content-type", "application/json"),), json.dumps(_sdk_data(body))


def _llama_stack_exception(data: Mapping[str, Any]) -> tuple[int, tuple[tuple[str, str], ...], str]:
    """A recorded exception: the provider's status and error body when the SDK raised one (``provider_sdk``)."""
    status = data.get("status_code")
    if not isinstance(status, int) or isinstance(status, bool):
        category = data.get("category", "unknown")
        raise FormatError(
            f"the call raised a {category} exception with no HTTP status ({str(data.get('message', ''))[:80]!r}): "
            "there is no provider answer to read; leave the file out"
        )
    body = data.get("body")
    text = json.dumps(body) if body is not None else str(data.get("message", ""))
    return status, (("content-type", "application/json"),), text
