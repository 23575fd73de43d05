"""Probes through ``google-genai`` against the native Gemini API (v1beta).

The client is pinned to v1beta (the version the docs use); the SDK drops response fields it does not know, so the
checks read the raw exchange each call keeps, not the SDK's objects. Requests the SDK will not send (a body that is
not JSON, no key, embedContent, which the SDK replaces by batchEmbedContents) go through the same recorder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from conformance.checks import prompts
from conformance.data import fixture_bytes
from conformance.exchange.model import Call, Observation
from conformance.providers.base import ProbeContext
from conformance.providers.clients import genai_client, perform, perform_async, raw_request
from conformance.providers.registry import probe
from conformance.spec.model import Claim

if TYPE_CHECKING:  # google-genai is imported when a probe first runs, not when cases are collected
    from google.genai import types

SMALL = 16
ROOMY = 1024
"""Enough output for a thinking model to think a little and still answer."""
EMBED_MODEL = "gemini-embedding-001"
"""Embeddings need an embedding model, whatever generation model the run uses."""
EMBED_TEXTS = (prompts.EMBED, "a second conformance probe")
MAX_TOKENS = 5
STOP = prompts.COUNT_STOP
FUNCTIONS: dict[str, dict[str, Any]] = {
    "get_weather": {
        "description": "Get the current weather in a city.",
        "parameters": {
            "type": "OBJECT",
            "properties": {"location": {"type": "STRING", "description": "The city"}},
            "required": ["location"],
        },
    },
    "get_time": {
        "description": "Get the local time in a city.",
        "parameters": {
            "type": "OBJECT",
            "properties": {"city": {"type": "STRING", "description": "The city"}},
            "required": ["city"],
        },
    },
}
EVENT_SCHEMA: dict[str, Any] = {
    "type": "OBJECT",
    "properties": {
        "name": {"type": "STRING"},
        "date": {"type": "STRING"},
        "participants": {"type": "ARRAY", "items": {"type": "STRING"}},
    },
    "required": ["name", "date", "participants"],
}
SAFETY_CATEGORIES = (
    "HARM_CATEGORY_HARASSMENT",
    "HARM_CATEGORY_HATE_SPEECH",
    "HARM_CATEGORY_SEXUALLY_EXPLICIT",
    "HARM_CATEGORY_DANGEROUS_CONTENT",
)
SAMPLING: dict[str, dict[str, Any]] = {
    "generation_config.top_p": {"top_p": 0.5},
    "generation_config.top_k": {"top_k": 20},
}
"""Request field -> the GenerateContentConfig values a plain request sends for it."""
OUT_OF_RANGE: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "generation_config.temperature": ({"temperature": 2.5}, {"temperature": 1.0}),
    "generation_config.stop_sequences": (
        {"stop_sequences": ["A", "B", "C", "D", "E", "F"]},
        {"stop_sequences": ["A", "B", "C", "D", "E"]},
    ),
}
"""Request field -> (a value beyond its documented limit, one within it)."""
THINKING: dict[str, dict[str, Any]] = {
    "thinking_config.thinking_level": {"thinking_level": "low"},
    "thinking_config.include_thoughts": {"thinking_budget": 512, "include_thoughts": True},
    "candidates[].content.parts[].thought": {"thinking_budget": 512, "include_thoughts": True},
}
"""Claim field -> the ThinkingConfig it is probed with; a budget of 512 otherwise."""


def _url(ctx: ProbeContext, model: str, method: str) -> str:
    return f"{ctx.base_url.rstrip('/')}/v1beta/models/{model}:{method}"


def _config(**values: Any) -> types.GenerateContentConfig:
    from google.genai import types

    return types.GenerateContentConfig(**{"max_output_tokens": SMALL, **values})


def _generate(ctx: ProbeContext, label: str, contents: Any, config: types.GenerateContentConfig) -> Call:
    client = genai_client(ctx)
    return perform(
        ctx, label, lambda: client.models.generate_content(model=ctx.model, contents=contents, config=config)
    )


@probe("gemini.basic")
def basic(ctx: ProbeContext, claim: object) -> Observation:
    return Observation([_generate(ctx, "generate_content", prompts.BASIC, _config())])


@probe("gemini.basic_async")
async def basic_async(ctx: ProbeContext, claim: object) -> Observation:
    client = genai_client(ctx)
    call = await perform_async(
        ctx,
        "generate_content-async",
        lambda: client.aio.models.generate_content(model=ctx.model, contents=prompts.BASIC, config=_config()),
    )
    return Observation([call])


@probe("gemini.stream")
def stream(ctx: ProbeContext, claim: object) -> Observation:
    client = genai_client(ctx)
    call = perform(
        ctx,
        "generate_content_stream",
        lambda: list(client.models.generate_content_stream(model=ctx.model, contents=prompts.BASIC, config=_config())),
    )
    return Observation([call])


@probe("gemini.stream_async")
async def stream_async(ctx: ProbeContext, claim: object) -> Observation:
    client = genai_client(ctx)

    async def chunks() -> list[Any]:
        found = await client.aio.models.generate_content_stream(
            model=ctx.model, contents=prompts.COUNT, config=_config(max_output_tokens=ROOMY)
        )
        return [chunk async for chunk in found]

    return Observation([await perform_async(ctx, "generate_content_stream-async", chunks)])


@probe("gemini.with_config")
def with_config(ctx: ProbeContext, claim: Claim) -> Observation:
    """A plain request with the claim's sampling field set (top_p, top_k)."""
    values = SAMPLING[claim.field]
    return Observation([_generate(ctx, "with-field", prompts.BASIC, _config(**values))], values=dict(values))


@probe("gemini.system_instruction")
def system_instruction(ctx: ProbeContext, claim: object) -> Observation:
    config = _config(system_instruction=prompts.SECRET_SYSTEM, max_output_tokens=ROOMY)
    call = _generate(ctx, "system_instruction", prompts.SECRET_QUESTION, config)
    return Observation([call], values={"system_instruction": prompts.SECRET_SYSTEM})


@probe("gemini.safety_settings")
def safety_settings(ctx: ProbeContext, claim: object) -> Observation:
    settings = [{"category": c, "threshold": "BLOCK_ONLY_HIGH"} for c in SAFETY_CATEGORIES]
    call = _generate(ctx, "safety_settings", prompts.BASIC, _config(safety_settings=settings))
    return Observation([call], values={"safety_settings[]": settings})


@probe("gemini.candidate_count")
def candidate_count(ctx: ProbeContext, claim: object) -> Observation:
    call = _generate(ctx, "candidate_count", prompts.BASIC, _config(candidate_count=2, max_output_tokens=ROOMY))
    return Observation([call], values={"candidate_count": 2})


@probe("gemini.max_output_tokens")
def max_output_tokens(ctx: ProbeContext, claim: object) -> Observation:
    call = _generate(ctx, "max_output_tokens", prompts.COUNT, _config(max_output_tokens=MAX_TOKENS))
    return Observation([call], values={"max_output_tokens": MAX_TOKENS})


@probe("gemini.stop_sequences")
def stop_sequences(ctx: ProbeContext, claim: object) -> Observation:
    config = _config(stop_sequences=[STOP], max_output_tokens=ROOMY)
    return Observation([_generate(ctx, "stop_sequences", prompts.COUNT, config)], values={"stop_sequences": [STOP]})


@probe("gemini.out_of_range")
def out_of_range(ctx: ProbeContext, claim: Claim) -> Observation:
    """The field beyond its documented limit (the negative control), then within it."""
    over, within = OUT_OF_RANGE[claim.field]
    calls = [
        _generate(ctx, "over-limit", prompts.BASIC, _config(**over)),
        _generate(ctx, "within-limit", prompts.BASIC, _config(**within)),
    ]
    return Observation(calls, values={claim.field: next(iter(over.values())), "within": next(iter(within.values()))})


@probe("gemini.json_output")
def json_output(ctx: ProbeContext, claim: Claim) -> Observation:
    """response_mime_type application/json, with the event schema when the claim is about response_schema."""
    values: dict[str, Any] = {"response_mime_type": "application/json", "max_output_tokens": ROOMY}
    if claim.field.endswith("response_schema"):
        values["response_schema"] = EVENT_SCHEMA
    call = _generate(ctx, "json", prompts.JSON_EVENT, _config(**values))
    required = EVENT_SCHEMA["required"] if "response_schema" in values else []
    return Observation([call], values={"response_mime_type": "application/json", "required_keys": required})


def _tools(names: tuple[str, ...] = tuple(FUNCTIONS)) -> list[dict[str, Any]]:
    return [{"function_declarations": [{"name": n, **FUNCTIONS[n]} for n in names]}]


def _calling(mode: str, allowed: list[str] | None = None) -> dict[str, Any]:
    config: dict[str, Any] = {"mode": mode}
    if allowed:
        config["allowed_function_names"] = allowed
    return {"function_calling_config": config}


def _tool_values(called: list[str]) -> dict[str, Any]:
    return {"tools": called, "parameters": {n: FUNCTIONS[n]["parameters"] for n in FUNCTIONS}}


@probe("gemini.tools")
def tools(ctx: ProbeContext, claim: object) -> Observation:
    """Two function declarations and a question that needs both; mode ANY, so a call must come back."""
    config = _config(tools=_tools(), tool_config=_calling("ANY"), max_output_tokens=ROOMY)
    return Observation([_generate(ctx, "tools", prompts.TOOLS, config)], values=_tool_values(list(FUNCTIONS)))


@probe("gemini.allowed_names")
def allowed_names(ctx: ProbeContext, claim: object) -> Observation:
    """Mode ANY with one of the two declared functions allowed: only that one may be called."""
    config = _config(tools=_tools(), tool_config=_calling("ANY", ["get_time"]), max_output_tokens=ROOMY)
    return Observation([_generate(ctx, "allowed", prompts.TOOLS, config)], values=_tool_values(["get_time"]))


@probe("gemini.calling_modes")
def calling_modes(ctx: ProbeContext, claim: object) -> Observation:
    """The same tool question with mode AUTO, ANY and NONE."""
    calls = [
        _generate(
            ctx, mode, prompts.TOOLS, _config(tools=_tools(), tool_config=_calling(mode), max_output_tokens=ROOMY)
        )
        for mode in ("AUTO", "ANY", "NONE")
    ]
    return Observation(calls, values=_tool_values(list(FUNCTIONS)))


@probe("gemini.inline_image")
def inline_image(ctx: ProbeContext, claim: object) -> Observation:
    from google.genai import types

    image = types.Part.from_bytes(data=fixture_bytes("red-dot.png"), mime_type="image/png")
    contents = [types.Content(role="user", parts=[image, types.Part.from_text(text=prompts.IMAGE)])]
    call = _generate(ctx, "inline_data", contents, _config(max_output_tokens=ROOMY))
    return Observation([call], values={"contents[].parts[].inline_data": "image/png"})


@probe("gemini.roles")
def roles(ctx: ProbeContext, claim: object) -> Observation:
    """A user / model / user conversation."""
    from google.genai import types

    contents = [
        types.Content(role="user", parts=[types.Part.from_text(text=prompts.BASIC)]),
        types.Content(role="model", parts=[types.Part.from_text(text="OK")]),
        types.Content(role="user", parts=[types.Part.from_text(text=prompts.BASIC)]),
    ]
    return Observation([_generate(ctx, "roles", contents, _config())], values={"contents[].role": "user/model/user"})


@probe("gemini.function_response")
def function_response(ctx: ProbeContext, claim: object) -> Observation:
    """The model's function calls and their results sent back: the model answers in text."""
    from google.genai import types

    answers = {"get_weather": {"result": "sunny, 21 C"}, "get_time": {"result": "21:00"}}
    arguments = {"get_weather": {"location": "Paris"}, "get_time": {"city": "Tokyo"}}
    contents = [
        types.Content(role="user", parts=[types.Part.from_text(text=prompts.TOOLS)]),
        types.Content(
            role="model", parts=[types.Part.from_function_call(name=n, args=arguments[n]) for n in FUNCTIONS]
        ),
        types.Content(
            role="user", parts=[types.Part.from_function_response(name=n, response=answers[n]) for n in FUNCTIONS]
        ),
    ]
    config = _config(tools=_tools(), max_output_tokens=ROOMY)
    return Observation([_generate(ctx, "function_response", contents, config)], values={"answers": answers})


def _thinking_config(claim: Claim) -> dict[str, Any]:
    """The documented ThinkingConfig for a claim: a level for Gemini 3, a budget for 2.5, with thoughts asked for."""
    return THINKING.get(claim.field, {"thinking_budget": 512})


@probe("gemini.thinking")
def thinking(ctx: ProbeContext, claim: Claim) -> Observation:
    """generateContent with a ThinkingConfig (``thinking_level``, ``thinking_budget``, ``include_thoughts``)."""
    from google.genai import types

    client = genai_client(ctx)
    thinking = _thinking_config(claim)
    config = types.GenerateContentConfig(max_output_tokens=ROOMY, thinking_config=types.ThinkingConfig(**thinking))
    call = perform(
        ctx, "thinking", lambda: client.models.generate_content(model=ctx.model, contents=prompts.THINK, config=config)
    )
    return Observation([call], values={"thinking_config": thinking})


@probe("gemini.count_tokens")
def count_tokens(ctx: ProbeContext, claim: object) -> Observation:
    client = genai_client(ctx)
    return Observation(
        [perform(ctx, "count_tokens", lambda: client.models.count_tokens(model=ctx.model, contents=prompts.BASIC))]
    )


@probe("gemini.embed_one")
def embed_one(ctx: ProbeContext, claim: object) -> Observation:
    """embedContent, sent as the reference shows it (google-genai only ever calls batchEmbedContents here)."""
    body = {"content": {"parts": [{"text": EMBED_TEXTS[0]}]}}
    headers = {"x-goog-api-key": ctx.api_key.reveal(), "content-type": "application/json"}
    call = raw_request(ctx, "POST", _url(ctx, EMBED_MODEL, "embedContent"), headers=headers, json_body=body)
    call.label = "embedContent"
    return Observation([call], values={"model": EMBED_MODEL, "inputs": 1})


@probe("gemini.embed_batch")
def embed_batch(ctx: ProbeContext, claim: object) -> Observation:
    client = genai_client(ctx)
    call = perform(ctx, "embed_content", lambda: client.models.embed_content(model=EMBED_MODEL, contents=EMBED_TEXTS))
    return Observation([call], values={"model": EMBED_MODEL, "inputs": len(EMBED_TEXTS)})


@probe("gemini.models_list")
def models_list(ctx: ProbeContext, claim: object) -> Observation:
    from google.genai import types

    client = genai_client(ctx)
    call = perform(ctx, "models.list", lambda: client.models.list(config=types.ListModelsConfig(page_size=50)).page)
    return Observation([call])


@probe("gemini.models_get")
def models_get(ctx: ProbeContext, claim: object) -> Observation:
    client = genai_client(ctx)
    return Observation(
        [perform(ctx, "models.get", lambda: client.models.get(model=ctx.model))], values={"model": ctx.model}
    )


@probe("gemini.without_contents")
def without_contents(ctx: ProbeContext, claim: object) -> Observation:
    """The same raw generateContent request without and with ``contents``."""
    headers = {"x-goog-api-key": ctx.api_key.reveal(), "content-type": "application/json"}
    config = {"generationConfig": {"maxOutputTokens": SMALL}}
    url = _url(ctx, ctx.model, "generateContent")
    first = raw_request(ctx, "POST", url, headers=headers, json_body=config)
    first.label = "without"
    second = raw_request(
        ctx, "POST", url, headers=headers, json_body={"contents": [{"parts": [{"text": prompts.BASIC}]}], **config}
    )
    second.label = "with"
    return Observation([first, second], values={"omitted": "contents"})


def _send_bytes(ctx: ProbeContext, label: str, url: str, headers: dict[str, str], content: bytes) -> Call:
    def send() -> Any:
        with ctx.recorder.client(ctx.timeout) as client:
            return client.request("POST", url, headers=headers, content=content)

    return perform(ctx, label, send)


@probe("gemini.malformed_body")
def malformed_body(ctx: ProbeContext, claim: object) -> Observation:
    """A generateContent body that is not JSON: the troubleshooting table's "request body is malformed"."""
    headers = {"x-goog-api-key": ctx.api_key.reveal(), "content-type": "application/json"}
    call = _send_bytes(ctx, "malformed", _url(ctx, ctx.model, "generateContent"), headers, b'{"contents": [')
    return Observation([call], values={"body": '{"contents": ['})


@probe("gemini.no_key")
def no_key(ctx: ProbeContext, claim: object) -> Observation:
    """A well-formed generateContent request with no key at all."""
    body = {"contents": [{"parts": [{"text": prompts.BASIC}]}], "generationConfig": {"maxOutputTokens": SMALL}}
    url = _url(ctx, ctx.model, "generateContent")
    call = raw_request(ctx, "POST", url, headers={"content-type": "application/json"}, json_body=body)
    call.label = "no-key"
    return Observation([call], values={"omitted": "x-goog-api-key"})


@probe("gemini.without_key")
def without_key(ctx: ProbeContext, claim: object) -> Observation:
    """The same raw generateContent request without and with the x-goog-api-key header."""
    url = _url(ctx, ctx.model, "generateContent")
    body = {"contents": [{"parts": [{"text": prompts.BASIC}]}], "generationConfig": {"maxOutputTokens": SMALL}}
    headers = {"x-goog-api-key": ctx.api_key.reveal(), "content-type": "application/json"}
    first = raw_request(ctx, "POST", url, headers={"content-type": "application/json"}, json_body=body)
    first.label = "without"
    second = raw_request(ctx, "POST", url, headers=headers, json_body=body)
    second.label = "with"
    return Observation([first, second], values={"omitted": "x-goog-api-key"})


@probe("gemini.wrong_key")
def wrong_key(ctx: ProbeContext, claim: object) -> Observation:
    bad = ctx.with_key("invalid-key-for-conformance")
    return basic(bad, claim)


@probe("gemini.unknown_model")
def unknown_model(ctx: ProbeContext, claim: object) -> Observation:
    client = genai_client(ctx)
    call = perform(
        ctx,
        "unknown-model",
        lambda: client.models.generate_content(model="no-such-model-conformance", contents=prompts.BASIC),
    )
    return Observation([call])
