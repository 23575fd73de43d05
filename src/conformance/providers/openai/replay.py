"""How the SDK replay rebuilds a recorded OpenAI-compatible request as an ``openai`` SDK call, and summarises what
the SDK returned."""

from __future__ import annotations

import re
from typing import Any

import httpx2
import openai
from openai.resources.chat.completions import Completions as OpenAIChatCompletions
from openai.resources.completions import Completions as OpenAICompletions
from openai.resources.embeddings import Embeddings as OpenAIEmbeddings

from conformance.audit.sdk_call import (
    OPENAI_SDK,
    REPLAY_KEY,
    REPLAY_TIMEOUT,
    NotReissuable,
    SdkCall,
    attributes,
    call_label,
    extra_note,
    json_object,
    page_summary,
    sdk_resource,
    short,
    split_kwargs,
    split_url,
    usage_summary,
    with_extra,
)
from conformance.exchange.model import RecordedRequest
from conformance.providers.clients import new_openai

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


def openai_call(request: RecordedRequest) -> SdkCall:
    origin, path, query = split_url(request)
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
    return _openai_create_plan(base_url, resource, cls, json_object(request))


def _openai_client(base_url: str, http_client: httpx2.Client) -> openai.OpenAI:
    return new_openai(REPLAY_KEY, base_url, REPLAY_TIMEOUT, http_client)


def _openai_create_plan(base_url: str, resource: str, cls: Any, body: dict[str, Any]) -> SdkCall:
    known, extra = split_kwargs(cls.create, body)
    stream = known.get("stream") is True

    def invoke(http_client: httpx2.Client) -> Any:
        result = sdk_resource(_openai_client(base_url, http_client), resource).create(**with_extra(known, extra))
        return list(result) if stream else result

    label = call_label(f"{resource}.create", stream)
    return SdkCall(OPENAI_SDK, label, invoke, _openai_summary, _OPENAI_ERROR_FIELDS, extra_note(extra))


def _openai_models_plan(method: str, base_url: str, model_id: str | None, query: dict[str, str]) -> SdkCall:
    if method != "GET":
        raise NotReissuable(f"{method} …/models: the openai SDK reads models only with GET")

    def invoke(http_client: httpx2.Client) -> Any:
        models = _openai_client(base_url, http_client).models
        if model_id is None:
            return models.list(extra_query=query or None)
        return models.retrieve(model_id, extra_query=query or None)

    call = "models.list" if model_id is None else "models.retrieve"
    return SdkCall(OPENAI_SDK, call, invoke, _openai_summary, _OPENAI_ERROR_FIELDS)


def _openai_summary(result: Any) -> dict[str, Any]:
    if isinstance(result, list):
        return _chunks_summary(result)
    if isinstance(result, openai.pagination.SyncPage):
        return page_summary(result.data)
    summary: dict[str, Any] = {"type": type(result).__name__}
    summary.update(attributes(result, ("id", "model", "object", "owned_by")))
    choices = getattr(result, "choices", None)
    if isinstance(choices, list):
        summary.update(_choices_summary(choices))
    data = getattr(result, "data", None)
    if isinstance(data, list):
        summary["data"] = len(data)
        summary["dimensions"] = len(getattr(data[0], "embedding", None) or []) if data else 0
    summary.update(usage_summary(getattr(result, "usage", None)))
    return summary


def _choices_summary(choices: list[Any]) -> dict[str, Any]:
    first = choices[0] if choices else None
    message = getattr(first, "message", None)
    text = getattr(message, "content", None) if message is not None else getattr(first, "text", None)
    return {
        "choices": len(choices),
        "finish_reasons": [getattr(choice, "finish_reason", None) for choice in choices],
        "text": short(text),
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
        summary.update(attributes(chunks[0], ("id", "model")))
    summary["finish_reasons"] = [finish[index] for index in sorted(finish)]
    summary["text"] = short("".join(pieces))
    summary.update(usage_summary(usage))
    return summary
