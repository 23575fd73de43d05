"""The fake of Gemini's native API, v1beta (generateContent and its siblings), per specs/gemini.yaml."""

from __future__ import annotations

import re
from typing import Any

from .faults import (
    GEMINI_MODELS,
    MALFORMED,
    Config,
    Fault,
    Flavor,
    Problem,
    body,
    check_body,
    check_model,
    effect,
    find,
    fresh_id,
    gate,
    header_optional,
    header_refused,
    refuse,
    routes_off,
)
from .model import Answer, Prompt, embedding, respond
from .server import Reply, Request, SseEvent

STATUSES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    413: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
}
METHODS = {
    "generateContent": "generate",
    "streamGenerateContent": "stream",
    "countTokens": "count",
    "embedContent": "embed",
    "batchEmbedContents": "embed",
}
CHOICES = {"AUTO": "auto", "ANY": "required", "NONE": "none"}


def config() -> Config:
    return Config(
        flavor="gemini",
        models=GEMINI_MODELS,
        routes={"generate", "stream", "count", "embed", "models"},
        effects={"max_tokens", "stop", "system", "include_thoughts"},
        checks={"key", "model"},
        required_headers={"x-goog-api-key"},
    )


def error(p: Problem) -> Reply:
    status = STATUSES.get(p.status, "INVALID_ARGUMENT")
    return Reply(p.status, {"error": {"code": p.status, "message": p.message, "status": status}}, kind="error")


def app(cfg: Config, req: Request) -> Reply:
    try:
        gate(cfg, req)
        call = re.fullmatch(r"/v1beta/models/([^/:]+):(\w+)", req.path)
        if req.method == "POST" and call and METHODS.get(call.group(2)) in cfg.routes:
            model, route = call.group(1), METHODS[call.group(2)]
            check_model(cfg, model)
            if route == "embed":
                return _embed(req)
            data, prompt = _request(cfg, req)
            if route == "count":
                return Reply(body={"totalTokens": prompt.tokens}, kind="count")
            return _generate(cfg, data, prompt, model, stream=route == "stream")
        if req.method == "GET" and "models" in cfg.routes:
            if req.path == "/v1beta/models":
                return Reply(body={"models": [_model(m) for m in cfg.models]}, kind="models")
            one = re.fullmatch(r"/v1beta/models/([^/:]+)", req.path)
            if one:
                check_model(cfg, one.group(1))
                return Reply(body=_model(one.group(1)), kind="model")
        raise Problem(404, f"Method not found: {req.method} {req.path}")
    except Problem as p:
        return error(p)
    except MALFORMED as exc:
        return error(Problem.malformed(exc))


def _model(model: str) -> dict[str, Any]:
    embeds = "embedding" in model
    methods = ["embedContent", "batchEmbedContents"] if embeds else ["generateContent", "countTokens"]
    return {
        "name": f"models/{model}",
        "baseModelId": model,
        "version": "001",
        "displayName": model,
        "description": "A fake model for the conformance harness's own tests.",
        "inputTokenLimit": 1_048_576,
        "outputTokenLimit": 65_536,
        "supportedGenerationMethods": methods,
    }


def _get(data: Any, camel: str) -> Any:
    """A REST field in camelCase, or its snake_case spelling (both are accepted)."""
    if not isinstance(data, dict):
        return None
    return data.get(camel, data.get(re.sub(r"([A-Z])", r"_\1", camel).lower()))


def _text(content: Any) -> str:
    parts = _get(content, "parts") or []
    return "\n".join(p["text"] for p in parts if isinstance(p, dict) and isinstance(p.get("text"), str))


def _request(cfg: Config, req: Request) -> tuple[dict[str, Any], Prompt]:
    data = req.body
    if not isinstance(data, dict):
        raise Problem(400, "Invalid JSON payload received.")
    data = _get(data, "generateContentRequest") or data  # countTokens may wrap a whole request
    check_body(cfg, data, req.path.split("/")[-1].split(":")[0])
    contents = _get(data, "contents")
    if not isinstance(contents, list) or not contents:
        raise Problem(400, "* GenerateContentRequest.contents: contents is not specified")
    generation = _get(data, "generationConfig") or {}
    limit = _get(generation, "maxOutputTokens")
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        raise Problem(400, "* GenerateContentRequest.generation_config.max_output_tokens: must be positive")
    system = _text(_get(data, "systemInstruction")) if "system" in cfg.effects else ""
    prompt = Prompt(system=system, texts=[system])
    for content in contents:
        text = _text(content)
        prompt.texts.append(text)
        if (_get(content, "role") or "user") == "user":
            prompt.question = text
            for mime in find(content, "parts[].inlineData.mimeType") + find(content, "parts[].inline_data.mime_type"):
                prompt.images += str(mime).startswith("image/")
                prompt.audio += str(mime).startswith("audio/")
    prompt.tool_results = bool(
        find(contents[-1], "parts[].functionResponse") or find(contents[-1], "parts[].function_response")
    )
    prompt.tools = tuple(
        find(data, "tools[].functionDeclarations[].name") + find(data, "tools[].function_declarations[].name")
    )
    calling = _get(_get(data, "toolConfig"), "functionCallingConfig") or {}
    prompt.tool_choice = CHOICES.get(str(_get(calling, "mode") or "AUTO"), "auto")
    allowed = _get(calling, "allowedFunctionNames") or []
    if prompt.tool_choice == "required" and len(allowed) == 1:
        prompt.tool_choice = allowed[0]
    prompt.max_tokens = limit if "max_tokens" in cfg.effects else None
    prompt.stop = tuple(_get(generation, "stopSequences") or ()) if "stop" in cfg.effects else ()
    prompt.json_mode = _get(generation, "responseMimeType") == "application/json"
    thinking = _get(generation, "thinkingConfig")
    prompt.thinking = bool(_get(thinking, "includeThoughts")) and "include_thoughts" in cfg.effects
    return data, prompt


def _parts(answer: Answer) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = [{"text": answer.thought, "thought": True}] if answer.thought else []
    if answer.tool_calls:
        return parts + [{"functionCall": {"name": c.name, "args": c.arguments}} for c in answer.tool_calls]
    return [*parts, {"text": answer.text}]


def _usage(answer: Answer) -> dict[str, Any]:
    usage = {
        "promptTokenCount": answer.prompt_tokens,
        "candidatesTokenCount": answer.completion_tokens,
        "totalTokenCount": answer.prompt_tokens + answer.completion_tokens + answer.thought_tokens,
    }
    if answer.thought:
        usage["thoughtsTokenCount"] = answer.thought_tokens
    return usage


def _generate(cfg: Config, data: dict[str, Any], prompt: Prompt, model: str, stream: bool) -> Reply:
    answer = respond(prompt)
    finish = "MAX_TOKENS" if answer.finish == "length" else "STOP"
    head = {"modelVersion": model, "responseId": fresh_id()}
    if not stream:
        whole = {"content": {"parts": _parts(answer), "role": "model"}, "finishReason": finish, "index": 0}
        return Reply(body={"candidates": [whole], "usageMetadata": _usage(answer), **head}, kind="generate")
    pieces: list[dict[str, Any]] = [{"text": answer.thought, "thought": True}] if answer.thought else []
    pieces += [{"text": p} for p in answer.pieces] or [p for p in _parts(answer) if "thought" not in p]
    events: list[SseEvent] = []
    for i, part in enumerate(pieces):
        candidate: dict[str, Any] = {"content": {"parts": [part], "role": "model"}, "index": 0}
        chunk: dict[str, Any] = {"candidates": [candidate], **head}
        if i == len(pieces) - 1:
            candidate["finishReason"] = finish
            chunk["usageMetadata"] = _usage(answer)
        events.append((None, chunk))
    return Reply(events=events, kind="generate-stream")


def _embed(req: Request) -> Reply:
    data = req.body if isinstance(req.body, dict) else {}
    if "requests" in data:
        rows = [{"values": _vector(r)} for r in data["requests"] or []]
        return Reply(body={"embeddings": rows}, kind="embeddings")
    if not _get(data, "content"):
        raise Problem(400, "* EmbedContentRequest.content: contents is not specified")
    return Reply(body={"embedding": {"values": _vector(data)}}, kind="embeddings")


def _vector(request: Any) -> list[float]:
    return embedding(_text(_get(request, "content")), int(_get(request, "outputDimensionality") or 16))


FAULTS: dict[str, Fault] = {
    "endpoint.post-v1beta-models-model-generatecontent": routes_off("generate"),
    "request_header.x-goog-api-key": header_refused("x-goog-api-key"),
    "request_header.content-type": header_refused("content-type"),
    "auth.api_key": header_refused("x-goog-api-key"),
    "auth.x-goog-api-key": header_optional("x-goog-api-key"),
    "message.contents.parts.text": refuse("contents[].parts[].text"),
    "response.candidates.content.parts.text": body("candidates[].content.parts[].text"),
    "request.thinking_config": refuse("generationConfig.thinkingConfig", "generation_config.thinking_config"),
    # google-genai 3.6 sends the ThinkingConfig keys in snake case inside thinkingConfig; the API takes both.
    "request.thinking_config.thinking_level": refuse(
        "generationConfig.thinkingConfig.thinkingLevel",
        "generationConfig.thinkingConfig.thinking_level",
        "generation_config.thinking_config.thinking_level",
    ),
    "request.thinking_config.thinking_budget": refuse(
        "generationConfig.thinkingConfig.thinkingBudget",
        "generationConfig.thinkingConfig.thinking_budget",
        "generation_config.thinking_config.thinking_budget",
    ),
    "request.thinking_config.include_thoughts": effect("include_thoughts"),
}
"""Claim-id suffix -> fault, for every claim of specs/gemini.yaml that this fake implements."""

FLAVORS = {"gemini": Flavor("gemini", config, app, FAULTS, "")}
