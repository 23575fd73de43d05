"""The fake of Anthropic's native Messages API (POST /v1/messages, count_tokens, models), per specs/anthropic.yaml."""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from . import anthropic_jobs
from .faults import (
    MALFORMED,
    Config,
    Fault,
    Flavor,
    Limit,
    Problem,
    body,
    check,
    check_body,
    check_model,
    effect,
    error_shape,
    field_fault,
    find,
    fresh_id,
    gate,
    header,
    header_optional,
    header_refused,
    refuse,
    reply_edit,
    routes_off,
)
from .model import Answer, Prompt, respond
from .server import Reply, Request, SseEvent

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}
STOP_REASONS = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}
SIGNATURE = "c2lnbmF0dXJlLWZha2U="
RATELIMIT_HEADERS = {
    f"anthropic-ratelimit-{kind}-{what}": value
    for kind in ("requests", "tokens", "input-tokens", "output-tokens")
    for what, value in (("limit", "50000"), ("remaining", "49000"), ("reset", "2026-12-02T10:00:00Z"))
}
"""The Rate limits page's headers, on every answer, in their documented formats."""
PDF_TEXT = re.compile(rb"\((.*?)\) Tj")


def config() -> Config:
    return Config(
        flavor="anthropic",
        models=("claude-haiku-4-5", "claude-sonnet-4-5", "claude-opus-4-1"),
        routes={"messages", "count_tokens", "models", "model", "batches", "batch", "batch-cancel", "files"}
        | {"files-list", "file-delete", "skills", "skills-list", "skill-version-delete", "skill-delete"},
        effects={"max_tokens", "stop", "system", "system-blocks", "string-content", "thinking", "stream"}
        | {"tool_choice", "disable_parallel"},
        checks={"key", "model", "model-prefix", "min-tokens", "size", "roles", "thinking-budget"},
        required={"model", "max_tokens", "messages"},
        required_headers={"x-api-key", "anthropic-version", "content-type"},
        limits={"temperature": Limit(0, 1, cap=False)},
        headers={
            "request-id": "req_{id}",
            "anthropic-organization-id": "00000000-0000-4000-8000-00000000f4ce",
            **RATELIMIT_HEADERS,
        },
        model_prefixes=("claude-",),
        max_body=32 * 1024 * 1024,
        max_bodies=dict(anthropic_jobs.SIZE_LIMITS),
    )


def error(p: Problem) -> Reply:
    """The documented error body, its request_id the same as the request-id header."""
    kind = ERROR_TYPES.get(p.status, "invalid_request_error")
    request_id = f"req_{fresh_id()}"
    body = {"type": "error", "error": {"type": kind, "message": p.message}, "request_id": request_id}
    return Reply(p.status, body, headers={"request-id": request_id}, kind="error")


def app(cfg: Config, req: Request) -> Reply:
    try:
        gate(cfg, req)
        version = req.headers.get("anthropic-version")
        if version is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", version):
            raise Problem(400, f"anthropic-version: unknown version {version!r}")
        model_path = re.fullmatch(r"/v1/models/([^/]+)", req.path)
        if req.method == "POST" and req.path == "/v1/messages" and "messages" in cfg.routes:
            return _messages(cfg, req)
        if req.method == "POST" and req.path == "/v1/messages/count_tokens" and "count_tokens" in cfg.routes:
            _, prompt = _request(cfg, req, ("model", "messages"))
            return Reply(body={"input_tokens": prompt.tokens}, kind="count")
        if req.method == "GET" and req.path == "/v1/models" and "models" in cfg.routes:
            rows = [_model(m) for m in cfg.models]
            listing = {"data": rows, "has_more": False, "first_id": rows[0]["id"], "last_id": rows[-1]["id"]}
            return Reply(body=listing, kind="models")
        if req.method == "GET" and model_path and "model" in cfg.routes:
            check_model(cfg, model_path.group(1))
            return Reply(body=_model(model_path.group(1)), kind="model")
        job = anthropic_jobs.route(req)
        if job is not None and job[0] in cfg.routes:
            return anthropic_jobs.answer(cfg, job[0], job[1], req, lambda params: _batch_params(cfg, params))
        raise Problem(404, f"Not found: {req.method} {req.path}")
    except Problem as p:
        return error(p)
    except MALFORMED as exc:
        return error(Problem.malformed(exc))


def _model(model: str) -> dict[str, Any]:
    family, *version = model.split("-")[1:] or [model]
    name = f"Claude {family.capitalize()} {'.'.join(version)}".strip()
    return {"type": "model", "id": model, "display_name": name, "created_at": "2025-10-01T00:00:00Z"}


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "\n".join(b.get("text") or "" for b in content or [] if isinstance(b, dict) and b.get("type") == "text")


def _blocks_of(content: Any, kind: str) -> list[dict[str, Any]]:
    return [b for b in content if isinstance(b, dict) and b.get("type") == kind] if isinstance(content, list) else []


def _document_text(block: dict[str, Any]) -> str:
    """The text a base64 PDF document block shows (the strings of its ``Tj`` operators)."""
    try:
        pdf = base64.b64decode(str(block.get("source", {}).get("data", "")), validate=True)
    except (binascii.Error, ValueError):
        raise Problem(400, "document.source.data: invalid base64 data") from None
    if not pdf.startswith(b"%PDF-"):
        raise Problem(400, "document.source: The PDF specified was not valid.")
    return " ".join(m.decode("latin-1") for m in PDF_TEXT.findall(pdf))


def _visible(cfg: Config, messages: list[Any]) -> list[dict[str, Any]]:
    """The messages as the model sees them: content blocks of the dropped types removed; string content checked."""
    out = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, str) and "string-content" not in cfg.effects:
            raise Problem(400, "messages.0.content: Input should be a valid list")
        if isinstance(content, list):
            content = [b for b in content if not (isinstance(b, dict) and b.get("type") in cfg.drop_parts)]
        out.append({**message, "content": content})
    return out


def _request(cfg: Config, req: Request, mandatory: tuple[str, ...]) -> tuple[dict[str, Any], Prompt]:
    data = req.body
    if not isinstance(data, dict):
        raise Problem(400, "The request body is not valid JSON.")
    for name in mandatory:
        if name not in data and name in cfg.required:
            raise Problem(400, f"{name}: Field required")
    data.setdefault("model", cfg.models[0])  # a broken fake serves a request that leaves them out
    data.setdefault("messages", [{"role": "user", "content": "Hi"}])
    model = str(data.get("model"))
    if "max_tokens" in data and (not isinstance(data["max_tokens"], int) or isinstance(data["max_tokens"], bool)):
        raise Problem(400, "max_tokens: Input should be a valid integer")
    check_body(cfg, data, model)
    check_model(cfg, model)
    messages = data["messages"]
    if not isinstance(messages, list) or not messages:
        raise Problem(400, "messages: at least one message is required")
    for message in messages:
        role = message.get("role") if isinstance(message, dict) else None
        if role not in ("user", "assistant") and (role != "system" or "roles" in cfg.checks):
            raise Problem(
                400,
                f'messages: Unexpected role "{role}". The Messages API accepts a top-level `system` parameter,'
                " not a system message.",
            )
    system = data.get("system")
    blocks_ignored = isinstance(system, list) and "system-blocks" not in cfg.effects
    prompt = Prompt(system=_text(system) if "system" in cfg.effects and not blocks_ignored else "")
    messages = _visible(cfg, messages)
    for message in messages:
        content = message.get("content")
        text = _text(content)
        prompt.texts.append(text)
        if message["role"] == "system":
            prompt.system += " " + text
        if message["role"] == "user":
            prompt.question = text
            prompt.images += len(_blocks_of(content, "image"))
            prompt.system += "".join(" " + _document_text(b) for b in _blocks_of(content, "document"))
    prompt.texts.append(prompt.system)
    last = messages[-1].get("content")
    prompt.tool_results = isinstance(last, list) and any(
        isinstance(b, dict) and b.get("type") == "tool_result" for b in last
    )
    prompt.tools = tuple(n for n in find(data, "tools[].name") if isinstance(n, str))
    given = data.get("tool_choice")
    choice: dict[str, Any] = given if isinstance(given, dict) else {}
    kind = str(choice.get("type", "auto")) if "tool_choice" in cfg.effects else "auto"
    prompt.tool_choice = {"any": "required", "tool": str(choice.get("name"))}.get(kind, kind)
    prompt.parallel = not (choice.get("disable_parallel_tool_use") and "disable_parallel" in cfg.effects)
    prompt.max_tokens = data.get("max_tokens") if "max_tokens" in cfg.effects else None
    prompt.stop = tuple(data.get("stop_sequences") or ()) if "stop" in cfg.effects else ()
    return data, prompt


def _batch_params(cfg: Config, params: Any) -> None:
    """One batch request's params, checked as POST /v1/messages checks its body."""
    _request(cfg, Request("POST", "/v1/messages", body=params), ("model", "max_tokens", "messages"))


def _thinking(cfg: Config, data: dict[str, Any]) -> bool:
    thinking = data.get("thinking")
    if not isinstance(thinking, dict) or thinking.get("type") != "enabled":
        return False
    if "thinking-budget" not in cfg.checks:
        return True
    budget = thinking.get("budget_tokens")
    if not isinstance(budget, int) or budget < 1024:
        raise Problem(400, "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024")
    if budget >= data["max_tokens"]:
        raise Problem(400, "`max_tokens` must be greater than `thinking.budget_tokens`")
    return True


def _blocks(answer: Answer) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if answer.thought:
        blocks.append({"type": "thinking", "thinking": answer.thought, "signature": SIGNATURE})
    if not answer.tool_calls:
        blocks.append({"type": "text", "text": answer.text})
    for i, call in enumerate(answer.tool_calls, 1):
        blocks.append(
            {"type": "tool_use", "id": f"toolu_fake{i:02d}", "name": call.name, "input": call.fresh_arguments()}
        )
    return blocks


def _server_tool_blocks(data: dict[str, Any]) -> list[dict[str, Any]]:
    """With the web search server tool: one search (server_tool_use) and its result, before the answer."""
    tools = data.get("tools") or []
    if not any(isinstance(t, dict) and str(t.get("type", "")).startswith("web_search") for t in tools):
        return []
    result = {"type": "web_search_result", "title": "Weather", "url": "https://weather.example/paris"}
    return [
        {"type": "server_tool_use", "id": "srvtoolu_fake01", "name": "web_search", "input": {"query": "weather"}},
        {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_fake01", "content": [result]},
    ]


def _messages(cfg: Config, req: Request) -> Reply:
    data, prompt = _request(cfg, req, ("model", "max_tokens", "messages"))
    prompt.thinking = _thinking(cfg, data) and "thinking" in cfg.effects
    answer = respond(prompt)
    usage = {
        "input_tokens": answer.prompt_tokens,
        "output_tokens": answer.completion_tokens + answer.thought_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "service_tier": "standard",
    }
    message: dict[str, Any] = {
        "id": f"msg_fake{fresh_id()}",
        "type": "message",
        "role": "assistant",
        "model": data["model"],
        "content": [*_server_tool_blocks(data), *_blocks(answer)],
        "stop_reason": "stop_sequence" if answer.stop_sequence else STOP_REASONS[answer.finish],
        "stop_sequence": answer.stop_sequence,
        "usage": usage,
    }
    if data.get("stream") and "stream" in cfg.effects:
        return Reply(events=_events(message, answer), kind="message-stream")
    return Reply(body=message, kind="message")


def _events(message: dict[str, Any], answer: Answer) -> list[SseEvent]:
    start = {**message, "content": [], "stop_reason": None, "stop_sequence": None}
    start["usage"] = {**message["usage"], "output_tokens": 1}
    events: list[SseEvent] = [
        ("message_start", {"type": "message_start", "message": start}),
        ("ping", {"type": "ping"}),
    ]
    for index, block in enumerate(message["content"]):
        kind = block["type"]
        empty: dict[str, Any]
        deltas: list[dict[str, Any]]
        if kind == "text":
            empty, deltas = {"type": "text", "text": ""}, [{"type": "text_delta", "text": p} for p in answer.pieces]
        elif kind == "thinking":
            empty = {"type": "thinking", "thinking": "", "signature": ""}
            deltas = [{"type": "thinking_delta", "thinking": block["thinking"]}]
            deltas.append({"type": "signature_delta", "signature": block["signature"]})
        elif kind == "web_search_tool_result":
            # The event-types section read strictly (anthropic.stream.content_block_delta): every block has one or
            # more content_block_delta. The real API sends this block whole with none (the claim's deviation);
            # the break stream.content_block_delta does that.
            empty = {**block, "content": []}
            deltas = [{"type": "web_search_tool_result_delta", "content": block["content"]}]
        else:
            empty = {**block, "input": {}}
            calls = [c.json for c in answer.tool_calls if c.name == block["name"]]
            arguments = calls[0] if calls else json.dumps(block["input"])
            deltas = [{"type": "input_json_delta", "partial_json": arguments}]
        events.append(("content_block_start", {"type": "content_block_start", "index": index, "content_block": empty}))
        events += [("content_block_delta", {"type": "content_block_delta", "index": index, "delta": d}) for d in deltas]
        events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
    delta = {"stop_reason": message["stop_reason"], "stop_sequence": message["stop_sequence"]}
    usage = {"output_tokens": message["usage"]["output_tokens"]}
    events.append(("message_delta", {"type": "message_delta", "delta": delta, "usage": usage}))
    events.append(("message_stop", {"type": "message_stop"}))
    return events


def drop(kind: str) -> Fault:
    """Content blocks of this type never reach the model."""

    def hook(cfg: Config) -> None:
        cfg.drop_parts = cfg.drop_parts | {kind}

    return Fault(config=hook)


def usage_text(name: str) -> Fault:
    """A usage count sent as a string."""

    def edit(reply: Reply) -> None:
        reply.body["usage"][name] = str(reply.body["usage"][name])

    return reply_edit({"message"}, edit)


def stream_edit(change: Any) -> Fault:
    """Rewrite the event list of every Messages stream."""

    def edit(reply: Reply) -> None:
        reply.events = change(list(reply.events or []))

    return reply_edit({"message-stream"}, edit)


def _whole_server_tool_result(events: list[SseEvent]) -> list[SseEvent]:
    """As the real API sends it: a server tool's result block whole in its content_block_start, with no delta."""
    whole: dict[int, dict[str, Any]] = {}
    for name, data in events:
        if name == "content_block_start" and data["content_block"]["type"] == "web_search_tool_result":
            whole[data["index"]] = data["content_block"]
    kept: list[SseEvent] = []
    for name, data in events:
        if name == "content_block_delta" and data["index"] in whole:
            whole[data["index"]]["content"] = data["delta"]["content"]
            continue
        kept.append((name, data))
    return kept


def _no_stop_reason(events: list[SseEvent]) -> list[SseEvent]:
    for name, data in events:
        if name == "message_delta":
            data["delta"]["stop_reason"] = None
    return events


def error_type(status: int, kind: str) -> Fault:
    """Errors of one status carry another error.type than the documented one."""

    def edit(reply: Reply) -> None:
        if reply.status == status:
            reply.body["error"]["type"] = kind

    return reply_edit({"error"}, edit)


FAULTS: dict[str, Fault] = {
    "endpoint.post-v1-messages": routes_off("messages"),
    "endpoint.post-v1-messages-count_tokens": routes_off("count_tokens"),
    "endpoint.get-v1-models": routes_off("models"),
    "request_header.x-api-key": header_optional("x-api-key"),
    "request_header.anthropic-version": header_optional("anthropic-version"),
    "request_header.content-type": header_optional("content-type"),
    "auth.x-api-key": header_refused("x-api-key"),
    "request.model": refuse("model"),
    "request.max_tokens": effect("max_tokens"),
    "request.messages": refuse("messages"),
    "request.system": effect("system"),
    "request.thinking": effect("thinking"),
    "response.id": body("id"),
    "response.type": body("type"),
    "response.role": body("role"),
    "response.content.type": body("content[].type"),
    "response.content.text": body("content[].text"),
    "response.model": body("model"),
    "response.stop_reason": body("stop_reason"),
    "usage.input_tokens": body("usage.input_tokens"),
    "usage.output_tokens": body("usage.output_tokens"),
    "behavior.prompt-caching": refuse(
        "cache_control", "system[].cache_control", "messages[].content[].cache_control", "tools[].cache_control"
    ),
    "header.request-id": header("request-id"),
    "header.anthropic-organization-id": header("anthropic-organization-id"),
    "limit.request-size-standard": check("size"),
    "error.request_too_large": check("size"),
    "limit.request-size-batches": check("size"),
    "limit.request-size-files": check("size"),
    "endpoint.post-v1-messages-batches": routes_off("batches"),
    "endpoint.post-v1-files": routes_off("files"),
    "endpoint.get-v1-files": routes_off("files-list"),
    "endpoint.post-v1-skills": routes_off("skills"),
    "endpoint.get-v1-skills": routes_off("skills-list"),
    "endpoint.get-v1-models-model_id": routes_off("model"),
    "request.model-required": field_fault("model"),
    "request.messages-required": field_fault("messages"),
    "request.max_tokens-required": field_fault("max_tokens"),
    "request.system-blocks": effect("system-blocks"),
    "request.temperature": field_fault("temperature"),
    "request.top_p": refuse("top_p"),
    "request.top_k": refuse("top_k"),
    "request.metadata.user_id": refuse("metadata.user_id"),
    "request.service_tier": refuse("service_tier"),
    "request.stop_sequences": effect("stop"),
    "request.stream": effect("stream"),
    "request.thinking.budget_tokens": check("thinking-budget"),
    "message.content-string": effect("string-content"),
    "message.content.text": refuse("messages[].content[].text"),
    "message.content.image": drop("image"),
    "message.content.document": drop("document"),
    "message.content.tool_use": refuse("messages[].content[].input"),
    "message.content.tool_result": drop("tool_result"),
    "message.role-system": check("roles"),
    "tool.tools": refuse("tools"),
    "tool.tools.input_schema": refuse("tools[].input_schema"),
    "tool.tool_choice": effect("tool_choice"),
    "tool.tool_choice.disable_parallel_tool_use": effect("disable_parallel"),
    "response.content.tool_use": body("content[].input"),
    "response.stop_reason-values": reply_edit({"message"}, lambda r: r.body.update(stop_reason="finished")),
    "response.stop_sequence": body("stop_sequence"),
    "usage.cache_creation_input_tokens": usage_text("cache_creation_input_tokens"),
    "usage.cache_read_input_tokens": usage_text("cache_read_input_tokens"),
    "response.count_tokens.input_tokens": body("input_tokens", kinds={"count"}),
    "response.models.data.type": body("data[].type", kinds={"models"}),
    "response.models.data.id": body("data[].id", kinds={"models"}),
    "response.models.data.display_name": body("data[].display_name", kinds={"models"}),
    "response.models.data.created_at": body("data[].created_at", kinds={"models"}),
    "response.models.has_more": body("has_more", kinds={"models"}),
    "stream.event-flow": stream_edit(lambda events: [e for e in events if e[0] != "content_block_stop"]),
    "stream.event-names": stream_edit(
        lambda events: [("delta" if n == "content_block_delta" else n, d) for n, d in events]
    ),
    "stream.message_delta": stream_edit(_no_stop_reason),
    "stream.content_block_delta": stream_edit(_whole_server_tool_result),
    "error.invalid_request_error": error_type(400, "bad_request_error"),
    "error.authentication_error": error_type(401, "unauthorized_error"),
    "error.not_found_error": error_type(404, "missing_error"),
    "error.shape": error_shape(),
    "error.request_id": reply_edit({"error"}, lambda r: r.body.pop("request_id", None)),
    **{f"header.{name}": header(name) for name in RATELIMIT_HEADERS},
}
"""Claim-id suffix -> fault, for every claim of specs/anthropic.yaml that this fake implements."""

FLAVORS = {"anthropic": Flavor("anthropic", config, app, FAULTS, "")}
