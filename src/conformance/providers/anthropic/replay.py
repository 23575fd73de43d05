"""How the SDK replay rebuilds a recorded Messages API request as an ``anthropic`` SDK call, and summarises what the
SDK returned."""

from __future__ import annotations

from collections import Counter
from typing import Any

import anthropic
import httpx2
from anthropic.resources.beta.messages import Messages as AnthropicBetaMessages
from anthropic.resources.messages import Messages as AnthropicMessages

from conformance.audit.sdk_call import (
    ANTHROPIC_BASE_URL,
    ANTHROPIC_SDK,
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
from conformance.providers.clients import new_anthropic

# --- anthropic -----------------------------------------------------------------------------------------------------

_ANTHROPIC_ERROR_FIELDS = (("type", "type"), ("api_message", "message"), ("error_code", "details.error_code"))


def anthropic_call(request: RecordedRequest) -> SdkCall:
    _origin, path, query = split_url(request)
    beta = query.pop("beta", None) == "true"
    if path == "/v1/complete":
        raise NotReissuable(_legacy_complete_reason())
    if path in ("/v1/messages", "/v1/messages/count_tokens") and request.method == "POST":
        return _anthropic_messages_plan(path, json_object(request), beta)
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
    return new_anthropic(REPLAY_KEY, ANTHROPIC_BASE_URL, REPLAY_TIMEOUT, http_client)


def _anthropic_messages_plan(path: str, body: dict[str, Any], beta: bool) -> SdkCall:
    """``?beta=true`` (what ``client.beta.messages`` sends) goes through the beta resource, when the SDK has one."""
    verb = "count_tokens" if path.endswith("/count_tokens") else "create"
    beta = beta and hasattr(AnthropicBetaMessages, verb)
    resource, cls = ("beta.messages", AnthropicBetaMessages) if beta else ("messages", AnthropicMessages)
    known, extra = split_kwargs(getattr(cls, verb), body)
    stream = verb == "create" and known.get("stream") is True

    def invoke(http_client: httpx2.Client) -> Any:
        method = getattr(sdk_resource(_anthropic_client(http_client), resource), verb)
        result = method(**with_extra(known, extra))
        return list(result) if stream else result

    label = call_label(f"{resource}.{verb}", stream)
    return SdkCall(ANTHROPIC_SDK, label, invoke, _anthropic_summary, _ANTHROPIC_ERROR_FIELDS, extra_note(extra))


def _anthropic_models_plan(path: str, query: dict[str, str]) -> SdkCall:
    model_id = path.removeprefix("/v1/models").strip("/") or None

    def invoke(http_client: httpx2.Client) -> Any:
        models = _anthropic_client(http_client).models
        if model_id is None:
            return models.list(extra_query=query or None)
        return models.retrieve(model_id, extra_query=query or None)

    call = "models.list" if model_id is None else "models.retrieve"
    return SdkCall(ANTHROPIC_SDK, call, invoke, _anthropic_summary, _ANTHROPIC_ERROR_FIELDS)


def _anthropic_summary(result: Any) -> dict[str, Any]:
    if isinstance(result, list):
        return _events_summary(result)
    if isinstance(result, anthropic.pagination.SyncPage):
        return page_summary(result.data)
    summary: dict[str, Any] = {"type": type(result).__name__}
    summary.update(attributes(result, ("id", "model", "stop_reason", "input_tokens", "display_name")))
    content = getattr(result, "content", None)
    if isinstance(content, list):
        summary["content_types"] = [getattr(block, "type", None) for block in content]
        summary["text"] = short("".join(block.text for block in content if getattr(block, "type", "") == "text"))
    summary.update(usage_summary(getattr(result, "usage", None)))
    return summary


def _events_summary(events: list[Any]) -> dict[str, Any]:
    """A consumed Messages stream: the event count and types, the text, the stop reason and the final usage."""
    usage: dict[str, Any] = {}
    text: list[str] = []
    stop_reason = None
    for event in events:
        kind = getattr(event, "type", None)
        if kind == "message_start":
            usage.update(usage_summary(event.message.usage).get("usage", {}))
        elif kind == "message_delta":
            stop_reason = event.delta.stop_reason
            usage.update(usage_summary(event.usage).get("usage", {}))
        elif kind == "content_block_delta" and getattr(event.delta, "type", None) == "text_delta":
            text.append(event.delta.text)
    return {
        "type": "Stream",
        "events": len(events),
        "event_types": dict(Counter(str(getattr(event, "type", type(event).__name__)) for event in events)),
        "stop_reason": stop_reason,
        "text": short("".join(text)),
        "usage": usage,
    }
