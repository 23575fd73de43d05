"""Replay real recorded answers through the official SDKs: what does each SDK make of what a provider really sent?

For every recorded interaction an official SDK can re-issue, the SDK call is rebuilt from the recorded request
and sent to an in-process ``httpx2.MockTransport`` that answers with the recorded status, headers and body. The
:class:`ReplayResult` says whether the SDK parsed the answer, raised its API error (and which of the body's error
fields it exposes), failed on the answer, or could not re-issue the request at all; and whether the SDK sent the
recorded method and path. Nothing goes over the network: the mock is the only transport the SDKs are given.

Outcomes:

``parsed``
    the SDK returned an object (streams are consumed to the end).
``raised``
    the SDK raised its own API-status error (``openai.APIStatusError``, ``anthropic.APIStatusError``,
    ``google.genai.errors.APIError``): an answer it understood as an error.
``sdk-failed``
    the SDK sent the request and then raised something else: a parse failure on a real answer (a finding).
``not-reissuable``
    no SDK call sends this request (the endpoint has no SDK method, or the SDK refused the rebuilt call before
    sending anything); ``detail["reason"]`` says why.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
import inspect
import json
import re
import ssl
import sys
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import metadata as importlib_metadata
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import anthropic
import httpx2
import openai
import pydantic
from anthropic.resources.beta.messages import Messages as AnthropicBetaMessages
from anthropic.resources.messages import Messages as AnthropicMessages
from google import genai
from google.genai import errors as genai_errors
from google.genai import types as genai_types
from openai.resources.chat.completions import Completions as OpenAIChatCompletions
from openai.resources.completions import Completions as OpenAICompletions
from openai.resources.embeddings import Embeddings as OpenAIEmbeddings

from conformance.errors import CheckSignal
from conformance.exchange import Attempt, RecordedRequest, RecordedResponse
from conformance.recordings import Interaction, Recording, api_of
from conformance.results import Outcome, ReplayOutcome

PARSED = ReplayOutcome.PARSED
RAISED = ReplayOutcome.RAISED
NOT_REISSUABLE = ReplayOutcome.NOT_REISSUABLE
SDK_FAILED = ReplayOutcome.SDK_FAILED

OPENAI_SDK = "openai"
ANTHROPIC_SDK = "anthropic"
GENAI_SDK = "google-genai"

SDK_OF_API = {
    "openai": OPENAI_SDK,
    "anthropic-openai": OPENAI_SDK,
    "gemini-openai": OPENAI_SDK,
    "anthropic": ANTHROPIC_SDK,
    "gemini": GENAI_SDK,
}

STATUS_ERRORS: tuple[type[Exception], ...] = (
    openai.APIStatusError,
    anthropic.APIStatusError,
    genai_errors.APIError,
)
"""What each SDK raises for an answer it understood as an API error: reported as ``raised``."""

REPLAY_KEY = "replay"
REPLAY_TIMEOUT = 30.0
"""An explicit client timeout, as the harness's own clients set. With the default one, anthropic refuses (before
sending) a non-streaming ``messages.create`` whose ``max_tokens`` might take over ten minutes to generate."""

GEMINI_BASE_URL = "https://generativelanguage.googleapis.com"
ANTHROPIC_BASE_URL = "https://api.anthropic.com"

_STALE_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})
_BASE64_FIELDS = frozenset({"thoughtSignature", "data"})
_TEXT_LIMIT = 200
_BODY_LIMIT = 300


@dataclass(frozen=True)
class ReplayResult:
    """What one official SDK did with one recorded answer."""

    api: str  # provider spec id
    sdk: str  # "openai" | "anthropic" | "google-genai"
    call: str  # e.g. "chat.completions.create(stream=True)"
    status: int  # recorded HTTP status
    outcome: ReplayOutcome
    detail: dict[str, Any]
    message: str
    path_matches: bool


class NotReissuable(CheckSignal):
    """The recorded request cannot be rebuilt as an SDK call; ``str()`` says why."""


# --- the mock transport ----------------------------------------------------------------------------------------------


@dataclass
class _Answerer:
    """The MockTransport handler: answers whatever is sent with the recorded response, and keeps what was sent."""

    response: RecordedResponse
    sent: list[httpx2.Request] = field(default_factory=list)

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        request.read()
        self.sent.append(request)
        return httpx2.Response(
            self.response.status, headers=_answer_headers(self.response), content=self.response.body.encode("utf-8")
        )


def _answer_headers(response: RecordedResponse) -> list[tuple[str, str]]:
    """The recorded headers, less those describing encoded bytes (the stored body is decoded text)."""
    headers = [(k, v) for k, v in response.headers.items() if k.lower() not in _STALE_HEADERS]
    if response.is_sse:
        headers = [(k, v) for k, v in headers if k.lower() != "content-type"]
        headers.append(("content-type", "text/event-stream"))
    return headers


# --- the plan: which SDK call, and how to describe what it returns ------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    sdk: str
    call: str
    invoke: Callable[[httpx2.Client], Any]
    summarize: Callable[[Any], dict[str, Any]]
    error_fields: tuple[tuple[str, str], ...]  # (SDK exception attribute, dotted field of the body's error object)
    notes: tuple[str, ...] = ()
    hint: str | None = None  # why the SDK may refuse the rebuilt call
    check_sent: Callable[[httpx2.Request], dict[str, Any]] | None = None


def _split(request: RecordedRequest) -> tuple[str, str, dict[str, str]]:
    """Origin (scheme://host), unquoted path, and query parameters of the recorded URL."""
    parts = urlsplit(request.url)
    return f"{parts.scheme}://{parts.netloc}", unquote(parts.path), dict(parse_qsl(parts.query))


def _json_object(request: RecordedRequest) -> dict[str, Any]:
    body = request.json
    if not isinstance(body, dict):
        raise NotReissuable("the recorded request body is not a JSON object")
    return body


def _split_kwargs(method: Callable[..., Any], body: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Body keys the SDK method takes as keyword arguments, and the rest (sent through ``extra_body``)."""
    names = {
        name
        for name, parameter in inspect.signature(method).parameters.items()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY and not name.startswith("extra_") and name != "timeout"
    }
    return {k: v for k, v in body.items() if k in names}, {k: v for k, v in body.items() if k not in names}


def _with_extra(known: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    return {**known, "extra_body": extra} if extra else known


def _extra_note(extra: Mapping[str, Any]) -> tuple[str, ...]:
    return (f"sent through extra_body: {', '.join(sorted(extra))}",) if extra else ()


def _resource(client: Any, dotted: str) -> Any:
    return functools.reduce(getattr, dotted.split("."), client)


def _call_label(call: str, stream: bool) -> str:
    return f"{call}(stream=True)" if stream else call


# --- openai --------------------------------------------------------------------------------------------------------

_OPENAI_PATH = re.compile(
    r"^(?P<prefix>.*?/)(?P<endpoint>chat/completions|completions|embeddings|models)(?:/(?P<id>.+?))?/?$"
)
_OPENAI_CREATE = {
    "chat/completions": ("chat.completions", OpenAIChatCompletions),
    "completions": ("completions", OpenAICompletions),
    "embeddings": ("embeddings", OpenAIEmbeddings),
}
_OPENAI_ERROR_FIELDS = (
    ("code", "code"),
    ("type", "type"),
    ("type", "status"),
    ("param", "param"),
    ("message", "message"),
)


def _openai_plan(request: RecordedRequest) -> _Plan:
    origin, path, query = _split(request)
    match = _OPENAI_PATH.match(path)
    if match is None:
        raise NotReissuable(f"{request.method} {path} is no chat, completions, embeddings or models endpoint")
    base_url = origin + match["prefix"]
    endpoint, item = match["endpoint"], match["id"]
    if endpoint == "models":
        return _openai_models_plan(request.method, base_url, item, query)
    if request.method != "POST" or item is not None:
        raise NotReissuable(f"{request.method} {path}: the openai SDK sends {endpoint} only as POST …/{endpoint}")
    resource, cls = _OPENAI_CREATE[endpoint]
    return _openai_create_plan(base_url, resource, cls, _json_object(request))


def _openai_client(base_url: str, http_client: httpx2.Client) -> openai.OpenAI:
    return openai.OpenAI(
        api_key=REPLAY_KEY, base_url=base_url, max_retries=0, timeout=REPLAY_TIMEOUT, http_client=http_client
    )


def _openai_create_plan(base_url: str, resource: str, cls: Any, body: dict[str, Any]) -> _Plan:
    known, extra = _split_kwargs(cls.create, body)
    stream = known.get("stream") is True

    def invoke(http_client: httpx2.Client) -> Any:
        result = _resource(_openai_client(base_url, http_client), resource).create(**_with_extra(known, extra))
        return list(result) if stream else result

    label = _call_label(f"{resource}.create", stream)
    return _Plan(OPENAI_SDK, label, invoke, _openai_summary, _OPENAI_ERROR_FIELDS, _extra_note(extra))


def _openai_models_plan(method: str, base_url: str, model_id: str | None, query: dict[str, str]) -> _Plan:
    if method != "GET":
        raise NotReissuable(f"{method} …/models: the openai SDK reads models only with GET")

    def invoke(http_client: httpx2.Client) -> Any:
        models = _openai_client(base_url, http_client).models
        if model_id is None:
            return models.list(extra_query=query or None)
        return models.retrieve(model_id, extra_query=query or None)

    call = "models.list" if model_id is None else "models.retrieve"
    return _Plan(OPENAI_SDK, call, invoke, _openai_summary, _OPENAI_ERROR_FIELDS)


def _openai_summary(result: Any) -> dict[str, Any]:
    if isinstance(result, list):
        return _chunks_summary(result)
    if isinstance(result, openai.pagination.SyncPage):
        return _page_summary(result.data)
    summary: dict[str, Any] = {"type": type(result).__name__}
    summary.update(_attributes(result, ("id", "model", "object", "owned_by")))
    choices = getattr(result, "choices", None)
    if isinstance(choices, list):
        summary.update(_choices_summary(choices))
    data = getattr(result, "data", None)
    if isinstance(data, list):
        summary["data"] = len(data)
        summary["dimensions"] = len(getattr(data[0], "embedding", None) or []) if data else 0
    summary.update(_usage(getattr(result, "usage", None)))
    return summary


def _choices_summary(choices: list[Any]) -> dict[str, Any]:
    first = choices[0] if choices else None
    message = getattr(first, "message", None)
    text = getattr(message, "content", None) if message is not None else getattr(first, "text", None)
    return {
        "choices": len(choices),
        "finish_reasons": [getattr(choice, "finish_reason", None) for choice in choices],
        "text": _short(text),
        "tool_calls": len(getattr(message, "tool_calls", None) or []),
    }


def _chunks_summary(chunks: list[Any]) -> dict[str, Any]:
    """A consumed chat (or completions) stream: the chunk count, the text, the finish reasons and the last usage."""
    finish: dict[int, Any] = {}
    pieces: list[str] = []
    usage = None
    for chunk in chunks:
        usage = chunk.usage if getattr(chunk, "usage", None) is not None else usage
        for choice in getattr(chunk, "choices", None) or []:
            delta = getattr(choice, "delta", None)
            content = getattr(delta, "content", None) if delta is not None else getattr(choice, "text", None)
            if choice.index == 0 and content:
                pieces.append(content)
            if choice.finish_reason is not None:
                finish[choice.index] = choice.finish_reason
    summary: dict[str, Any] = {"type": "Stream", "chunks": len(chunks)}
    if chunks:
        summary["chunk_type"] = type(chunks[0]).__name__
        summary.update(_attributes(chunks[0], ("id", "model")))
    summary["finish_reasons"] = [finish[index] for index in sorted(finish)]
    summary["text"] = _short("".join(pieces))
    summary.update(_usage(usage))
    return summary


def _page_summary(items: list[Any]) -> dict[str, Any]:
    return {"type": "Page", "items": len(items), "first_ids": [getattr(item, "id", None) for item in items[:3]]}


# --- anthropic -----------------------------------------------------------------------------------------------------

_ANTHROPIC_ERROR_FIELDS = (("type", "type"), ("api_message", "message"), ("error_code", "details.error_code"))


def _anthropic_plan(request: RecordedRequest) -> _Plan:
    _origin, path, query = _split(request)
    beta = query.pop("beta", None) == "true"
    if path == "/v1/complete":
        raise NotReissuable(_legacy_complete_reason())
    if path in ("/v1/messages", "/v1/messages/count_tokens") and request.method == "POST":
        return _anthropic_messages_plan(path, _json_object(request), beta)
    if (path == "/v1/models" or path.startswith("/v1/models/")) and request.method == "GET":
        return _anthropic_models_plan(path, query)
    raise NotReissuable(f"{request.method} {path} is not an endpoint this replay maps to an anthropic SDK call")


def _legacy_complete_reason() -> str:
    if hasattr(anthropic.Anthropic, "completions"):
        return "/v1/complete (legacy Text Completions) is not mapped to an SDK call by this replay"
    return (
        f"/v1/complete is the legacy Text Completions API, for which anthropic {anthropic.__version__} "
        "has no resource (no client.completions)"
    )


def _anthropic_client(http_client: httpx2.Client) -> anthropic.Anthropic:
    return anthropic.Anthropic(
        api_key=REPLAY_KEY,
        base_url=ANTHROPIC_BASE_URL,
        max_retries=0,
        timeout=REPLAY_TIMEOUT,
        http_client=http_client,
    )


def _anthropic_messages_plan(path: str, body: dict[str, Any], beta: bool) -> _Plan:
    """``?beta=true`` (what ``client.beta.messages`` sends) goes through the beta resource, when the SDK has one."""
    verb = "count_tokens" if path.endswith("/count_tokens") else "create"
    beta = beta and hasattr(AnthropicBetaMessages, verb)
    resource, cls = ("beta.messages", AnthropicBetaMessages) if beta else ("messages", AnthropicMessages)
    known, extra = _split_kwargs(getattr(cls, verb), body)
    stream = verb == "create" and known.get("stream") is True

    def invoke(http_client: httpx2.Client) -> Any:
        method = getattr(_resource(_anthropic_client(http_client), resource), verb)
        result = method(**_with_extra(known, extra))
        return list(result) if stream else result

    label = _call_label(f"{resource}.{verb}", stream)
    return _Plan(ANTHROPIC_SDK, label, invoke, _anthropic_summary, _ANTHROPIC_ERROR_FIELDS, _extra_note(extra))


def _anthropic_models_plan(path: str, query: dict[str, str]) -> _Plan:
    model_id = path.removeprefix("/v1/models").strip("/") or None

    def invoke(http_client: httpx2.Client) -> Any:
        models = _anthropic_client(http_client).models
        if model_id is None:
            return models.list(extra_query=query or None)
        return models.retrieve(model_id, extra_query=query or None)

    call = "models.list" if model_id is None else "models.retrieve"
    return _Plan(ANTHROPIC_SDK, call, invoke, _anthropic_summary, _ANTHROPIC_ERROR_FIELDS)


def _anthropic_summary(result: Any) -> dict[str, Any]:
    if isinstance(result, list):
        return _events_summary(result)
    if isinstance(result, anthropic.pagination.SyncPage):
        return _page_summary(result.data)
    summary: dict[str, Any] = {"type": type(result).__name__}
    summary.update(_attributes(result, ("id", "model", "stop_reason", "input_tokens", "display_name")))
    content = getattr(result, "content", None)
    if isinstance(content, list):
        summary["content_types"] = [getattr(block, "type", None) for block in content]
        summary["text"] = _short("".join(block.text for block in content if getattr(block, "type", "") == "text"))
    summary.update(_usage(getattr(result, "usage", None)))
    return summary


def _events_summary(events: list[Any]) -> dict[str, Any]:
    """A consumed Messages stream: the event count and types, the text, the stop reason and the final usage."""
    usage: dict[str, Any] = {}
    text: list[str] = []
    stop_reason = None
    for event in events:
        kind = getattr(event, "type", None)
        if kind == "message_start":
            usage.update(_usage(event.message.usage).get("usage", {}))
        elif kind == "message_delta":
            stop_reason = event.delta.stop_reason
            usage.update(_usage(event.usage).get("usage", {}))
        elif kind == "content_block_delta" and getattr(event.delta, "type", None) == "text_delta":
            text.append(event.delta.text)
    return {
        "type": "Stream",
        "events": len(events),
        "event_types": dict(Counter(str(getattr(event, "type", type(event).__name__)) for event in events)),
        "stop_reason": stop_reason,
        "text": _short("".join(text)),
        "usage": usage,
    }


# --- google-genai (Gemini native) ----------------------------------------------------------------------------------

_GEMINI_METHOD = re.compile(r"^/(?P<version>v1[a-z0-9]*)/models/(?P<model>[^/:]+):(?P<method>\w+)$")
_GEMINI_MODELS = re.compile(r"^/(?P<version>v1[a-z0-9]*)/models(?:/(?P<model>[^/:]+))?/?$")
_GENAI_ERROR_FIELDS = (("code", "code"), ("status", "status"), ("message", "message"))
_REQUEST_CONFIG_KEYS = {
    "systemInstruction": "system_instruction",
    "system_instruction": "system_instruction",
    "tools": "tools",
    "toolConfig": "tool_config",
    "tool_config": "tool_config",
    "safetySettings": "safety_settings",
    "safety_settings": "safety_settings",
    "cachedContent": "cached_content",
    "cached_content": "cached_content",
    "labels": "labels",
}
_GENERATION_CONFIG_KEYS = ("generationConfig", "generation_config")
_SYSTEM_KEYS = ("systemInstruction", "system_instruction")


def _gemini_plan(request: RecordedRequest) -> _Plan:
    _origin, path, query = _split(request)
    method_match = _GEMINI_METHOD.match(path)
    if method_match is not None and request.method == "POST":
        return _gemini_method_plan(method_match, _json_object(request), _enum_hint(query))
    models_match = _GEMINI_MODELS.match(path)
    if models_match is not None and request.method == "GET":
        return _gemini_models_plan(models_match["version"], models_match["model"], query)
    raise NotReissuable(f"{request.method} {path} is not an endpoint this replay maps to a google-genai SDK call")


def _gemini_method_plan(match: re.Match[str], body: dict[str, Any], hint: str | None) -> _Plan:
    version, model, method = match["version"], match["model"], match["method"]
    if method in ("generateContent", "streamGenerateContent"):
        return _generate_plan(version, model, body, method == "streamGenerateContent", hint)
    if method == "countTokens":
        return _count_tokens_plan(version, model, body, hint)
    if method in ("embedContent", "batchEmbedContents"):
        return _embed_plan(version, model, body, method, hint)
    raise NotReissuable(f":{method} is not a method this replay maps to a google-genai SDK call")


def _enum_hint(query: Mapping[str, str]) -> str | None:
    alt = query.get("$alt", "")
    if "enum-encoding=int" in alt:
        return f"the recording asked for ?$alt={alt}, so its enums are integers, which google-genai does not accept"
    return None


def _genai_client(version: str, http_client: httpx2.Client) -> genai.Client:
    options = genai_types.HttpOptions(
        base_url=GEMINI_BASE_URL,
        api_version=version,
        httpx_client=http_client,
        httpx_async_client=_unused_genai_async_client(),
        async_client_args={"ssl": _unused_tls_context()},
        retry_options=genai_types.HttpRetryOptions(attempts=1),
    )
    return genai.Client(api_key=REPLAY_KEY, http_options=options)


@functools.cache
def _unused_tls_context() -> ssl.SSLContext:
    """A TLS context that no replay uses (every request is answered by the recording), handed to google-genai so
    that it does not load the system's CA bundle for each client it builds: that took ~0.2 s per Gemini replay."""
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


@functools.cache
def _unused_genai_async_client() -> httpx2.AsyncClient:
    """The async client google-genai insists on having; the replay is synchronous and never sends through it."""
    return httpx2.AsyncClient(verify=_unused_tls_context())


def _field_names(model: type[pydantic.BaseModel]) -> frozenset[str]:
    """Every name a google-genai model accepts for its fields: the snake_case name and the camelCase alias."""
    names = set(model.model_fields)
    names.update(info.alias for info in model.model_fields.values() if info.alias)
    return frozenset(names)


@dataclass
class _Mapped:
    """A REST body taken apart for the SDK: its config, what only ``extra_body`` can carry, and notes."""

    config: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def config_or_none(self) -> Any:
        """The config as the dict the SDK validates into its own model (None when empty)."""
        config = {**self.config, "http_options": {"extra_body": self.extra}} if self.extra else self.config
        return config or None

    def all_notes(self, *first: str | None) -> tuple[str, ...]:
        return (*(note for note in first if note), *self.notes, *_extra_note(self.extra))


def _generation_mapping(body: Mapping[str, Any]) -> _Mapped:
    """A generateContent body as a GenerateContentConfig dict (generationConfig flattened into it)."""
    accepted = _field_names(genai_types.GenerateContentConfig)
    mapped = _Mapped()
    for key, value in body.items():
        if key == "contents":
            continue
        if key in _GENERATION_CONFIG_KEYS and isinstance(value, dict):
            mapped.config.update({k: v for k, v in value.items() if k in accepted})
            unknown = {k: v for k, v in value.items() if k not in accepted}
            if unknown:
                mapped.extra[key] = unknown
        elif key in _REQUEST_CONFIG_KEYS:
            mapped.config[_REQUEST_CONFIG_KEYS[key]] = _listed_parts(value, key, mapped.notes)
        else:
            mapped.extra[key] = value
    return mapped


def _count_tokens_mapping(source: Mapping[str, Any]) -> _Mapped:
    mapped = _Mapped()
    for key, value in source.items():
        if key in ("contents", "model"):
            continue
        if key in _SYSTEM_KEYS:
            mapped.config["system_instruction"] = _listed_parts(value, key, mapped.notes)
        elif key == "tools":
            mapped.config["tools"] = value
        elif key in _GENERATION_CONFIG_KEYS:
            mapped.config["generation_config"] = value
        else:
            mapped.extra[key] = value
    return mapped


def _listed_parts(value: Any, key: str, notes: list[str]) -> Any:
    """A Content whose ``parts`` is one object (the API accepts that for a repeated field), with a one-item list."""
    if isinstance(value, dict) and isinstance(value.get("parts"), dict):
        notes.append(f"{key}.parts is one object in the recording; given to the SDK as a one-item list")
        return {**value, "parts": [value["parts"]]}
    return value


def _recorded_contents(body: Mapping[str, Any]) -> Any:
    contents = body.get("contents")
    if contents is None:
        raise NotReissuable("the recorded request has no contents")
    return contents


def _generate_plan(version: str, model: str, body: dict[str, Any], stream: bool, hint: str | None) -> _Plan:
    contents = _recorded_contents(body)
    mapped = _generation_mapping(body)

    def invoke(http_client: httpx2.Client) -> Any:
        models = _genai_client(version, http_client).models
        if stream:
            return list(models.generate_content_stream(model=model, contents=contents, config=mapped.config_or_none()))
        return models.generate_content(model=model, contents=contents, config=mapped.config_or_none())

    call = "models.generate_content_stream" if stream else "models.generate_content"
    return _Plan(
        GENAI_SDK,
        call,
        invoke,
        _genai_summary,
        _GENAI_ERROR_FIELDS,
        mapped.all_notes(hint),
        hint,
        _contents_check(contents),
    )


def _count_tokens_plan(version: str, model: str, body: dict[str, Any], hint: str | None) -> _Plan:
    """``contents`` at the top, or a whole ``generateContentRequest`` (whose parts the SDK sends at the top)."""
    inner = body.get("generateContentRequest")
    source: dict[str, Any] = inner if isinstance(inner, dict) else body
    contents = _recorded_contents(source)
    mapped = _count_tokens_mapping(source)
    wrapped = "the recording wraps the request in generateContentRequest" if isinstance(inner, dict) else None

    def invoke(http_client: httpx2.Client) -> Any:
        models = _genai_client(version, http_client).models
        return models.count_tokens(model=model, contents=contents, config=mapped.config_or_none())

    return _Plan(
        GENAI_SDK,
        "models.count_tokens",
        invoke,
        _genai_summary,
        _GENAI_ERROR_FIELDS,
        mapped.all_notes(hint, wrapped),
        hint,
        _contents_check(contents),
    )


def _embed_plan(version: str, model: str, body: dict[str, Any], method: str, hint: str | None) -> _Plan:
    """``embed_content`` (which the SDK always sends as ``:batchEmbedContents`` to the Gemini Developer API)."""
    requests = body.get("requests") if method == "batchEmbedContents" else [body]
    if not isinstance(requests, list) or not requests or not all(isinstance(r, dict) for r in requests):
        raise NotReissuable(f"the recorded {method} body holds no embedding request")
    contents = [request.get("content") for request in requests]
    keys = (("taskType", "task_type"), ("title", "title"), ("outputDimensionality", "output_dimensionality"))
    config: Any = {name: requests[0][key] for key, name in keys if key in requests[0]}

    def invoke(http_client: httpx2.Client) -> Any:
        models = _genai_client(version, http_client).models
        return models.embed_content(model=model, contents=contents, config=config or None)

    notes = (hint,) if hint else ()
    return _Plan(
        GENAI_SDK,
        "models.embed_content",
        invoke,
        _genai_summary,
        _GENAI_ERROR_FIELDS,
        notes,
        hint,
        _contents_check(contents),
    )


def _gemini_models_plan(version: str, model: str | None, query: Mapping[str, str]) -> _Plan:
    config: Any = {"page_size": int(query["pageSize"])} if query.get("pageSize", "").isdigit() else {}

    def invoke(http_client: httpx2.Client) -> Any:
        models = _genai_client(version, http_client).models
        if model is None:
            return models.list(config=config or None).page
        return models.get(model=model)

    call = "models.list" if model is None else "models.get"
    return _Plan(GENAI_SDK, call, invoke, _genai_summary, _GENAI_ERROR_FIELDS)


def _genai_summary(result: Any) -> dict[str, Any]:
    if isinstance(result, list) and all(isinstance(item, genai_types.GenerateContentResponse) for item in result):
        return _genai_stream_summary(result)
    if isinstance(result, list):
        return {"type": "Page", "items": len(result), "first_names": [getattr(m, "name", None) for m in result[:3]]}
    summary: dict[str, Any] = {"type": type(result).__name__}
    if isinstance(result, genai_types.GenerateContentResponse):
        summary.update(_genai_response_summary(result))
    summary.update(_attributes(result, ("total_tokens", "cached_content_token_count", "name")))
    if isinstance(result, genai_types.EmbedContentResponse):
        summary["embeddings"] = len(result.embeddings) if result.embeddings is not None else None
    return summary


def _genai_response_summary(response: genai_types.GenerateContentResponse) -> dict[str, Any]:
    candidates = response.candidates or []
    return {
        "response_id": response.response_id,
        "model_version": response.model_version,
        "candidates": len(candidates),
        "finish_reasons": [_enum_text(candidate.finish_reason) for candidate in candidates],
        "text": _short(_candidate_text(candidates[0]) if candidates else None),
        "function_calls": [call.name for call in response.function_calls or []],
        **_usage(response.usage_metadata),
    }


def _genai_stream_summary(chunks: list[genai_types.GenerateContentResponse]) -> dict[str, Any]:
    candidates = [candidate for chunk in chunks for candidate in chunk.candidates or []]
    usage = next((chunk.usage_metadata for chunk in reversed(chunks) if chunk.usage_metadata is not None), None)
    return {
        "type": "Stream",
        "chunks": len(chunks),
        "finish_reasons": [_enum_text(c.finish_reason) for c in candidates if c.finish_reason is not None],
        "text": _short("".join(_candidate_text(chunk.candidates[0]) for chunk in chunks if chunk.candidates)),
        "function_calls": [call.name for chunk in chunks for call in chunk.function_calls or []],
        **_usage(usage),
    }


def _candidate_text(candidate: genai_types.Candidate) -> str:
    """The answer text of a candidate (thought summaries left out)."""
    parts = candidate.content.parts if candidate.content is not None else None
    return "".join(part.text for part in parts or [] if part.text and not part.thought)


def _enum_text(value: Any) -> Any:
    return getattr(value, "value", value)


# --- did the SDK send the recorded contents? ----------------------------------------------------------------------


def _contents_check(recorded: Any) -> Callable[[httpx2.Request], dict[str, Any]]:
    """Whether the SDK sent the recorded ``contents``. Key spelling is ignored (the API reads snake_case and
    camelCase alike), and so is the base64 alphabet of bytes fields (the same bytes either way), but where the
    SDK re-encoded one, ``contents_reencoded`` says so."""

    def check(sent: httpx2.Request) -> dict[str, Any]:
        reencoded: list[str] = []
        difference = _difference(_camel_keys(recorded), _camel_keys(_sent_contents(sent)), "contents", reencoded)
        facts: dict[str, Any] = {"contents_match": difference is None}
        if difference:
            facts["contents_difference"] = difference
        if reencoded:
            facts["contents_reencoded"] = reencoded
        return facts

    return check


def _sent_contents(sent: httpx2.Request) -> Any:
    try:
        body = json.loads(sent.content)
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    if isinstance(body.get("requests"), list):  # batchEmbedContents
        return [request.get("content") for request in body["requests"] if isinstance(request, dict)]
    return body.get("contents")


def _camel_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {_camel(key): _camel_keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_camel_keys(item) for item in value]
    return value


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def _difference(recorded: Any, sent: Any, where: str, reencoded: list[str]) -> str | None:
    """The first place (a JSON path) where what the SDK sent differs from the recording, or None."""
    if isinstance(recorded, dict) and isinstance(sent, dict):
        for key in sorted(set(recorded) | set(sent)):
            found = _difference(recorded.get(key), sent.get(key), f"{where}.{key}", reencoded)
            if found:
                return found
        return None
    if isinstance(recorded, list) and isinstance(sent, list) and len(recorded) == len(sent):
        for index, (left, right) in enumerate(zip(recorded, sent, strict=True)):
            found = _difference(left, right, f"{where}[{index}]", reencoded)
            if found:
                return found
        return None
    if recorded == sent:
        return None
    if where.rsplit(".", 1)[-1] in _BASE64_FIELDS and _same_bytes(recorded, sent):
        reencoded.append(f"{where}: {_alphabet(recorded)} in the recording, {_alphabet(sent)} as sent")
        return None
    return f"{where}: recorded {_short(json.dumps(recorded), 80)}, sent {_short(json.dumps(sent), 80)}"


def _decoded(text: str) -> bytes | None:
    try:
        return base64.b64decode(text.replace("-", "+").replace("_", "/") + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


def _same_bytes(left: Any, right: Any) -> bool:
    if not (isinstance(left, str) and isinstance(right, str)):
        return False
    decoded = _decoded(left)
    return decoded is not None and decoded == _decoded(right)


def _alphabet(text: str) -> str:
    if any(c in text for c in "-_"):
        return "base64url"
    return "standard base64" if any(c in text for c in "+/") else "base64 (either alphabet)"


# --- generic summaries --------------------------------------------------------------------------------------------


def _attributes(obj: Any, names: Iterable[str]) -> dict[str, Any]:
    found = {name: getattr(obj, name, None) for name in names}
    return {name: value for name, value in found.items() if value is not None}


def _usage(usage: Any) -> dict[str, Any]:
    if usage is None:
        return {}
    dump = getattr(usage, "model_dump", None)
    return {"usage": dump(mode="json", exclude_none=True) if callable(dump) else usage}


def _short(text: Any, limit: int = _TEXT_LIMIT) -> Any:
    if not isinstance(text, str):
        return text
    return text if len(text) <= limit else text[:limit] + "…"


# --- errors: what the SDK exposes against what the body carries -----------------------------------------------------


def _recorded_error(body: Any) -> dict[str, Any]:
    """The ``error`` object of a recorded error body (unwrapping the one-item list Gemini's compat layer sends)."""
    if isinstance(body, list) and len(body) == 1:
        body = body[0]
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def _lookup(obj: Mapping[str, Any], dotted: str) -> Any:
    value: Any = obj
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _qualified_name(cls: type) -> str:
    """The shortest public import path of a class: ``openai.NotFoundError``, not ``openai._exceptions.…``."""
    parts = cls.__module__.split(".")
    for length in range(1, len(parts) + 1):
        module = sys.modules.get(".".join(parts[:length]))
        if getattr(module, cls.__name__, None) is cls and not any(p.startswith("_") for p in parts[:length]):
            return f"{'.'.join(parts[:length])}.{cls.__name__}"
    return f"{cls.__module__}.{cls.__qualname__}"


def _error_detail(exc: Exception, plan: _Plan, response: RecordedResponse) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "exception": _qualified_name(type(exc)),
        "status_code": getattr(exc, "status_code", None) or getattr(exc, "code", None),
    }
    for attr in dict.fromkeys(attr for attr, _ in plan.error_fields):
        detail[attr] = _json_safe(getattr(exc, attr, None))
    detail.setdefault("message", _short(str(getattr(exc, "message", exc)), _BODY_LIMIT))
    if plan.sdk == ANTHROPIC_SDK:
        detail["request_id"] = getattr(exc, "request_id", None)
    body = getattr(exc, "details" if plan.sdk == GENAI_SDK else "body", None)
    detail["body"] = _short(json.dumps(body, default=str), _BODY_LIMIT)
    detail["not_exposed"] = _hidden_fields(exc, plan, response)
    return detail


def _hidden_fields(exc: Exception, plan: _Plan, response: RecordedResponse) -> dict[str, str]:
    """Error attribute -> the body field whose value it does not expose (None, or a message without the text)."""
    error = _recorded_error(response.json)
    hidden: dict[str, str] = {}
    for attr, dotted in plan.error_fields:
        recorded = _lookup(error, dotted)
        if attr not in hidden and _not_exposed(getattr(exc, attr, None), recorded):
            hidden[attr] = f"error.{dotted}={_short(recorded, 60)!r}"
    top = response.json if isinstance(response.json, dict) else {}
    if plan.sdk == ANTHROPIC_SDK and getattr(exc, "request_id", None) is None and top.get("request_id"):
        hidden["request_id"] = f"request_id={top['request_id']!r} (the SDK reads only the request-id header)"
    return hidden


def _not_exposed(value: Any, recorded: Any) -> bool:
    if recorded is None:
        return False
    if value is None:
        return True
    return isinstance(value, str) and isinstance(recorded, str) and recorded not in value


def _json_safe(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    dump = getattr(value, "model_dump", None)
    return dump(mode="json", exclude_none=True) if callable(dump) else str(value)


# --- running one plan ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Run:
    """What happened when the plan ran: the SDK's result or exception, the requests it sent, its warnings."""

    result: Any
    error: Exception | None
    sent: list[httpx2.Request]
    warned: list[str]


def _run(plan: _Plan, response: RecordedResponse) -> _Run:
    """Run the SDK call against the recorded answer; warnings (errors under pytest's filter) are kept as data."""
    answerer = _Answerer(response)
    result: Any = None
    error: Exception | None = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with httpx2.Client(transport=httpx2.MockTransport(answerer), timeout=REPLAY_TIMEOUT) as http_client:
            try:
                result = plan.invoke(http_client)
            except Exception as exc:  # the SDK's exceptions are data
                error = exc
    return _Run(result, error, answerer.sent, [f"{w.category.__name__}: {w.message}" for w in caught])


def _plan_for(api: str, request: RecordedRequest) -> _Plan:
    sdk = SDK_OF_API[api]
    if sdk == OPENAI_SDK:
        return _openai_plan(request)
    if sdk == ANTHROPIC_SDK:
        return _anthropic_plan(request)
    return _gemini_plan(request)


FAMILY_OF_SDK = {OPENAI_SDK: "openai", ANTHROPIC_SDK: "anthropic", GENAI_SDK: "gemini"}
"""The built-in API whose SDK calls a user spec's exchanges are rebuilt as (a gateway spec says its SDK)."""


def replay(interaction: Interaction, api: str | None = None, sdk: str | None = None) -> ReplayResult | None:
    """Re-issue the interaction's request through the official SDK, answered by its recorded response; None when
    the exchange is not one of the known APIs. ``api``/``sdk`` name a user spec's API and its SDK (the audit
    attributes those from the spec's ``base_url``). The SDK's exceptions are data: only interrupts escape."""
    attempt = interaction.attempt
    api = api or api_of(attempt.request)
    if api is None:
        return None
    family = api if api in SDK_OF_API else FAMILY_OF_SDK.get(sdk or "")
    if family is None:
        return None
    try:
        result = _replay(family, attempt)
    except Exception as exc:  # a bug here must not hide the other results
        result = _not_reissuable(family, attempt, f"the replay itself failed: {type(exc).__name__}: {exc}")
    return result if family == api else dataclasses.replace(result, api=api)


def replay_all(recordings: Iterable[Recording]) -> list[tuple[Recording, Interaction, ReplayResult]]:
    """:func:`replay` over every interaction of every recording, keeping those of a known API."""
    results: list[tuple[Recording, Interaction, ReplayResult]] = []
    for recording in recordings:
        for interaction in recording.interactions:
            result = replay(interaction)
            if result is not None:
                results.append((recording, interaction, result))
    return results


def _replay(api: str, attempt: Attempt) -> ReplayResult:
    if attempt.response is None:
        return _not_reissuable(api, attempt, f"the recording holds no answer ({attempt.error})")
    try:
        plan = _plan_for(api, attempt.request)
    except NotReissuable as exc:
        return _not_reissuable(api, attempt, str(exc))
    return _result(api, plan, attempt.response, attempt.request, _run(plan, attempt.response))


def _not_reissuable(api: str, attempt: Attempt, reason: str) -> ReplayResult:
    status = attempt.response.status if attempt.response is not None else 0
    call = f"{attempt.request.method} {_split(attempt.request)[1]}"
    detail = {"reason": reason}
    return ReplayResult(api, SDK_OF_API[api], call, status, NOT_REISSUABLE, detail, f"not re-issuable: {reason}", False)


def _result(api: str, plan: _Plan, response: RecordedResponse, request: RecordedRequest, run: _Run) -> ReplayResult:
    matches, detail = _sent_facts(run, request)
    if plan.notes:
        detail["notes"] = list(plan.notes)
    if run.warned:
        detail["warnings"] = run.warned
    if run.sent and plan.check_sent is not None:
        detail.update(plan.check_sent(run.sent[0]))
    outcome, facts = _outcome(plan, response, run)
    detail.update(facts)
    message = _message(plan, response.status, outcome, detail) + _request_remarks(detail)
    return ReplayResult(api, plan.sdk, plan.call, response.status, outcome, detail, message, matches)


def _target(method: str, path: str, query: str) -> str:
    return f"{method} {path}" + (f"?{query}" if query else "")


def _sent_facts(run: _Run, request: RecordedRequest) -> tuple[bool, dict[str, Any]]:
    """Whether the SDK sent the recorded method and path; what it sent, and the recorded request where it differs."""
    if not run.sent:
        return False, {"sent": None}
    first = run.sent[0]
    recorded_query = urlsplit(request.url).query
    sent_path, sent_query = unquote(first.url.path), first.url.query.decode()
    facts: dict[str, Any] = {"sent": _target(first.method, sent_path, sent_query)}
    matches = (first.method, sent_path) == (request.method, _split(request)[1])
    if not matches or unquote(sent_query) != unquote(recorded_query):
        facts["recorded"] = _target(request.method, _split(request)[1], unquote(recorded_query))
    if len(run.sent) > 1:
        facts["requests_sent"] = len(run.sent)
    return matches, facts


def _request_remarks(detail: Mapping[str, Any]) -> str:
    remarks = []
    if detail.get("sent") and detail.get("recorded"):
        remarks.append(f"it sent {detail['sent']} where the recording has {detail['recorded']}")
    if detail.get("contents_match") is False:
        remarks.append(f"it sent other contents ({detail['contents_difference']})")
    if detail.get("contents_reencoded"):
        remarks.append(f"it re-encoded {'; '.join(detail['contents_reencoded'])}")
    return "".join(f"; {remark}" for remark in remarks)


def _outcome(plan: _Plan, response: RecordedResponse, run: _Run) -> tuple[ReplayOutcome, dict[str, Any]]:
    if run.error is None:
        return PARSED, _safe_summary(plan, run.result)
    if isinstance(run.error, STATUS_ERRORS):
        return RAISED, _error_detail(run.error, plan, response)
    failure = {"exception": _qualified_name(type(run.error)), "error": _short(str(run.error), _BODY_LIMIT)}
    if run.sent:
        return SDK_FAILED, failure
    reason = f"the SDK refused the request before sending it: {_failure_text(run.error)}"
    return NOT_REISSUABLE, {**failure, "reason": reason + (f" ({plan.hint})" if plan.hint else "")}


def _safe_summary(plan: _Plan, result: Any) -> dict[str, Any]:
    try:
        return plan.summarize(result)
    except Exception as exc:  # describing the SDK's object is our code: it must not lose the outcome
        return {"type": type(result).__name__, "summary_error": f"{type(exc).__name__}: {exc}"}


def _failure_text(exc: Exception) -> str:
    first_line = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {_short(first_line)}"


def _message(plan: _Plan, status: int, outcome: ReplayOutcome, detail: Mapping[str, Any]) -> str:
    if outcome == PARSED:
        return f"{plan.sdk} SDK parsed the {status} answer to {plan.call} into {detail.get('type')}{_facts(detail)}"
    if outcome == RAISED:
        name = str(detail["exception"]).rsplit(".", 1)[-1]
        return f"{plan.sdk} SDK raised {name}({detail.get('status_code')}) on {plan.call}{_hidden_text(detail)}"
    if outcome == NOT_REISSUABLE:
        return f"not re-issuable: {detail['reason']}"
    name = str(detail["exception"]).rsplit(".", 1)[-1]
    return f"{plan.sdk} SDK failed on the {status} answer to {plan.call}: {name}: {_short(detail['error'], 120)}"


def _facts(detail: Mapping[str, Any]) -> str:
    keys = ("choices", "candidates", "chunks", "events", "items", "finish_reasons", "stop_reason")
    facts = [f"{key}={detail[key]!r}" for key in (*keys, "input_tokens", "total_tokens") if detail.get(key)]
    return f" ({', '.join(facts)})" if facts else ""


def _hidden_text(detail: Mapping[str, Any]) -> str:
    hidden: Mapping[str, str] = detail.get("not_exposed") or {}
    if not hidden:
        return ""
    shown = ", ".join(f".{attr}={_short(detail.get(attr), 40)!r}" for attr in hidden)
    return f"; {shown} although the body carries {', '.join(hidden.values())}"


# --- the replay as a result: outcome, message and the facts a results file keeps -----------------------------------

_ERROR_TYPE_ATTR = {OPENAI_SDK: "type", ANTHROPIC_SDK: "type", GENAI_SDK: "status"}
_ERROR_CODE_ATTR = {OPENAI_SDK: "code", ANTHROPIC_SDK: "error_code", GENAI_SDK: "code"}
_SDK_DISTRIBUTION = {OPENAI_SDK: "openai", ANTHROPIC_SDK: "anthropic", GENAI_SDK: "google-genai"}
SDK_DOCS = {
    OPENAI_SDK: "https://github.com/openai/openai-python",
    ANTHROPIC_SDK: "https://github.com/anthropics/anthropic-sdk-python",
    GENAI_SDK: "https://github.com/googleapis/python-genai",
}
"""Where each SDK documents what it does with an answer (its README: parsed types, errors, streaming)."""


def judged(result: ReplayResult) -> tuple[Outcome, str]:
    """The results-file outcome (pass / fail / skip) of a replay, and its message.

    pass: the SDK parsed a 2xx answer, or raised its API-status error carrying the recorded status on an error
    answer. fail: it parsed an error answer, raised on a 2xx one, reported another status, or failed on an answer
    to the very request it sent. skip: it could not re-issue the request, or it failed on an answer recorded for a
    different request than the one it sent (the recording cannot say what the API answers to the SDK's request)."""
    detail, status = result.detail, result.status
    ok = 200 <= status < 300
    if result.outcome == NOT_REISSUABLE:
        return Outcome.SKIP, result.message
    if result.outcome == SDK_FAILED:
        if detail.get("recorded") or detail.get("contents_match") is False:
            return Outcome.SKIP, (
                f"{result.message} — the SDK sent another request than the recorded one, so the recorded answer is "
                "not evidence of what the API answers to the SDK"
            )
        return Outcome.FAIL, result.message
    if result.outcome == PARSED:
        if ok:
            return Outcome.PASS, result.message
        return Outcome.FAIL, f"{result.message}, although the answer is an error"
    if ok:
        return Outcome.FAIL, f"{result.message}, although the recorded answer is a success"
    if detail.get("status_code") != status:
        return Outcome.FAIL, f"{result.message}, although the recorded status is {status}"
    return Outcome.PASS, result.message


def facts(result: ReplayResult) -> dict[str, Any]:
    """What a results file keeps of a replay: the SDK and its version, the call, the outcome, and either the parsed
    object's fields, or the exception with the status code, error type and code the SDK exposes (and the body's
    error fields it does not), or why the request could not be re-issued."""
    detail = result.detail
    kept: dict[str, Any] = {
        "sdk": result.sdk,
        "sdk_version": _version(result.sdk),
        "call": result.call,
        "outcome": result.outcome,
        "recorded_status": result.status,
        "path_matches": result.path_matches,
    }
    for key in _REQUEST_FACTS:
        if detail.get(key) is not None:
            kept[key] = detail[key]
    if result.outcome == PARSED:
        kept["parsed"] = {k: v for k, v in detail.items() if k not in _REQUEST_FACTS}
    elif result.outcome == RAISED:
        kept["exception"] = detail.get("exception")
        kept["status_code"] = detail.get("status_code")
        kept["error_type"] = detail.get(_ERROR_TYPE_ATTR[result.sdk])
        kept["error_code"] = detail.get(_ERROR_CODE_ATTR[result.sdk])
        kept["error_message"] = detail.get("api_message", detail.get("message"))
        kept["not_exposed"] = detail.get("not_exposed") or {}
        kept["body"] = detail.get("body")
    elif result.outcome == SDK_FAILED:
        kept["exception"] = detail.get("exception")
        kept["error"] = detail.get("error")
    else:
        kept["reason"] = detail.get("reason")
        if detail.get("exception"):
            kept["exception"] = detail["exception"]
    return kept


_REQUEST_FACTS = (
    "sent",
    "recorded",
    "requests_sent",
    "notes",
    "warnings",
    "contents_match",
    "contents_difference",
    "contents_reencoded",
)


@functools.cache
def _version(sdk: str) -> str:
    try:
        return importlib_metadata.version(_SDK_DISTRIBUTION[sdk])
    except importlib_metadata.PackageNotFoundError:
        return "not installed"
