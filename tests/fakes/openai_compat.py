"""The three fakes that speak OpenAI's Chat Completions wire format: openai, anthropic-openai, gemini-openai.

One app serves all three; each flavor's :class:`Config` holds what its spec says (statuses and params), and
its fault table says how each implemented claim breaks.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
import struct
import time
from collections.abc import Iterable
from typing import Any

from . import openai_jobs
from .faults import (
    GEMINI_MODELS,
    MALFORMED,
    Config,
    Fault,
    Flavor,
    Limit,
    Problem,
    Rule,
    body,
    both,
    check,
    check_body,
    check_model,
    chunks,
    effect,
    error_shape,
    expecting,
    field_fault,
    find,
    fresh_id,
    gate,
    header,
    header_optional,
    header_refused,
    models_matching,
    more_models,
    no_models,
    parents,
    pick,
    refuse,
    reply_edit,
    routes_off,
    routes_on,
    thinking_out,
)
from .model import Answer, Prompt, ToolCall, embedding, respond, words
from .server import Reply, Request, SseEvent
from .store import Missing

OPENAI_FIELDS = frozenset({
    "model", "messages", "audio", "frequency_penalty", "function_call", "functions", "logit_bias", "logprobs",
    "max_completion_tokens", "max_tokens", "metadata", "modalities", "n", "parallel_tool_calls", "prediction",
    "presence_penalty", "prompt_cache_key", "prompt_cache_retention", "reasoning_effort", "response_format",
    "safety_identifier", "seed", "service_tier", "stop", "store", "stream", "stream_options", "temperature",
    "tool_choice", "tools", "top_logprobs", "top_p", "user", "verbosity", "web_search_options",
})  # fmt: skip
"""The Chat Completions request fields (OpenAI rejects any other with 400)."""
RATE_LIMIT_HEADERS = {
    "x-ratelimit-limit-requests": "60",
    "x-ratelimit-limit-tokens": "150000",
    "x-ratelimit-remaining-requests": "59",
    "x-ratelimit-remaining-tokens": "149984",
    "x-ratelimit-reset-requests": "1s",
    "x-ratelimit-reset-tokens": "6m0s",
}
ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
PART_TYPES = frozenset({"text", "image_url", "input_audio", "file"})
ROOTS = {"openai": "/v1/", "anthropic-openai": "/v1/", "gemini-openai": "/v1beta/openai/"}
CREATED = 1_700_000_000
EFFECTS = frozenset(
    {
        "max_tokens",
        "max_completion_tokens",
        "stop",
        "parallel_tool_calls",
        "stream",
        "stream_options",
        "hoisting",
        "join",
    }
)
"""What shapes the answer on all three layers; each adds its own (``hoisting``: system messages anywhere count;
``join``: every system/developer message reaches the model, not only the last one)."""
CACHE_MINIMUM = 1024
"""With ``prompt_caching`` on (no layer here documents it; a break turns it on), a repeated prompt of at least
this many tokens is read from the cache, as OpenAI's automatic caching does."""


def openai_config() -> Config:
    return Config(
        flavor="openai",
        models=("gpt-4o-mini", "gpt-4o", "gpt-4o-audio-preview", "o4-mini", "text-embedding-3-small"),
        routes={"chat", "models", "model", "embeddings", "images", "files", "file-delete", "batches", "batch"},
        effects=set(EFFECTS | {"logprobs", "response_format"}),
        checks={"key", "model", "min-tokens", "unknown-fields", "min-messages"},
        required={"model", "messages", "tools[].function.name"},
        required_headers={"authorization"},
        refused={Rule("max_tokens", models="o[134]*")},  # reasoning models take max_completion_tokens only
        limits={
            "temperature": Limit(0, 2, cap=False),
            "n": Limit(1, 128, cap=False),
            "top_logprobs": Limit(0, 20, cap=False),
            "presence_penalty": Limit(-2, 2, cap=False),
            "frequency_penalty": Limit(-2, 2, cap=False),
            "stop": Limit(0, 4, cap=False),
        },
        enums={
            "reasoning_effort": frozenset({"none", "minimal", "low", "medium", "high", "xhigh", "max"}),
            "service_tier": frozenset({"auto", "default", "flex", "scale", "priority", "fast"}),
        },
        headers={
            "x-request-id": "req_{id}",
            "openai-organization": "org-fake",
            "openai-processing-ms": "3",
            "openai-version": "2020-10-01",
            **RATE_LIMIT_HEADERS,
        },
        known_fields=OPENAI_FIELDS,
        extras=True,
    )


def anthropic_openai_config() -> Config:
    return Config(
        flavor="anthropic-openai",
        models=("claude-haiku-4-5", "claude-sonnet-4-5", "claude-opus-4-20250514"),
        routes={"chat", "models", "model"},
        effects=set(EFFECTS),
        checks={"key", "model", "model-prefix", "min-tokens", "min-messages"},
        required={"model", "messages"},
        required_headers={"authorization"},
        limits={"temperature": Limit(0, 1, cap=True), "n": Limit(1, 1, cap=False)},
        headers={"request-id": "req_{id}", "openai-version": "2020-10-01", **RATE_LIMIT_HEADERS},
        model_prefixes=("claude-",),
        known_fields=OPENAI_FIELDS | {"thinking"},
        drop_parts=frozenset({"input_audio"}),
    )


def gemini_openai_config() -> Config:
    return Config(
        flavor="gemini-openai",
        models=(*GEMINI_MODELS, "imagen-3.0-generate-002"),  # the image model of the documented example
        routes={"chat", "chat-v1beta", "models", "model", "embeddings", "images", "batches", "batch", "native-upload"},
        effects=set(EFFECTS | {"response_format", "include_thoughts", "reasoning_usage", "default_thinking"}),
        checks={"key", "model", "model-prefix", "min-tokens", "exclusive", "min-messages"},
        required={"model", "messages"},
        required_headers={"authorization"},
        enums={"reasoning_effort": frozenset({"none", "minimal", "low", "medium", "high"})},
        model_prefixes=("gemini-", "models/gemini-"),
        thinking_models=("gemini-2.5-*", "gemini-3-*"),  # 2.0 does not think; 2.5 and 3 think by default
        can_disable=("gemini-2.5-flash*",),  # "none" turns thinking off for 2.5 Flash, not for 2.5 Pro or 3
        signature_models=("gemini-3-*",),
    )


# --- the app ----------------------------------------------------------------------------------------------------


def error(p: Problem) -> Reply:
    return Reply(
        p.status,
        {"error": {"message": p.message, "type": "invalid_request_error", "param": p.param, "code": p.code}},
        kind="error",
    )


def app(cfg: Config, req: Request) -> Reply:
    try:
        if req.path == openai_jobs.NATIVE_UPLOAD and "native-upload" in cfg.routes:
            return openai_jobs.native_upload(cfg, req)
        gate(cfg, req)
        job = openai_jobs.route(ROOTS[cfg.flavor], req)
        if job is not None and job[0] in cfg.routes:
            return openai_jobs.answer(cfg, job[0], job[1], req)
        route, arg = _route(cfg, req)
        if route in ("chat", "chat-v1beta"):
            return _chat(cfg, req)
        if route == "models":
            return Reply(body={"object": "list", "data": [_model(cfg, m) for m in cfg.models]}, kind="models")
        if route == "model":
            check_model(cfg, arg)
            return Reply(body=_model(cfg, arg), kind="model")
        return _embeddings(cfg, req)
    except Problem as p:
        return error(p)
    except MALFORMED as exc:
        return error(Problem.malformed(exc))


def _route(cfg: Config, req: Request) -> tuple[str, str]:
    root = ROOTS[cfg.flavor]
    found = {
        ("POST", root + "chat/completions"): "chat",
        ("POST", "/v1beta/chat/completions"): "chat-v1beta",
        ("GET", root + "models"): "models",
        ("POST", root + "embeddings"): "embeddings",
    }.get((req.method, req.path.rstrip("/")))
    arg = ""
    match = re.fullmatch(re.escape(root) + r"models/(.+)", req.path)
    if req.method == "GET" and match:
        found, arg = "model", match.group(1)
    if found not in cfg.routes:
        raise Problem(404, f"Unknown request URL: {req.method} {req.path}.", code="unknown_url")
    return found, arg


def _model(cfg: Config, model: str) -> dict[str, Any]:
    return {"id": model, "object": "model", "created": CREATED, "owned_by": cfg.flavor.split("-")[0]}


def _google_thinking(body: dict[str, Any]) -> dict[str, Any]:
    """extra_body.google.thinking_config in either wire form: a literal "extra_body" key, or "google" at the top."""
    for root in (body.get("extra_body"), body):
        found = find(root, "google.thinking_config")
        if found and isinstance(found[0], dict):
            return found[0]
    return {}


def _body(cfg: Config, req: Request, required: Iterable[str]) -> tuple[dict[str, Any], str]:
    data = req.body
    if not isinstance(data, dict):
        raise Problem(400, "We could not parse the JSON body of your request.")
    model = data.get("model") or cfg.models[0]
    if not isinstance(model, str):
        raise Problem(400, "Invalid type for 'model': expected a string.", "model", "invalid_type")
    check_body(cfg, data, model, required)
    check_model(cfg, model)
    return data, model


def _chat(cfg: Config, req: Request) -> Reply:
    unknown = sorted(set(req.body or ()) - cfg.known_fields) if "unknown-fields" in cfg.checks else []
    if unknown:
        raise Problem(400, f"Unrecognized request argument supplied: {unknown[0]}", unknown[0], "unknown_parameter")
    data, model = _body(cfg, req, cfg.required)
    google = _google_thinking(data)
    overlap = google.keys() & {"thinking_level", "thinking_budget"}
    if "exclusive" in cfg.checks and data.get("reasoning_effort") is not None and overlap:
        raise Problem(400, "reasoning_effort and thinking_level/thinking_budget cannot be used together.")
    if "min-messages" in cfg.checks and data.get("messages") == []:
        raise Problem(400, "Invalid 'messages': empty array. Expected an array with minimum length 1.", "messages")
    messages = data.get("messages") or []
    if not isinstance(messages, list) or not all(isinstance(m, dict) and m.get("role") in ROLES for m in messages):
        raise Problem(400, "Invalid 'messages': every message needs a valid role.", "messages", "invalid_value")
    _check_signatures(cfg, model, messages)
    prompt = _prompt(cfg, data, messages)
    enabled = (data.get("thinking") or {}).get("type") == "enabled"
    prompt.thinking = enabled or bool(google) or _thinks(cfg, model, data)
    answer = respond(prompt)
    thought = answer.thought if "include_thoughts" in cfg.effects and google.get("include_thoughts") else ""
    n = int(data.get("n") or 1)
    if data.get("stream") and "stream" in cfg.effects:
        return _stream(cfg, data, model, answer, n, thought)
    usage = _usage(cfg, data, answer, n)
    reply: dict[str, Any] = {
        "id": f"chatcmpl-{fresh_id()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [_choice(cfg, data, answer, i, thought) for i in range(n)],
        "usage": usage,
    }
    if cfg.extras:
        if (
            data.get("service_tier") is not None
        ):  # "When the service_tier parameter is set, the response ... include[s]"
            reply["service_tier"] = "default" if data["service_tier"] == "auto" else data["service_tier"]
        reply["system_fingerprint"] = "fp_fake0001"
    return Reply(body=reply, kind="chat")


def _content(cfg: Config, content: Any) -> tuple[str, int, int]:
    """The text of a message's content, and how many image and audio parts reach the model."""
    if content is None or isinstance(content, str):
        return content or "", 0, 0
    if not isinstance(content, list):
        raise Problem(400, "Invalid 'content': expected a string or an array of parts.", "messages", "invalid_type")
    texts, images, audio = [], 0, 0
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind not in PART_TYPES:
            raise Problem(400, f"Invalid content part type: {kind!r}.", "messages", "invalid_value")
        if kind in cfg.drop_parts:
            continue
        if kind == "text":
            texts.append(part.get("text") or "")
        images += kind == "image_url"
        audio += kind == "input_audio"
    return "\n".join(texts), images, audio


def _prompt(cfg: Config, data: dict[str, Any], messages: list[dict[str, Any]]) -> Prompt:
    prompt = Prompt(tool_results=bool(messages) and messages[-1]["role"] in ("tool", "function"))
    system, seen_user = [], False
    for message in messages:
        text, images, audio = _content(cfg, message.get("content"))
        if message["role"] in ("system", "developer"):
            if seen_user and "hoisting" not in cfg.effects:
                continue  # not hoisted: a system message after the conversation started is lost
            system.append(text)
        elif message["role"] == "user":
            seen_user = True
            prompt.question, prompt.images, prompt.audio = text, prompt.images + images, prompt.audio + audio
        prompt.texts.append(text)
    prompt.system = "\n".join(system if "join" in cfg.effects else system[-1:])
    prompt.tools = tuple(f for f in find(data, "tools[].function.name") if isinstance(f, str))
    choice = data.get("tool_choice") or "auto"
    named = find(choice, "function.name")
    prompt.tool_choice = choice if isinstance(choice, str) else str(named[0]) if named else "auto"
    prompt.parallel = data.get("parallel_tool_calls") is not False or "parallel_tool_calls" not in cfg.effects
    limits = [data.get(k) for k in ("max_tokens", "max_completion_tokens") if k in cfg.effects]
    prompt.max_tokens = min((v for v in limits if isinstance(v, int)), default=None)
    stop = data.get("stop") if "stop" in cfg.effects else None
    prompt.stop = (stop,) if isinstance(stop, str) else tuple(stop or ())
    kind = find(data, "response_format.type")
    prompt.json_mode = "response_format" in cfg.effects and kind[:1] in (["json_object"], ["json_schema"])
    return prompt


def _logprobs(data: dict[str, Any], answer: Answer) -> dict[str, Any]:
    def entry(token: str, logprob: float) -> dict[str, Any]:
        return {"token": token, "logprob": logprob, "bytes": list(token.encode())}

    count = int(data.get("top_logprobs") or 0)
    content = []
    for piece in answer.pieces:
        alternatives = [entry(piece, -0.01)] + [entry(f" alt{k}", -5.0 - k) for k in range(1, count)]
        content.append({**entry(piece, -0.01), "top_logprobs": alternatives[:count]})
    return {"content": content, "refusal": None}


def _wants_logprobs(cfg: Config, data: dict[str, Any]) -> bool:
    return any(name in cfg.effects and data.get(name) for name in ("logprobs", "top_logprobs"))


def _message(cfg: Config, data: dict[str, Any], answer: Answer, thought: str) -> dict[str, Any]:
    text = f"<thought>{thought}</thought>{answer.text}" if thought else answer.text
    message: dict[str, Any] = {"role": "assistant", "content": None if answer.tool_calls else text}
    if cfg.extras:
        message["refusal"] = None
        message["annotations"] = []
        if data.get("audio") and "audio" in (data.get("modalities") or []):
            audio = base64.b64encode(b"RIFF fake wav").decode()
            message["audio"] = {"id": "audio_fake", "data": audio, "expires_at": CREATED, "transcript": answer.text}
    if cfg.thinking_out and answer.thought:
        message["reasoning_content"] = answer.thought
    if answer.tool_calls:
        message["tool_calls"] = [_tool_call(cfg, data, c, k) for k, c in enumerate(answer.tool_calls)]
    return message


def _thinks(cfg: Config, model: str, data: dict[str, Any]) -> bool:
    """Whether a thinking model thinks: always, unless reasoning_effort "none" where that turns it off; with
    ``default_thinking`` off (a break), only when a reasoning_effort asks it to."""
    if not models_matching(cfg.thinking_models, model):
        return False
    effort = data.get("reasoning_effort")
    if effort == "none":
        return not models_matching(cfg.can_disable, model)
    return effort is not None or "default_thinking" in cfg.effects


def _signature(model: str, name: str, arguments: str) -> str:
    """The thought signature of one function call: opaque to the client, checkable by the server."""
    digest = hashlib.sha256(f"{model.removeprefix('models/')}|{name}|{arguments}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


def _tool_call(cfg: Config, data: dict[str, Any], call: ToolCall, k: int, index: bool = False) -> dict[str, Any]:
    """One tool call; on a signing model the first of the turn carries its thought signature (``extra_content``)."""
    function = {"name": call.name, "arguments": call.json}
    found: dict[str, Any] = {"index": k} if index else {}
    found |= {"id": call.id, "type": "function", "function": function}
    model = str(data.get("model") or "")
    if k == 0 and models_matching(cfg.signature_models, model):
        found["extra_content"] = {"google": {"thought_signature": _signature(model, call.name, call.json)}}
    return found


def _check_signatures(cfg: Config, model: str, messages: list[dict[str, Any]]) -> None:
    """On a signing model, the first function call of each assistant step of the current turn (since the last user
    message) must come back with the signature it was given."""
    if not models_matching(cfg.signature_models, model):
        return
    users = [i for i, m in enumerate(messages) if m.get("role") == "user"]
    start = users[-1] if users else 0
    for position, message in enumerate(messages[start:], start + 1):
        calls = message.get("tool_calls") if message.get("role") == "assistant" else None
        first = calls[0] if isinstance(calls, list) and calls and isinstance(calls[0], dict) else None
        if first is None:
            continue
        function = first.get("function") or {}
        name, arguments = str(function.get("name")), str(function.get("arguments"))
        sent = find(first, "extra_content.google.thought_signature")
        if sent != [_signature(model, name, arguments)]:
            what = "is missing a" if not sent else "carries an invalid"
            raise Problem(400, f"Function call `{name}` in the {position}. content block {what} `thought_signature`.")


def _choice(cfg: Config, data: dict[str, Any], answer: Answer, index: int, thought: str) -> dict[str, Any]:
    choice: dict[str, Any] = {"index": index, "message": _message(cfg, data, answer, thought)}
    if _wants_logprobs(cfg, data):
        choice["logprobs"] = _logprobs(data, answer)
    elif cfg.extras:
        choice["logprobs"] = None
    choice["finish_reason"] = answer.finish
    return choice


def _usage(cfg: Config, data: dict[str, Any], answer: Answer, n: int) -> dict[str, Any]:
    completion = answer.completion_tokens * n
    usage: dict[str, Any] = {
        "prompt_tokens": answer.prompt_tokens,
        "completion_tokens": completion,
        "total_tokens": answer.prompt_tokens + completion,
    }
    cached = _cache_read(cfg, data, answer)
    if cached:
        usage["prompt_tokens_details"] = {"cached_tokens": cached}
    if "reasoning_usage" in cfg.effects and answer.thought:
        usage["completion_tokens_details"] = {"reasoning_tokens": answer.thought_tokens * n}
        usage["total_tokens"] += answer.thought_tokens * n
    if cfg.extras:
        predicted = find(data, "prediction.content")
        guess = predicted[0].split() if predicted and isinstance(predicted[0], str) else []
        accepted = sum(w in answer.text.split() for w in guess)
        usage["prompt_tokens_details"] = {"cached_tokens": cached, "audio_tokens": 0}
        usage["completion_tokens_details"] = {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": accepted,
            "rejected_prediction_tokens": len(guess) - accepted,
        }
    return usage


def _cache_read(cfg: Config, data: dict[str, Any], answer: Answer) -> int:
    """Prompt tokens read from the cache: with ``prompt_caching`` on, all of a long prompt seen before, else 0."""
    if "prompt_caching" not in cfg.effects or answer.prompt_tokens < CACHE_MINIMUM:
        return 0
    key = "prompt-cache:" + hashlib.sha256(json.dumps(data.get("messages"), sort_keys=True).encode()).hexdigest()
    try:
        cfg.store.get(key, "cached prompt")
    except Missing:
        cfg.store.put(key, {"type": "prompt-cache"})
        return 0
    return answer.prompt_tokens


def _stream(cfg: Config, data: dict[str, Any], model: str, answer: Answer, n: int, thought: str) -> Reply:
    with_usage = "stream_options" in cfg.effects and find(data, "stream_options.include_usage") == [True]
    head: dict[str, Any] = {
        "id": f"chatcmpl-{fresh_id()}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
    }
    if cfg.extras:
        head |= {"service_tier": "default", "system_fingerprint": "fp_fake0001"}

    def chunk(choices: list[dict[str, Any]], usage: dict[str, Any] | None = None) -> SseEvent:
        return None, {**head, "choices": choices, **({"usage": usage} if with_usage else {})}

    def delta(index: int, change: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        extra = {"logprobs": None} if cfg.extras else {}
        return {"index": index, "delta": change, **extra, "finish_reason": finish}

    events: list[SseEvent] = []
    pieces = ([f"<thought>{thought}</thought>"] if thought else []) + answer.pieces
    for i in range(n):
        events.append(chunk([delta(i, {"role": "assistant", "content": ""})]))
        events += [chunk([delta(i, {"content": piece})]) for piece in pieces]
        for k, call in enumerate(answer.tool_calls):
            events.append(chunk([delta(i, {"tool_calls": [_tool_call(cfg, data, call, k, index=True)]})]))
        events.append(chunk([delta(i, {}, answer.finish)]))
    if with_usage:
        events.append(chunk([], _usage(cfg, data, answer, n)))
    events.append((None, "[DONE]"))
    return Reply(events=events, kind="chat-stream")


def _embeddings(cfg: Config, req: Request) -> Reply:
    data, model = _body(cfg, req, ("model", "input"))
    raw = data.get("input")
    if raw in (None, "", []):
        raise Problem(400, "Missing required parameter: 'input'.", "input", "missing_required_parameter")
    inputs = [raw] if isinstance(raw, str) else list(raw)
    size = int(data.get("dimensions") or 16)
    rows = []
    for i, item in enumerate(inputs):
        vector: Any = embedding(str(item), size)
        if data.get("encoding_format") == "base64":
            vector = base64.b64encode(struct.pack(f"<{size}f", *vector)).decode()
        rows.append({"object": "embedding", "index": i, "embedding": vector})
    tokens = sum(words(str(item)) for item in inputs)
    usage = {"prompt_tokens": tokens, "total_tokens": tokens}
    return Reply(body={"object": "list", "data": rows, "model": model, "usage": usage}, kind="embeddings")


# --- faults -----------------------------------------------------------------------------------------------------


def _double_choices(reply: Reply) -> None:
    choices = reply.body.get("choices") or []
    reply.body["choices"] = choices + [{**c, "index": len(choices) + i} for i, c in enumerate(choices)]


def _usage_off_by_one(reply: Reply) -> None:
    bodies = [reply.body] + [data for _, data in reply.events or []]
    for data in bodies:
        usage = data.get("usage") if isinstance(data, dict) else None
        if isinstance(usage, dict) and isinstance(usage.get("total_tokens"), int):
            usage["total_tokens"] += 1


def _drop_done(reply: Reply) -> None:
    reply.events = [e for e in reply.events or [] if e[1] != "[DONE]"]


def _drop_usage(reply: Reply) -> None:
    reply.events = [e for e in reply.events or [] if not (isinstance(e[1], dict) and e[1].get("choices") == [])]
    for _, data in reply.events:
        if isinstance(data, dict):
            data.pop("usage", None)


def _wrong_object(chunk: dict[str, Any]) -> None:
    chunk["object"] = "chat.completion"


def _no_id(chunk: dict[str, Any]) -> None:
    chunk.pop("id", None)


def _no_delta_content(chunk: dict[str, Any]) -> None:
    for choice in chunk.get("choices") or []:
        choice.get("delta", {}).pop("content", None)


LOGPROBS = {"content": [{"token": "OK", "logprob": -0.01, "bytes": [79, 75], "top_logprobs": []}], "refusal": None}
DETAILS = {"cached_tokens": 1, "reasoning_tokens": 1}
AUDIO = {"id": "audio_fake", "data": "", "expires_at": CREATED, "transcript": "OK"}
REQUEST_FIELDS = (
    "model", "messages", "max_tokens", "max_completion_tokens", "stream", "stream_options", "top_p",
    "parallel_tool_calls", "stop", "temperature", "n", "logprobs", "top_logprobs", "metadata", "response_format",
    "prediction", "presence_penalty", "frequency_penalty", "seed", "service_tier", "audio", "logit_bias", "store",
    "user", "modalities", "reasoning_effort",
)  # fmt: skip
USAGE_FIELDS = (
    "prompt_tokens", "completion_tokens", "completion_tokens_details", "prompt_tokens_details",
    "completion_tokens_details.reasoning_tokens", "completion_tokens_details.audio_tokens",
    "completion_tokens_details.accepted_prediction_tokens", "completion_tokens_details.rejected_prediction_tokens",
    "prompt_tokens_details.cached_tokens", "prompt_tokens_details.audio_tokens",
)  # fmt: skip
HEADERS = (
    *RATE_LIMIT_HEADERS,
    "x-request-id",
    "request-id",
    "openai-organization",
    "openai-version",
    "openai-processing-ms",
)

FAULTS: dict[str, Fault] = {
    **{f"request.{name}": field_fault(name) for name in REQUEST_FIELDS},
    "request.response_format.text": refuse("response_format.type", value="text"),
    "request.response_format.json_object": refuse("response_format.type", value="json_object"),
    "request.response_format.json_schema": refuse("response_format.json_schema"),
    "request.extra_body.thinking": refuse("thinking"),
    **{
        f"message.messages.role.{role}": refuse("messages[].role", value=role)
        for role in ("developer", "system", "user", "assistant", "tool")
    },
    "message.messages.role": refuse("messages[].role", value="system"),
    **{
        f"message.messages.content.{k}": refuse(f"messages[].content[].{k}")
        for k in ("text", "image_url", "input_audio")
    },
    "tool.tools.function": refuse("tools[].function"),
    "tool.tools.function.name": field_fault("tools[].function.name"),
    "tool.tools.function.description": refuse("tools[].function.description"),
    "tool.tools.function.parameters": refuse("tools[].function.parameters"),
    "tool.tools.function.strict": refuse("tools[].function.strict"),
    "tool.tool_choice": refuse("tool_choice"),
    "behavior.system-developer-hoisting": effect("hoisting"),
    "response.choices.message.reasoning_content": thinking_out(),
    "response.id": body("id"),
    "response.object": body("object"),
    "response.created": body("created"),
    "response.model": body("model"),
    "response.choices": reply_edit({"chat"}, _double_choices),
    "response.choices.index": body("choices[].index"),
    "response.choices.finish_reason": body("choices[].finish_reason"),
    "response.choices.message": body("choices[].message"),
    "response.choices.message.role": body("choices[].message.role"),
    "response.choices.message.content": body("choices[].message.content"),
    "response.choices.message.tool_calls": body("choices[].message.tool_calls"),
    "response.choices.message.refusal": body("choices[].message.refusal", "I can't help with that."),
    "response.choices.message.audio": body("choices[].message.audio", AUDIO),
    "response.choices.logprobs": body("choices[].logprobs", LOGPROBS),
    "response.logprobs": body("choices[].logprobs", LOGPROBS),  # the field OpenAI and the claim name
    "response.service_tier": body("service_tier", "default"),
    "response.system_fingerprint": body("system_fingerprint", "fp_fake0001"),
    "response.data.embedding": body("data[].embedding", kinds={"embeddings"}),
    "stream.object": chunks(_wrong_object),
    "stream.id": chunks(_no_id),
    "stream.choices.delta.content": chunks(_no_delta_content),
    "stream.done": reply_edit({"chat-stream"}, _drop_done),
    "stream.stream_options.include_usage": reply_edit({"chat-stream"}, _drop_usage),
    "stream.stream": field_fault("stream"),
    "usage.total_tokens": reply_edit({"chat", "chat-stream"}, _usage_off_by_one),
    **{f"usage.{path}": body(f"usage.{path}", DETAILS if path.endswith("_details") else 1) for path in USAGE_FIELDS},
    **{f"header.{name}": header(name) for name in HEADERS},
    "request_header.openai-organization": header_refused("openai-organization"),
    "request_header.openai-project": header_refused("openai-project"),
    "error.body": error_shape(),
    "error.openai-format": error_shape(),
    "error.bad-request": check("min-tokens"),
    "error.invalid-api-key": check("key"),
    "error.not-found": check("model"),
    "endpoint.post-v1-chat-completions": routes_off("chat"),
    "endpoint.post-chat-completions": routes_off("chat"),
    "endpoint.post-v1beta-chat-completions": routes_off("chat-v1beta"),
    "endpoint.get-v1-models": routes_off("models"),
    "endpoint.get-models": routes_off("models"),
    "endpoint.get-v1-models-model": routes_off("model"),
    "endpoint.get-models-model": routes_off("model"),
    "endpoint.post-v1-embeddings": routes_off("embeddings"),
    "endpoint.post-embeddings": routes_off("embeddings"),
}
"""Claim-id suffix -> fault, for every claim of the three OpenAI-format specs that this app implements."""

_HEADERS = " ".join(f"header.{h}" for h in RATE_LIMIT_HEADERS)
_USAGE = "usage.prompt_tokens usage.completion_tokens usage.total_tokens usage.prompt_tokens_details"

OPENAI_FAULTS = pick(
    FAULTS,
    f"""{" ".join(f"request.{name}" for name in REQUEST_FIELDS)}
    request.response_format.text request.response_format.json_object request.response_format.json_schema
    message.messages.role.developer message.messages.role.system message.messages.role.user
    message.messages.role.assistant message.messages.role.tool
    message.messages.content.image_url message.messages.content.input_audio
    tool.tools.function.name tool.tools.function.description tool.tools.function.parameters
    tool.tools.function.strict tool.tool_choice
    response.id response.object response.created response.model response.choices response.choices.index
    response.choices.finish_reason response.choices.message.role response.choices.message.content
    response.choices.message.tool_calls response.choices.message.refusal response.choices.message.audio
    response.choices.logprobs response.service_tier response.system_fingerprint
    stream.object stream.id stream.choices.delta.content stream.done stream.stream_options.include_usage
    {_USAGE} usage.completion_tokens_details usage.completion_tokens_details.reasoning_tokens
    usage.completion_tokens_details.audio_tokens usage.completion_tokens_details.accepted_prediction_tokens
    usage.completion_tokens_details.rejected_prediction_tokens usage.prompt_tokens_details.cached_tokens
    usage.prompt_tokens_details.audio_tokens
    {_HEADERS} header.x-request-id header.openai-organization header.openai-processing-ms header.openai-version
    request_header.openai-organization request_header.openai-project
    error.body error.bad-request error.invalid-api-key error.not-found
    endpoint.post-v1-chat-completions endpoint.get-v1-models endpoint.get-v1-models-model endpoint.post-v1-embeddings""",
) | {
    "endpoint.post-v1-images-generations": routes_off("images"),
    "endpoint.post-v1-files": routes_off("files"),
    "endpoint.post-v1-batches": routes_off("batches"),
    "endpoint.get-v1-batches-batch_id": routes_off("batch"),
    "request_header.authorization": header_optional("authorization"),
    "response.choices.message.audio": body("choices[].message.audio"),  # only ever removed: OpenAI sends it on request
}

ANTHROPIC_OPENAI_FAULTS = pick(
    FAULTS,
    f"""request.max_tokens request.max_completion_tokens request.stream request.stream_options request.top_p
    request.parallel_tool_calls request.stop request.temperature request.n request.logprobs request.metadata
    request.response_format request.prediction request.presence_penalty request.frequency_penalty request.seed
    request.service_tier request.audio request.logit_bias request.store request.user request.modalities
    request.top_logprobs request.reasoning_effort request.extra_body.thinking
    tool.tools.function.name tool.tools.function.description tool.tools.function.parameters tool.tools.function.strict
    message.messages.content.input_audio
    behavior.system-developer-hoisting response.choices.message.reasoning_content
    response.id response.choices response.choices.finish_reason response.choices.index response.choices.message.role
    response.choices.message.content response.choices.message.tool_calls response.object response.created
    response.model response.choices.message.refusal response.choices.message.audio response.logprobs
    response.service_tier response.system_fingerprint
    {_USAGE} usage.completion_tokens_details
    {_HEADERS} header.request-id header.openai-version header.openai-processing-ms
    error.openai-format endpoint.post-v1-chat-completions""",
) | {
    "request.model": check("model-prefix"),
    "request_header.authorization": header_refused("authorization"),
    "auth.api_key": header_refused("authorization"),
    "behavior.system-developer-join": effect("join"),
    "behavior.prompt-caching": effect("prompt_caching"),
}

GEMINI_OPENAI_FAULTS = pick(
    FAULTS,
    """message.messages.role response.choices.message stream.stream stream.choices.delta.content
    stream.stream_options.include_usage tool.tools.function tool.tool_choice message.messages.content.text
    message.messages.content.image_url message.messages.content.input_audio request.response_format
    response.data.embedding endpoint.post-chat-completions endpoint.post-v1beta-chat-completions
    endpoint.post-embeddings endpoint.get-models endpoint.get-models-model""",
) | {
    "behavior.base_url": routes_off("chat", "models", "model", "embeddings"),
    "auth.api_key": header_refused("authorization"),
    "request_header.authorization": header_refused("authorization"),
    "request_header.content-type": header_refused("content-type"),
    "request.model": refuse("model"),
    "request.reasoning_effort.gemini-3": refuse("reasoning_effort", models="gemini-3-*"),
    "request.reasoning_effort.gemini-2-5": refuse("reasoning_effort", models="gemini-2.5-*"),
    "request.reasoning_effort.none": refuse("reasoning_effort", value="none", models="gemini-2.5-flash*"),
    "request.reasoning_effort.exclusive": check("exclusive"),
    "request.reasoning_effort.cannot-disable-2-5-pro": more_models("can_disable", "gemini-2.5-pro*"),
    "request.reasoning_effort.cannot-disable-gemini-3": more_models("can_disable", "gemini-3-*"),
    "behavior.reasoning_effort.default": effect("default_thinking"),
    "behavior.thought_signatures": no_models("signature_models"),
    "endpoint.post-images-generations": routes_off("images"),
    "request.images.response_format": body("data[].b64_json", kinds={"images"}),
    "endpoint.post-batches": routes_off("batches"),
    "endpoint.get-batches-batch_id": routes_off("batch"),
    "endpoint.post-files": routes_on("files"),
    "request.input_file_id": routes_off("native-upload"),
    "request.completion_window": refuse("completion_window"),
    "request.endpoint.v1-embeddings": refuse("endpoint", value="/v1/embeddings"),
    "request.extra_body.google.thinking_config": refuse("extra_body.google.thinking_config", "google.thinking_config"),
    "request.extra_body.google.thinking_config.include_thoughts": effect("include_thoughts"),
    "request.extra_body.google.thinking_config.thinking_budget": refuse(
        "extra_body.google.thinking_config.thinking_budget", "google.thinking_config.thinking_budget"
    ),
}

# --- breaks that a check used to let pass (issue 17): each is a variant of the claim it breaks ----------------------


def _chat_body(edit: Any) -> Fault:
    """Edit each non-streamed chat answer's body."""
    return reply_edit({"chat"}, lambda reply: edit(reply.body))


def _set(path: str, value: Any) -> Fault:
    """Every ``path`` of a chat answer (present or not) set to ``value``."""

    def edit(data: dict[str, Any]) -> None:
        for holder, key in parents(data, path):
            holder[key] = copy.deepcopy(value)

    return _chat_body(edit)


def _no_tool_calls(data: dict[str, Any]) -> None:
    for choice in data.get("choices") or []:
        message = choice.get("message") or {}
        if message.pop("tool_calls", None) is not None:
            message["content"] = "I would rather not use the tools."
            choice["finish_reason"] = "stop"


def _comma_count(data: dict[str, Any]) -> None:
    """The counting answer written "1, 2, 3, ..." (so the stop sequence "7" sits in "7,", not in a word of its own)."""
    for choice in data.get("choices") or []:
        message = choice.get("message") or {}
        if isinstance(message.get("content"), str) and message["content"].startswith("1 2 3"):
            message["content"] = ", ".join(message["content"].split()) + ","


def _native_error(reply: Reply) -> None:
    """The error in Anthropic's native shape: ``{"type": "error", "error": {"type", "message"}}`` (no param, code)."""
    error = reply.body.get("error") if isinstance(reply.body, dict) else None
    message = error.get("message") if isinstance(error, dict) else str(reply.body)
    reply.body = {"type": "error", "error": {"type": "invalid_request_error", "message": message}}


def _usage_chunk_with_choice(reply: Reply) -> None:
    for _, data in reply.events or []:
        if isinstance(data, dict) and data.get("choices") == [] and isinstance(data.get("usage"), dict):
            data["choices"] = [{"index": 0, "delta": {}, "finish_reason": "stop"}]


def _no_usage_null(reply: Reply) -> None:
    for _, data in reply.events or []:
        if isinstance(data, dict) and data.get("usage", False) is None:
            del data["usage"]


def _no_role(reply: Reply) -> None:
    for _, data in reply.events or []:
        for choice in data.get("choices") or [] if isinstance(data, dict) else []:
            choice.get("delta", {}).pop("role", None)


def _finish_twice(reply: Reply) -> None:
    for _, data in reply.events or []:
        for choice in data.get("choices") or [] if isinstance(data, dict) else []:
            if "content" in choice.get("delta", {}):
                choice["finish_reason"] = "stop"


def _no_events(reply: Reply) -> None:
    reply.events = []


def _over_budget(data: dict[str, Any]) -> None:
    usage = data.get("usage") or {}
    usage["completion_tokens_details"] = {"reasoning_tokens": 30000}
    usage["total_tokens"] = usage.get("prompt_tokens", 0) + usage.get("completion_tokens", 0) + 30000


def _limit_low(name: str, low: float) -> Fault:
    """A range's lower bound no longer enforced."""

    def hook(cfg: Config) -> None:
        cfg.limits[name].low = low

    return Fault(config=hook)


def _enum_off(name: str) -> Fault:
    """Any value of an enum field accepted."""
    return Fault(config=lambda cfg: cfg.enums.pop(name, None))


def _only_empty_stop(cfg: Config) -> None:
    cfg.limits["stop"] = Limit(0, 0, cap=False)


STREAM_BREAKS = {
    "stream.stream_options.include_usage#usage-chunk-with-choice": reply_edit(
        {"chat-stream"}, _usage_chunk_with_choice
    ),
    "stream.stream_options.include_usage#no-usage-null": reply_edit({"chat-stream"}, _no_usage_null),
    "stream.choices.delta.content#no-role": reply_edit({"chat-stream"}, _no_role),
    "stream.choices.delta.content#finish-reason-twice": reply_edit({"chat-stream"}, _finish_twice),
}
OPENAI_FAULTS |= STREAM_BREAKS | {
    "endpoint.post-v1-chat-completions#stream-as-json": effect("stream"),
    "endpoint.post-v1-chat-completions#stream-without-events": reply_edit({"chat-stream"}, _no_events),
    "request.messages#empty-accepted": check("min-messages"),
    "request.response_format#plain-text": effect("response_format"),
    "request.response_format.json_object#plain-text": effect("response_format"),
    "request.response_format.json_schema#plain-text": effect("response_format"),
    "request.parallel_tool_calls#no-tool-calls": expecting("could not tell", _chat_body(_no_tool_calls)),
    "request.stop#one-sequence-refused": Fault(config=_only_empty_stop),
    "request.temperature#no-lower-bound": _limit_low("temperature", -10),
    "request.n#zero-accepted": _limit_low("n", 0),
    "request.presence_penalty#no-lower-bound": _limit_low("presence_penalty", -10),
    "request.frequency_penalty#no-lower-bound": _limit_low("frequency_penalty", -10),
    "request.reasoning_effort#any-value-accepted": _enum_off("reasoning_effort"),
    "request.service_tier#any-value-accepted": _enum_off("service_tier"),
    "response.service_tier#unknown-tier": _set("service_tier", "turbo"),
    "response.system_fingerprint": _set("system_fingerprint", 12345),  # not required: only a wrong type fails
    "response.system_fingerprint#absent": expecting("could not tell", body("system_fingerprint")),
    "response.choices.finish_reason#unknown-reason": _set("choices[].finish_reason", "end_turn"),
    "usage.total_tokens#a-string": _set("usage.total_tokens", "12"),
    "error.body#no-param-or-code": reply_edit({"error"}, _native_error),
}
ANTHROPIC_OPENAI_FAULTS |= {
    "request.response_format#obeyed": effect("response_format"),
    "request.parallel_tool_calls#no-tool-calls": expecting("could not tell", _chat_body(_no_tool_calls)),
    "request.stop#comma-count": both(effect("stop"), _chat_body(_comma_count)),
    "response.object#wrong-value": _set("object", "message"),
    "response.finish_reason": body("choices[].finish_reason"),  # the bare row: in neither place it may be
    "response.content": body("choices[].message.content"),
    "response.choices.finish_reason#unknown-reason": _set("choices[].finish_reason", "end_turn"),
    "response.choices.message.role#wrong-role": _set("choices[].message.role", "model"),
    "usage.prompt_tokens#a-string": _set("usage.prompt_tokens", "5"),
    "request_header.authorization#no-credentials-accepted": header_optional("authorization"),
    "error.openai-format#native-shape": reply_edit({"error"}, _native_error),
    "behavior.prompt-caching#cache-control-refused": expecting(
        "could not tell", refuse("messages[].content[].cache_control")
    ),
    "endpoint.post-v1-chat-completions#stream-as-json": effect("stream"),
}
GEMINI_OPENAI_FAULTS |= STREAM_BREAKS | {
    "request.response_format#plain-text": effect("response_format"),
    "request_header.authorization#no-credentials-accepted": header_optional("authorization"),
    "request.extra_body.google.thinking_config.thinking_budget#string-refused": refuse(
        "extra_body.google.thinking_config.thinking_budget", "google.thinking_config.thinking_budget", value="low"
    ),
    "request.reasoning_effort.gemini-2-5#over-budget": _chat_body(_over_budget),
    "request.reasoning_effort.gemini-2-5#any-value-accepted": _enum_off("reasoning_effort"),
    "request.reasoning_effort.gemini-3#any-value-accepted": _enum_off("reasoning_effort"),
    "endpoint.post-chat-completions#stream-as-json": effect("stream"),
}


FLAVORS = {
    "openai": Flavor("openai", openai_config, app, OPENAI_FAULTS, ROOTS["openai"]),
    "anthropic-openai": Flavor(
        "anthropic-openai", anthropic_openai_config, app, ANTHROPIC_OPENAI_FAULTS, ROOTS["anthropic-openai"]
    ),
    "gemini-openai": Flavor("gemini-openai", gemini_openai_config, app, GEMINI_OPENAI_FAULTS, ROOTS["gemini-openai"]),
}
