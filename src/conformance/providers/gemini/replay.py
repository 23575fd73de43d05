"""How the SDK replay rebuilds a recorded Gemini API request as a ``google-genai`` SDK call, summarises what the SDK
returned, and says whether it sent the recorded ``contents``."""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx2
import pydantic
from google import genai
from google.genai import types as genai_types

from conformance.audit.sdk_call import (
    GEMINI_BASE_URL,
    GENAI_SDK,
    REPLAY_KEY,
    NotReissuable,
    SdkCall,
    attributes,
    extra_note,
    json_object,
    short,
    split_url,
    usage_summary,
)
from conformance.exchange.model import RecordedRequest
from conformance.providers.clients import new_genai

_BASE64_FIELDS = frozenset({"thoughtSignature", "data"})

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


def gemini_call(request: RecordedRequest) -> SdkCall:
    _origin, path, query = split_url(request)
    method_match = _GEMINI_METHOD.match(path)
    if method_match is not None and request.method == "POST":
        return _gemini_method_plan(method_match, json_object(request), _enum_hint(query))
    models_match = _GEMINI_MODELS.match(path)
    if models_match is not None and request.method == "GET":
        return _gemini_models_plan(models_match["version"], models_match["model"], query)
    raise NotReissuable(f"{request.method} {path} is not an endpoint this replay maps to a google-genai SDK call")


def _gemini_method_plan(match: re.Match[str], body: dict[str, Any], hint: str | None) -> SdkCall:
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
    return new_genai(
        REPLAY_KEY,
        GEMINI_BASE_URL,
        http_client,
        _unused_genai_async_client(),
        api_version=version,
        async_client_args={"ssl": _unused_tls_context()},
    )


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
        return (*(note for note in first if note), *self.notes, *extra_note(self.extra))


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


def _generate_plan(version: str, model: str, body: dict[str, Any], stream: bool, hint: str | None) -> SdkCall:
    contents = _recorded_contents(body)
    mapped = _generation_mapping(body)

    def invoke(http_client: httpx2.Client) -> Any:
        models = _genai_client(version, http_client).models
        if stream:
            return list(models.generate_content_stream(model=model, contents=contents, config=mapped.config_or_none()))
        return models.generate_content(model=model, contents=contents, config=mapped.config_or_none())

    call = "models.generate_content_stream" if stream else "models.generate_content"
    return SdkCall(
        GENAI_SDK,
        call,
        invoke,
        _genai_summary,
        _GENAI_ERROR_FIELDS,
        mapped.all_notes(hint),
        hint,
        contents_check(contents),
    )


def _count_tokens_plan(version: str, model: str, body: dict[str, Any], hint: str | None) -> SdkCall:
    """``contents`` at the top, or a whole ``generateContentRequest`` (whose parts the SDK sends at the top)."""
    inner = body.get("generateContentRequest")
    source: dict[str, Any] = inner if isinstance(inner, dict) else body
    contents = _recorded_contents(source)
    mapped = _count_tokens_mapping(source)
    wrapped = "the recording wraps the request in generateContentRequest" if isinstance(inner, dict) else None

    def invoke(http_client: httpx2.Client) -> Any:
        models = _genai_client(version, http_client).models
        return models.count_tokens(model=model, contents=contents, config=mapped.config_or_none())

    return SdkCall(
        GENAI_SDK,
        "models.count_tokens",
        invoke,
        _genai_summary,
        _GENAI_ERROR_FIELDS,
        mapped.all_notes(hint, wrapped),
        hint,
        contents_check(contents),
    )


def _embed_plan(version: str, model: str, body: dict[str, Any], method: str, hint: str | None) -> SdkCall:
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
    return SdkCall(
        GENAI_SDK,
        "models.embed_content",
        invoke,
        _genai_summary,
        _GENAI_ERROR_FIELDS,
        notes,
        hint,
        contents_check(contents),
    )


def _gemini_models_plan(version: str, model: str | None, query: Mapping[str, str]) -> SdkCall:
    config: Any = {"page_size": int(query["pageSize"])} if query.get("pageSize", "").isdigit() else {}

    def invoke(http_client: httpx2.Client) -> Any:
        models = _genai_client(version, http_client).models
        if model is None:
            return models.list(config=config or None).page
        return models.get(model=model)

    call = "models.list" if model is None else "models.get"
    return SdkCall(GENAI_SDK, call, invoke, _genai_summary, _GENAI_ERROR_FIELDS)


def _genai_summary(result: Any) -> dict[str, Any]:
    if isinstance(result, list) and all(isinstance(item, genai_types.GenerateContentResponse) for item in result):
        return _genai_stream_summary(result)
    if isinstance(result, list):
        return {"type": "Page", "items": len(result), "first_names": [getattr(m, "name", None) for m in result[:3]]}
    summary: dict[str, Any] = {"type": type(result).__name__}
    if isinstance(result, genai_types.GenerateContentResponse):
        summary.update(_genai_response_summary(result))
    summary.update(attributes(result, ("total_tokens", "cached_content_token_count", "name")))
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
        "text": short(_candidate_text(candidates[0]) if candidates else None),
        "function_calls": [call.name for call in response.function_calls or []],
        **usage_summary(response.usage_metadata),
    }


def _genai_stream_summary(chunks: list[genai_types.GenerateContentResponse]) -> dict[str, Any]:
    candidates = [candidate for chunk in chunks for candidate in chunk.candidates or []]
    usage = next((chunk.usage_metadata for chunk in reversed(chunks) if chunk.usage_metadata is not None), None)
    return {
        "type": "Stream",
        "chunks": len(chunks),
        "finish_reasons": [_enum_text(c.finish_reason) for c in candidates if c.finish_reason is not None],
        "text": short("".join(_candidate_text(chunk.candidates[0]) for chunk in chunks if chunk.candidates)),
        "function_calls": [call.name for chunk in chunks for call in chunk.function_calls or []],
        **usage_summary(usage),
    }


def _candidate_text(candidate: genai_types.Candidate) -> str:
    """The answer text of a candidate (thought summaries left out)."""
    parts = candidate.content.parts if candidate.content is not None else None
    return "".join(part.text for part in parts or [] if part.text and not part.thought)


def _enum_text(value: Any) -> Any:
    return getattr(value, "value", value)


# --- did the SDK send the recorded contents? ----------------------------------------------------------------------


def contents_check(recorded: Any) -> Callable[[httpx2.Request], dict[str, Any]]:
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
    return f"{where}: recorded {short(json.dumps(recorded), 80)}, sent {short(json.dumps(sent), 80)}"


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
