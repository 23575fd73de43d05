"""What the SDK replay's per-family mappers share (``providers/<family>/replay.py``): the SDK call rebuilt from a
recorded request (:class:`SdkCall`), the request's parts, and the short summaries of what an SDK returned."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import httpx2

from conformance.errors import CheckSignal
from conformance.exchange.model import RecordedRequest
from conformance.recordings.attribution import ANTHROPIC_HOST, GEMINI_HOST
from conformance.spec.model import Sdk

OPENAI_SDK = Sdk.OPENAI.value
ANTHROPIC_SDK = Sdk.ANTHROPIC.value
GENAI_SDK = Sdk.GOOGLE_GENAI.value
"""The SDKs' names as results files and replay results spell them: the values of :class:`~conformance.spec.model.Sdk`."""

SDK_OF_API = {
    "openai": OPENAI_SDK,
    "anthropic-openai": OPENAI_SDK,
    "gemini-openai": OPENAI_SDK,
    "anthropic": ANTHROPIC_SDK,
    "gemini": GENAI_SDK,
}

REPLAY_TIMEOUT = 30.0
"""An explicit client timeout, as the harness's own clients set. With the default one, anthropic refuses (before
sending) a non-streaming ``messages.create`` whose ``max_tokens`` might take over ten minutes to generate."""

GEMINI_BASE_URL = f"https://{GEMINI_HOST}"
ANTHROPIC_BASE_URL = f"https://{ANTHROPIC_HOST}"
REPLAY_KEY = "replay"
TEXT_LIMIT = 200
BODY_LIMIT = 300


class NotReissuable(CheckSignal):
    """The recorded request cannot be rebuilt as an SDK call; ``str()`` says why."""


# --- the plan: which SDK call, and how to describe what it returns ------------------------------------------------


@dataclass(frozen=True)
class SdkCall:
    sdk: str
    call: str
    invoke: Callable[[httpx2.Client], Any]
    summarize: Callable[[Any], dict[str, Any]]
    error_fields: tuple[tuple[str, str], ...]  # (SDK exception attribute, dotted field of the body's error object)
    notes: tuple[str, ...] = ()
    hint: str | None = None  # why the SDK may refuse the rebuilt call
    check_sent: Callable[[httpx2.Request], dict[str, Any]] | None = None


def split_url(request: RecordedRequest) -> tuple[str, str, dict[str, str]]:
    """Origin (scheme://host), unquoted path, and query parameters of the recorded URL."""
    parts = urlsplit(request.url)
    return f"{parts.scheme}://{parts.netloc}", unquote(parts.path), dict(parse_qsl(parts.query))


def json_object(request: RecordedRequest) -> dict[str, Any]:
    body = request.json
    if not isinstance(body, dict):
        raise NotReissuable("the recorded request body is not a JSON object")
    return body


def split_kwargs(method: Callable[..., Any], body: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Body keys the SDK method takes as keyword arguments, and the rest (sent through ``extra_body``)."""
    names = {
        name
        for name, parameter in inspect.signature(method).parameters.items()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY and not name.startswith("extra_") and name != "timeout"
    }
    return {k: v for k, v in body.items() if k in names}, {k: v for k, v in body.items() if k not in names}


def with_extra(known: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    return {**known, "extra_body": extra} if extra else known


def extra_note(extra: Mapping[str, Any]) -> tuple[str, ...]:
    return (f"sent through extra_body: {', '.join(sorted(extra))}",) if extra else ()


def sdk_resource(client: Any, dotted: str) -> Any:
    return functools.reduce(getattr, dotted.split("."), client)


def call_label(call: str, stream: bool) -> str:
    return f"{call}(stream=True)" if stream else call


# --- generic summaries --------------------------------------------------------------------------------------------


def attributes(obj: Any, names: Iterable[str]) -> dict[str, Any]:
    found = {name: getattr(obj, name, None) for name in names}
    return {name: value for name, value in found.items() if value is not None}


def usage_summary(usage: Any) -> dict[str, Any]:
    if usage is None:
        return {}
    dump = getattr(usage, "model_dump", None)
    return {"usage": dump(mode="json", exclude_none=True) if callable(dump) else usage}


def short(text: Any, limit: int = TEXT_LIMIT) -> Any:
    if not isinstance(text, str):
        return text
    return text if len(text) <= limit else text[:limit] + "…"


def page_summary(items: list[Any]) -> dict[str, Any]:
    return {"type": "Page", "items": len(items), "first_ids": [getattr(item, "id", None) for item in items[:3]]}
