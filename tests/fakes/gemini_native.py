"""The fake of Gemini's native API, v1beta (generateContent and its siblings), per specs/gemini.yaml."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from .faults import (
    BAD_KEY,
    GEMINI_MODELS,
    MALFORMED,
    Config,
    Fault,
    Flavor,
    Limit,
    Problem,
    api_key,
    body,
    check_body,
    check_model,
    effect,
    error_shape,
    find,
    fresh_id,
    gate,
    header_optional,
    header_refused,
    refuse,
    reply_edit,
    routes_off,
)
from .model import THOUGHT, Answer, Prompt, embedding, respond, words
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
    "batchEmbedContents": "batch-embed",
}
CHOICES = {"AUTO": "auto", "ANY": "required", "NONE": "none"}
SAFETY_CATEGORIES = frozenset(
    {
        "HARM_CATEGORY_HARASSMENT", "HARM_CATEGORY_HATE_SPEECH", "HARM_CATEGORY_SEXUALLY_EXPLICIT",
        "HARM_CATEGORY_DANGEROUS_CONTENT", "HARM_CATEGORY_CIVIC_INTEGRITY",
    }
)  # fmt: skip
THRESHOLDS = frozenset(
    {"BLOCK_LOW_AND_ABOVE", "BLOCK_MEDIUM_AND_ABOVE", "BLOCK_ONLY_HIGH", "BLOCK_NONE", "OFF"}
)  # fmt: skip
RATINGS = [
    {"category": c, "probability": "NEGLIGIBLE"} for c in sorted(SAFETY_CATEGORIES - {"HARM_CATEGORY_CIVIC_INTEGRITY"})
]


def config() -> Config:
    return Config(
        flavor="gemini",
        models=GEMINI_MODELS,
        routes={"generate", "stream", "count", "embed", "batch-embed", "models", "model"},
        effects={
            "max_tokens", "stop", "system", "include_thoughts", "candidate_count", "json", "schema", "calling_mode",
            "allowed_names",
        },
        checks={"key", "model"},
        required={"contents[]"},
        required_headers={"x-goog-api-key"},
        limits={"temperature": Limit(0, 2, cap=False), "stopSequences": Limit(0, 5, cap=False)},
    )  # fmt: skip


def error(p: Problem) -> Reply:
    status = STATUSES.get(p.status, "INVALID_ARGUMENT")
    return Reply(p.status, {"error": {"code": p.status, "message": p.message, "status": status}}, kind="error")


def _key(cfg: Config, req: Request) -> None:
    """No key: 403 PERMISSION_DENIED (what the API answers a caller without identity); a made-up key: 400."""
    if "x-goog-api-key" in cfg.required_headers and not api_key(req):
        raise Problem(403, "Method doesn't allow unregistered callers (callers without established identity).")
    if "key" in cfg.checks and api_key(req) == BAD_KEY:
        raise Problem(400, "API key not valid. Please pass a valid API key.")


def app(cfg: Config, req: Request) -> Reply:
    try:
        _key(cfg, req)
        gate(cfg, req)
        call = re.fullmatch(r"/v1beta/models/([^/:]+):(\w+)", req.path)
        if req.method == "POST" and call and METHODS.get(call.group(2)) in cfg.routes:
            model, route = call.group(1), METHODS[call.group(2)]
            check_model(cfg, model)
            if route in ("embed", "batch-embed"):
                return _embed(req, batch=route == "batch-embed")
            data, prompt = _request(cfg, req)
            if route == "count":
                return Reply(body={"totalTokens": prompt.tokens}, kind="count")
            return _generate(cfg, data, prompt, model, stream=route == "stream")
        if req.method == "GET":
            if req.path == "/v1beta/models" and "models" in cfg.routes:
                return Reply(body={"models": [_model(m) for m in cfg.models]}, kind="models")
            one = re.fullmatch(r"/v1beta/models/([^/:]+)", req.path)
            if one and "model" in cfg.routes:
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
    if "contents[]" in cfg.required and (not isinstance(contents, list) or not contents):
        raise Problem(400, "* GenerateContentRequest.contents: contents is not specified")
    contents = contents if isinstance(contents, list) else []
    generation = _get(data, "generationConfig") or {}
    _check_generation(cfg, generation)
    _check_safety(_get(data, "safetySettings") or [])
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
    last = contents[-1] if contents else {}
    prompt.tool_results = bool(find(last, "parts[].functionResponse") or find(last, "parts[].function_response"))
    prompt.tools = tuple(
        find(data, "tools[].functionDeclarations[].name") + find(data, "tools[].function_declarations[].name")
    )
    calling = _get(_get(data, "toolConfig"), "functionCallingConfig") or {}
    mode = str(_get(calling, "mode") or "AUTO") if "calling_mode" in cfg.effects else "AUTO"
    prompt.tool_choice = CHOICES.get(mode, "auto")
    allowed = (_get(calling, "allowedFunctionNames") or []) if "allowed_names" in cfg.effects else []
    if prompt.tool_choice == "required" and len(allowed) == 1:
        prompt.tool_choice = allowed[0]
    prompt.max_tokens = limit if "max_tokens" in cfg.effects else None
    prompt.stop = tuple(_get(generation, "stopSequences") or ()) if "stop" in cfg.effects else ()
    prompt.json_mode = _get(generation, "responseMimeType") == "application/json" and "json" in cfg.effects
    thinking = _get(generation, "thinkingConfig")
    prompt.thinking = bool(_get(thinking, "includeThoughts")) and "include_thoughts" in cfg.effects
    return data, prompt


def _check_generation(cfg: Config, generation: dict[str, Any]) -> None:
    """Documented ranges: temperature [0.0, 2.0], at most 5 stop sequences (400 beyond, or clamped when capped)."""
    for name, limit in sorted(cfg.limits.items()):
        value = _get(generation, name)
        size = len(value) if isinstance(value, list) else value
        if not isinstance(size, int | float) or limit.low <= size <= limit.high:
            continue
        if not limit.cap:
            raise Problem(400, f"* GenerateContentRequest.generation_config.{name}: {value!r} is out of range")
        generation[name] = (
            value[: int(limit.high)] if isinstance(value, list) else min(max(size, limit.low), limit.high)
        )


def _check_safety(settings: list[Any]) -> None:
    for setting in settings:
        if _get(setting, "category") not in SAFETY_CATEGORIES or _get(setting, "threshold") not in THRESHOLDS:
            raise Problem(400, f"* GenerateContentRequest.safety_settings: invalid setting {setting!r}")


def _thinks(generation: dict[str, Any]) -> bool:
    """A thinking config with a budget other than 0 (or a level): the toy model spends thought tokens."""
    thinking = _get(generation, "thinkingConfig")
    return isinstance(thinking, dict) and _get(thinking, "thinkingBudget") != 0 and bool(thinking)


def _parts(answer: Answer) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = [{"text": answer.thought, "thought": True}] if answer.thought else []
    if answer.tool_calls:
        return parts + [{"functionCall": {"name": c.name, "args": c.fresh_arguments()}} for c in answer.tool_calls]
    return [*parts, {"text": answer.text}]


def _usage(answer: Answer, candidates: int = 1, thinks: bool = False) -> dict[str, Any]:
    thoughts = answer.thought_tokens or (words(THOUGHT) if thinks else 0)
    output = answer.completion_tokens * candidates
    usage = {
        "promptTokenCount": answer.prompt_tokens,
        "candidatesTokenCount": output,
        "totalTokenCount": answer.prompt_tokens + output + thoughts,
    }
    if thoughts:
        usage["thoughtsTokenCount"] = thoughts
    return usage


def _answer(cfg: Config, data: dict[str, Any], prompt: Prompt) -> Answer:
    answer = respond(prompt)
    generation = _get(data, "generationConfig") or {}
    schema = _get(generation, "responseSchema")
    if prompt.json_mode and isinstance(schema, dict) and "schema" not in cfg.effects:
        event = json.loads(answer.text)
        event.pop("participants", None)
        answer.text = json.dumps(event)
    return answer


def _generate(cfg: Config, data: dict[str, Any], prompt: Prompt, model: str, stream: bool) -> Reply:
    answer = _answer(cfg, data, prompt)
    finish = "MAX_TOKENS" if answer.finish == "length" else "STOP"
    head = {"modelVersion": model, "responseId": fresh_id()}
    generation = _get(data, "generationConfig") or {}
    count = int(_get(generation, "candidateCount") or 1) if "candidate_count" in cfg.effects else 1
    usage = _usage(answer, count, _thinks(generation))
    if not stream:
        candidates = [
            {
                "content": {"parts": _parts(answer), "role": "model"},
                "finishReason": finish,
                "index": i,
                "safetyRatings": [dict(r) for r in RATINGS],
            }
            for i in range(count)
        ]
        return Reply(body={"candidates": candidates, "usageMetadata": usage, **head}, kind="generate")
    pieces: list[dict[str, Any]] = [{"text": answer.thought, "thought": True}] if answer.thought else []
    pieces += [{"text": p} for p in answer.pieces] or [p for p in _parts(answer) if "thought" not in p]
    events: list[SseEvent] = []
    for i, part in enumerate(pieces):
        candidate: dict[str, Any] = {"content": {"parts": [part], "role": "model"}, "index": 0}
        chunk: dict[str, Any] = {"candidates": [candidate], **head}
        if i == len(pieces) - 1:
            candidate["finishReason"] = finish
            chunk["usageMetadata"] = usage
        events.append((None, chunk))
    return Reply(events=events, kind="generate-stream")


def _embed(req: Request, batch: bool) -> Reply:
    data = req.body if isinstance(req.body, dict) else {}
    if batch:
        if not isinstance(data.get("requests"), list) or not data["requests"]:
            raise Problem(400, "* BatchEmbedContentsRequest.requests: requests is not specified")
        rows = [{"values": _vector(r)} for r in data["requests"]]
        return Reply(body={"embeddings": rows}, kind="embeddings")
    if not _get(data, "content"):
        raise Problem(400, "* EmbedContentRequest.content: contents is not specified")
    return Reply(body={"embedding": {"values": _vector(data)}}, kind="embeddings")


def _vector(request: Any) -> list[float]:
    return embedding(_text(_get(request, "content")), int(_get(request, "outputDimensionality") or 16))


def _capped(name: str) -> Fault:
    """A documented limit no longer refused: values beyond it are clamped and accepted."""

    def hook(cfg: Config) -> None:
        cfg.limits[name].cap = True

    return Fault(config=hook)


def _optional(path: str) -> Fault:
    return Fault(config=lambda cfg: cfg.required.discard(path))


def _candidates(edit: Callable[[dict[str, Any]], None]) -> Fault:
    """Edit every candidate of a non-streamed generateContent answer."""

    def apply(reply: Reply) -> None:
        for candidate in reply.body.get("candidates", []):
            edit(candidate)

    return reply_edit({"generate"}, apply)


def _function_calls(edit: Callable[[dict[str, Any]], None]) -> Fault:
    def apply(candidate: dict[str, Any]) -> None:
        for part in candidate["content"]["parts"]:
            if "functionCall" in part:
                edit(part)

    return _candidates(apply)


def _rename_call(part: dict[str, Any]) -> None:
    part["functionCall"]["name"] = "undeclared_function"


def _extra_arg(part: dict[str, Any]) -> None:
    part["functionCall"]["args"]["undeclared"] = True


def _call_as_text(part: dict[str, Any]) -> None:
    part["text"] = f"I would call {part.pop('functionCall')['name']}."


def _same_index(candidate: dict[str, Any]) -> None:
    candidate["index"] = 0


def _no_reason(candidate: dict[str, Any]) -> None:
    """A finished answer without its finishReason (an undocumented value would make google-genai warn first)."""
    del candidate["finishReason"]


def _twice_rated(candidate: dict[str, Any]) -> None:
    candidate["safetyRatings"].append(dict(candidate["safetyRatings"][0]))


def _error_status(code: int, status: str) -> Fault:
    """Errors with this HTTP status name another canonical code."""

    def apply(reply: Reply) -> None:
        if reply.status == code:
            reply.body["error"]["status"] = status

    return reply_edit({"error"}, apply)


def _finish_on_every_event(reply: Reply) -> None:
    """finishReason on every SSE event, as if the model had stopped before the stream ends."""
    for _, data in reply.events or []:
        for candidate in data.get("candidates", []):
            candidate.setdefault("finishReason", "STOP")


def _models_empty(reply: Reply) -> None:
    reply.body["models"] = []


def _one_embedding_short(reply: Reply) -> None:
    if "embeddings" in reply.body:
        reply.body["embeddings"] = reply.body["embeddings"][:-1]


FAULTS: dict[str, Fault] = {
    "endpoint.post-v1beta-models-model-generatecontent": routes_off("generate"),
    "endpoint.post-v1beta-models-model-streamgeneratecontent": routes_off("stream"),
    "endpoint.post-v1beta-models-model-counttokens": routes_off("count"),
    "endpoint.post-v1beta-models-model-embedcontent": routes_off("embed"),
    "endpoint.post-v1beta-models-model-batchembedcontents": routes_off("batch-embed"),
    "endpoint.get-v1beta-models": routes_off("models"),
    "endpoint.get-v1beta-models-model": routes_off("model"),
    "request_header.x-goog-api-key": header_refused("x-goog-api-key"),
    "request_header.content-type": header_refused("content-type"),
    "auth.api_key": header_refused("x-goog-api-key"),
    "auth.x-goog-api-key": header_optional("x-goog-api-key"),
    "message.contents.parts.text": refuse("contents[].parts[].text"),
    "message.contents.parts.inline_data": refuse("contents[].parts[].inlineData", "contents[].parts[].inline_data"),
    "message.contents.role": refuse("contents[].role", value="model"),
    "message.contents.parts.function_response": refuse(
        "contents[].parts[].functionResponse", "contents[].parts[].function_response"
    ),
    "response.candidates.content.parts.text": body("candidates[].content.parts[].text"),
    "response.candidates.content": body("candidates[].content"),
    "response.candidates.finish_reason": _candidates(_no_reason),
    "response.candidates.safety_ratings": _candidates(_twice_rated),
    "response.candidates.index": _candidates(_same_index),
    "response.candidates.content.parts.function_call": _function_calls(_call_as_text),
    "response.candidates.content.parts.thought": body("candidates[].content.parts[].thought"),
    "response.usage_metadata": body("usageMetadata"),
    "response.model_version": body("modelVersion"),
    "response.response_id": body("responseId"),
    "response.total_tokens": body("totalTokens", kinds={"count"}),
    "response.embedding.values": body("embedding.values", kinds={"embeddings"}),
    "response.embeddings": reply_edit({"embeddings"}, _one_embedding_short),
    "response.models": reply_edit({"models"}, _models_empty),
    "response.models.name": body("models[].name", kinds={"models"}),
    "response.models.input_token_limit": body("models[].inputTokenLimit", kinds={"models"}),
    "response.models.output_token_limit": body("models[].outputTokenLimit", kinds={"models"}),
    "response.models.supported_generation_methods": body("models[].supportedGenerationMethods", kinds={"models"}),
    "usage.usage_metadata.prompt_token_count": body("usageMetadata.promptTokenCount"),
    "usage.usage_metadata.candidates_token_count": body("usageMetadata.candidatesTokenCount"),
    "usage.usage_metadata.total_token_count": body("usageMetadata.totalTokenCount"),
    "usage.usage_metadata.thoughts_token_count": body("usageMetadata.thoughtsTokenCount"),
    "request.contents": _optional("contents[]"),
    "request.system_instruction": effect("system"),
    "request.safety_settings": refuse("safetySettings", "safety_settings"),
    "request.generation_config.temperature": _capped("temperature"),
    "request.generation_config.top_p": refuse("generationConfig.topP", "generationConfig.top_p"),
    "request.generation_config.top_k": refuse("generationConfig.topK", "generationConfig.top_k"),
    "request.generation_config.candidate_count": effect("candidate_count"),
    "request.generation_config.max_output_tokens": effect("max_tokens"),
    "request.generation_config.stop_sequences": effect("stop"),
    "request.generation_config.stop_sequences.max": _capped("stopSequences"),
    "request.generation_config.response_mime_type": effect("json"),
    "request.generation_config.response_schema": effect("schema"),
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
    "tool.tools.function_declarations": refuse("tools[].functionDeclarations", "tools[].function_declarations"),
    "tool.tools.function_declarations.name": _function_calls(_rename_call),
    "tool.tools.function_declarations.parameters": _function_calls(_extra_arg),
    "tool.tool_config.function_calling_config.mode": effect("calling_mode"),
    "tool.tool_config.function_calling_config.allowed_function_names": effect("allowed_names"),
    "error.shape": error_shape(),
    "error.invalid_argument": _error_status(400, "FAILED_PRECONDITION"),
    "error.permission_denied": _error_status(403, "UNAUTHENTICATED"),
    "error.not_found": _error_status(404, "INVALID_ARGUMENT"),
    "stream.sse": reply_edit({"generate-stream"}, _finish_on_every_event),
}
"""Claim-id suffix -> fault, for every claim of specs/gemini.yaml that this fake implements."""

FLAVORS = {"gemini": Flavor("gemini", config, app, FAULTS, "")}
