"""Probes through the ``openai`` SDK: OpenAI itself and every OpenAI-compatible layer or server."""

from __future__ import annotations

import base64
import copy
import dataclasses
from typing import Any
from urllib.parse import urlsplit

from conformance.checks import prompts
from conformance.data import fixture_bytes, fixture_json
from conformance.exchange.model import Call, Observation
from conformance.providers.base import ProbeContext
from conformance.providers.clients import openai_async_client, openai_client, perform, perform_async, raw_request
from conformance.providers.openai.values import cacheable_minimum, over_limit_value, under_limit_value, value_for
from conformance.providers.registry import probe
from conformance.spec.model import Claim

SMALL = 16
INVALID_ENUM_VALUE = "conformance-invalid-value"
"""A value outside any documented enum, for the negative control of an enum field."""


_TOOL_CALL = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
ROLE_CONVERSATIONS: dict[str, list[dict[str, Any]]] = {
    "developer": [{"role": "developer", "content": "Answer briefly."}, {"role": "user", "content": prompts.BASIC}],
    "system": [{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": prompts.BASIC}],
    "user": [{"role": "user", "content": prompts.BASIC}],
    "assistant": [
        {"role": "user", "content": "Say hello."},
        {"role": "assistant", "content": "Hello."},
        {"role": "user", "content": prompts.BASIC},
    ],
    "tool": [
        {"role": "user", "content": "What is the weather in Paris?"},
        {"role": "assistant", "content": None, "tool_calls": [_TOOL_CALL]},
        {"role": "tool", "tool_call_id": "call_1", "content": '{"forecast": "sunny"}'},
    ],
}
"""The smallest conversation that uses each message role (the tool role needs the assistant's tool call first)."""


def _messages(text: str = prompts.BASIC) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


def _chat(ctx: ProbeContext, label: str, **kwargs: Any) -> Call:
    client = openai_client(ctx)
    kwargs.setdefault("model", ctx.model)
    kwargs.setdefault("messages", _messages())
    if "max_completion_tokens" not in kwargs:
        kwargs.setdefault("max_tokens", SMALL)
    if kwargs.get("stream"):
        return perform(ctx, label, lambda: list(client.chat.completions.create(**kwargs)))
    return perform(ctx, label, lambda: client.chat.completions.create(**kwargs))


@probe("openai.basic")
def basic(ctx: ProbeContext, claim: Claim) -> Observation:
    """A plain tiny chat completion: for response fields, usage, headers and the endpoint. A response field the
    reference documents only when a request field is sent (``params.when_sent``) gets that field sent."""
    sent = claim.params.get("when_sent")
    fields = dict(sent) if isinstance(sent, dict) else {}
    return Observation([_chat(ctx, "basic", **_split_extra(fields))], values=fields)


@probe("openai.basic_and_error")
def basic_and_error(ctx: ProbeContext, claim: Claim) -> Observation:
    """A plain completion, then a request for an unknown model: for headers documented on every response."""
    return Observation([_chat(ctx, "basic"), _chat(ctx, "unknown-model", model="no-such-model-conformance")])


@probe("openai.no_credentials")
def no_credentials(ctx: ProbeContext, claim: Claim) -> Observation:
    """A plain completion with the key, then the same raw request with no credentials at all (the negative
    control of a documented authorization header: 401 in the documented shape)."""
    calls = [_chat(ctx, "basic"), _raw_chat(ctx, "no-credentials", _raw_body(ctx, claim), omit_header="authorization")]
    return Observation(calls, values={"omitted": "authorization"})


@probe("openai.stream_at")
def stream_at(ctx: ProbeContext, claim: Claim) -> Observation:
    """A streamed completion at the claim's own endpoint path."""
    return stream(_at_endpoint(ctx, claim), claim)


@probe("openai.basic_async")
async def basic_async(ctx: ProbeContext, claim: Claim) -> Observation:
    client = openai_async_client(ctx)
    kwargs: Any = {"model": ctx.model, "messages": _messages(), "max_tokens": SMALL}
    return Observation([await perform_async(ctx, "basic-async", lambda: client.chat.completions.create(**kwargs))])


@probe("openai.stream")
def stream(ctx: ProbeContext, claim: Claim) -> Observation:
    """A streamed completion with usage requested."""
    return Observation([_chat(ctx, "stream", stream=True, stream_options={"include_usage": True})])


@probe("openai.stream_async")
async def stream_async(ctx: ProbeContext, claim: Claim) -> Observation:
    client = openai_async_client(ctx)
    kwargs: Any = {
        "model": ctx.model,
        "messages": _messages(),
        "max_tokens": SMALL,
        "stream": True,
        "stream_options": {"include_usage": True},
    }

    async def consume() -> list[Any]:
        chunks = await client.chat.completions.create(**kwargs)
        return [chunk async for chunk in chunks]

    return Observation([await perform_async(ctx, "stream-async", consume)])


@probe("openai.with_field")
def with_field(ctx: ProbeContext, claim: Claim) -> Observation:
    """Send the claimed field with a drawn value (also the over-cap / not-allowed value)."""
    name = claim.field
    value = value_for(claim, name)
    extra: dict[str, Any] = {name: value}
    if name == "top_logprobs":
        extra["logprobs"] = True
    if name == "response_format":
        extra["messages"] = _messages(prompts.JSON_EVENT)
    if name == "reasoning_effort":
        extra["max_completion_tokens"] = 4 * SMALL  # reasoning models refuse max_tokens
    obs = Observation(values={name: value})
    if claim.status.value == "limited":
        over = over_limit_value(claim)
        obs.values = {name: over, f"{name} (within the limit)": value}
        obs.calls.append(_chat(ctx, "over-limit", **_split_extra({**extra, name: over})))
        if "min" in claim.params:
            under = under_limit_value(claim)
            obs.values[f"{name} (under the limit)"] = under
            obs.calls.append(_chat(ctx, "under-limit", **_split_extra({**extra, name: under})))
        obs.calls.append(_chat(ctx, "within-limit", **_split_extra(extra)))
        return obs
    obs.calls.append(_chat(ctx, "with-field", **_split_extra(extra)))
    if claim.status.value == "must_equal":
        obs.calls.append(_chat(ctx, "documented-value", **_split_extra({name: claim.params["value"]})))
    return obs


def _split_extra(fields: dict[str, Any]) -> dict[str, Any]:
    """Pass fields the SDK does not know through ``extra_body``, unchanged on the wire."""
    known = {
        "model", "messages", "max_tokens", "max_completion_tokens", "stream", "stream_options", "top_p",
        "parallel_tool_calls", "stop", "temperature", "n", "logprobs", "metadata", "response_format",
        "prediction", "presence_penalty", "frequency_penalty", "seed", "service_tier", "audio", "logit_bias",
        "store", "user", "modalities", "top_logprobs", "reasoning_effort", "tools", "tool_choice",
    }  # fmt: skip
    kwargs = {k: v for k, v in fields.items() if k in known}
    extra = {k: v for k, v in fields.items() if k not in known}
    if extra:
        kwargs["extra_body"] = extra
    return kwargs


@probe("openai.max_tokens")
def max_tokens(ctx: ProbeContext, claim: Claim) -> Observation:
    """max_tokens / max_completion_tokens = N on a long answer: output stops at N tokens."""
    limit = value_for(claim, claim.field)
    call = _chat(ctx, "limited", messages=_messages(prompts.COUNT), **{claim.field: limit})
    return Observation([call], values={claim.field: limit})


@probe("openai.stop")
def stop(ctx: ProbeContext, claim: Claim) -> Observation:
    """stop=["7"] while counting to 20: the answer ends before 7."""
    call = _chat(ctx, "stop", messages=_messages(prompts.COUNT), stop=[prompts.COUNT_STOP], max_tokens=64)
    return Observation([call], values={"stop": [prompts.COUNT_STOP]})


def _tools() -> list[dict[str, Any]]:
    return [fixture_json("tools/get_weather.json"), fixture_json("tools/get_time.json")]


@probe("openai.tools")
def tools(ctx: ProbeContext, claim: Claim) -> Observation:
    """Two tools and a question that needs both: tool_calls come back."""
    tool_list = _tools()
    if claim.field.endswith("strict"):
        for tool in tool_list:
            tool["function"]["strict"] = True
    call = _chat(ctx, "tools", messages=_messages(prompts.TOOLS), tools=tool_list, tool_choice="auto", max_tokens=200)
    return Observation([call], values={"tools": [t["function"]["name"] for t in tool_list]})


def _raw_chat(ctx: ProbeContext, label: str, body: dict[str, Any], omit_header: str = "") -> Call:
    headers = {"authorization": f"Bearer {ctx.api_key.reveal()}", "content-type": "application/json"}
    headers = {k: v for k, v in headers.items() if k != omit_header.lower()}
    call = raw_request(ctx, "POST", ctx.base_url.rstrip("/") + "/chat/completions", headers=headers, json_body=body)
    call.label = label
    return call


def _raw_body(ctx: ProbeContext, claim: Claim) -> dict[str, Any]:
    body: dict[str, Any] = {"model": ctx.model, "messages": _messages(), "max_tokens": SMALL}
    if claim.field.startswith("tools"):
        body.update(messages=_messages(prompts.TOOLS), tools=_tools(), max_tokens=200)
    return body


@probe("openai.without_field")
def without_field(ctx: ProbeContext, claim: Claim) -> Observation:
    """The same raw request without and with a required body field (``model``, ``tools[].function.name``)."""
    complete = _raw_body(ctx, claim)
    lacking = copy.deepcopy(complete)
    *parents, last = claim.field.split(".")
    holders: list[Any] = [lacking]
    for part in parents:
        key = part.removesuffix("[]")
        holders = [h.get(key) for h in holders if isinstance(h, dict)]
        if part.endswith("[]"):
            holders = [item for h in holders if isinstance(h, list) for item in h]
    for holder in holders:
        if isinstance(holder, dict):
            holder.pop(last, None)
    calls = [_raw_chat(ctx, "without", lacking), _raw_chat(ctx, "with", complete)]
    return Observation(calls, values={"omitted": claim.field})


@probe("openai.invalid_enum")
def invalid_enum(ctx: ProbeContext, claim: Claim) -> Observation:
    """The negative control of an enum field: a value outside the documented enum."""
    fields: dict[str, Any] = {claim.field: INVALID_ENUM_VALUE}
    if claim.field == "reasoning_effort":
        fields["max_completion_tokens"] = 4 * SMALL  # reasoning models refuse max_tokens
    return Observation([_chat(ctx, "invalid-enum", **_split_extra(fields))], values={claim.field: INVALID_ENUM_VALUE})


@probe("openai.empty_list")
def empty_list(ctx: ProbeContext, claim: Claim) -> Observation:
    """The negative control of a list field with a documented minimum length (``messages``): an empty list."""
    body = {**_raw_body(ctx, claim), claim.field: []}
    return Observation([_raw_chat(ctx, "empty", body)], values={claim.field: []})


@probe("openai.without_header")
def without_header(ctx: ProbeContext, claim: Claim) -> Observation:
    """The same raw request without and with a required request header (``Authorization``)."""
    body = _raw_body(ctx, claim)
    calls = [_raw_chat(ctx, "without", body, omit_header=claim.field), _raw_chat(ctx, "with", body)]
    return Observation(calls, values={"omitted": claim.field})


@probe("openai.google_thinking")
def google_thinking(ctx: ProbeContext, claim: Claim) -> Observation:
    """Gemini's thinking_config through extra_body, nested as the doc's Python example sends it."""
    documented = claim.params.get("value") if claim.field.endswith("thinking_budget") else None
    thinking: dict[str, Any] = {"thinking_budget": 512 if documented is None else documented}
    if claim.field.endswith("include_thoughts") or claim.field.endswith("thinking_config"):
        thinking["include_thoughts"] = True
    body = {"extra_body": {"google": {"thinking_config": thinking}}}
    call = _chat(ctx, "thinking-config", messages=_messages(prompts.THINK), max_tokens=1024, extra_body=body)
    return Observation([call], values={"extra_body": body})


@probe("openai.reasoning_off")
def reasoning_off(ctx: ProbeContext, claim: Claim) -> Observation:
    """reasoning_effort "none": thinking off."""
    call = _chat(ctx, "effort=none", messages=_messages(prompts.THINK), reasoning_effort="none", max_tokens=64)
    return Observation([call], values={"reasoning_effort": "none"})


@probe("openai.message_role")
def message_role(ctx: ProbeContext, claim: Claim) -> Observation:
    """A conversation that uses one message role (the claim's ``params.value``, or system)."""
    role = str(claim.params.get("value") or claim.id.rsplit(".", 1)[-1])
    role = role if role in ROLE_CONVERSATIONS else "system"
    messages = ROLE_CONVERSATIONS[role]
    extra: dict[str, Any] = {"tools": _tools()} if role == "tool" else {}
    return Observation([_chat(ctx, f"role={role}", messages=copy.deepcopy(messages), **extra)], values={"role": role})


def _at_endpoint(ctx: ProbeContext, claim: Claim) -> ProbeContext:
    """The context with its base URL moved to the claim's endpoint path on the same server.

    ``POST /v1beta/chat/completions`` on a run whose base URL is ``http://host/v1beta/openai/`` gives
    ``http://host/v1beta/``; a base URL with its own prefix (a proxy) keeps that prefix.
    """
    path = claim.field.split(" ", 1)[-1]
    documented = urlsplit(ctx.provider.base_url).path
    base = ctx.base_url.rstrip("/") + "/"
    prefix = base[: -len(documented)] if documented and base.endswith(documented) else base.rstrip("/")
    return dataclasses.replace(ctx, base_url=prefix + path.removesuffix("chat/completions"))


@probe("openai.chat_at")
def chat_at(ctx: ProbeContext, claim: Claim) -> Observation:
    """A chat completion at the claim's own endpoint path, on the same server."""
    return basic(_at_endpoint(ctx, claim), claim)


@probe("openai.chat_at_async")
async def chat_at_async(ctx: ProbeContext, claim: Claim) -> Observation:
    return await basic_async(_at_endpoint(ctx, claim), claim)


RESPONSE_FORMATS: dict[str, dict[str, Any]] = {
    "text": {"type": "text"},
    "json_object": {"type": "json_object"},
}


@probe("openai.response_format")
def response_format(ctx: ProbeContext, claim: Claim) -> Observation:
    """One documented response_format (named by the claim id's last part), with a prompt that mentions JSON."""
    kind = claim.id.rsplit(".", 1)[-1]
    value = RESPONSE_FORMATS.get(kind) or {
        "type": "json_schema",
        "json_schema": fixture_json("schemas/calendar_event.json"),
    }
    call = _chat(ctx, f"response_format={value['type']}", messages=_messages(prompts.JSON_EVENT), response_format=value)
    return Observation([call], values={"response_format": value})


@probe("openai.text_parts")
def text_parts(ctx: ProbeContext, claim: Claim) -> Observation:
    """The user's message as an array of content parts of type text."""
    content = [{"type": "text", "text": prompts.BASIC}]
    return Observation([_chat(ctx, "text-parts", messages=[{"role": "user", "content": content}])])


OPENAI_MODEL_NAME = "gpt-4o"


@probe("openai.foreign_model")
def foreign_model(ctx: ProbeContext, claim: Claim) -> Observation:
    """An OpenAI model name the layer does not map, then the run's own model (the control)."""
    calls = [_chat(ctx, "foreign-model", model=OPENAI_MODEL_NAME), _chat(ctx, "own-model")]
    return Observation(calls, values={"model": OPENAI_MODEL_NAME})


@probe("openai.logprobs")
def logprobs(ctx: ProbeContext, claim: Claim) -> Observation:
    """logprobs: true, so that choices[].logprobs has something to show."""
    return Observation([_chat(ctx, "logprobs", logprobs=True)], values={"logprobs": True})


@probe("openai.parallel_tool_calls")
def parallel_tool_calls(ctx: ProbeContext, claim: Claim) -> Observation:
    """parallel_tool_calls=false with a question that needs two tools: at most one call."""
    call = _chat(
        ctx,
        "no-parallel",
        messages=_messages(prompts.TOOLS),
        tools=_tools(),
        tool_choice="auto",
        parallel_tool_calls=False,
        max_tokens=200,
    )
    return Observation([call], values={"parallel_tool_calls": False})


@probe("openai.system_hoisting")
def system_hoisting(ctx: ProbeContext, claim: Claim) -> Observation:
    """A system message after the user's: if hoisted, the model knows the secret word."""
    messages = [
        {"role": "user", "content": prompts.SECRET_QUESTION},
        {"role": "system", "content": prompts.SECRET_SYSTEM},
    ]
    return Observation([_chat(ctx, "hoisting", messages=messages)])


@probe("openai.system_developer_join")
def system_developer_join(ctx: ProbeContext, claim: Claim) -> Observation:
    """A system and a developer message, each holding one of two code words: joined, the model knows both."""
    messages = [
        {"role": "system", "content": prompts.CODE_WORD_SYSTEM},
        {"role": "developer", "content": prompts.CODE_WORD_DEVELOPER},
        {"role": "user", "content": prompts.CODE_WORD_QUESTION},
    ]
    call = _chat(ctx, "system+developer", messages=messages)
    return Observation([call], values={"code_words": list(prompts.CODE_WORDS)})


@probe("openai.prompt_caching")
def prompt_caching(ctx: ProbeContext, claim: Claim) -> Observation:
    """The same cacheable prompt twice (the model's documented minimum, marked ``cache_control``): no cache hit.

    The reference text is a system text part marked the way Anthropic's own API caches it; a layer that cached
    prompts would report the second call's prefix in ``usage.prompt_tokens_details.cached_tokens``.
    """
    minimum = cacheable_minimum(ctx.model)
    part = {"type": "text", "text": prompts.cacheable_text(minimum), "cache_control": {"type": "ephemeral"}}
    messages = [{"role": "system", "content": [part]}, {"role": "user", "content": prompts.BASIC}]
    calls = [_chat(ctx, label, messages=copy.deepcopy(messages), max_tokens=4) for label in ("first", "repeat")]
    return Observation(calls, values={"cacheable_minimum_tokens": minimum, "cache_control": {"type": "ephemeral"}})


@probe("openai.reasoning_cannot_be_off")
def reasoning_cannot_be_off(ctx: ProbeContext, claim: Claim) -> Observation:
    """reasoning_effort "none" on a model whose reasoning cannot be turned off (room left for thinking)."""
    call = _chat(ctx, "effort=none", messages=_messages(prompts.THINK), reasoning_effort="none", max_tokens=512)
    return Observation([call], values={"reasoning_effort": "none", "model": ctx.model})


@probe("openai.reasoning_default")
def reasoning_default(ctx: ProbeContext, claim: Claim) -> Observation:
    """No reasoning_effort at all: the model reasons at its own default level or budget."""
    call = _chat(ctx, "no-effort", messages=_messages(prompts.THINK), max_tokens=512)
    return Observation([call], values={"reasoning_effort": None, "model": ctx.model})


def _tool_calls_of(answer: dict[str, Any]) -> list[dict[str, Any]]:
    choices = answer.get("choices") or [{}]
    message = choices[0].get("message") if isinstance(choices[0], dict) else None
    calls = message.get("tool_calls") if isinstance(message, dict) else None
    return [c for c in calls or [] if isinstance(c, dict)]


def _echoed_turn(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """The assistant turn exactly as it came back (tool calls with their ``extra_content``), then each result."""
    message = dict(answer["choices"][0]["message"])
    turn: list[dict[str, Any]] = [{k: v for k, v in message.items() if v is not None}]
    for tool_call in _tool_calls_of(answer):
        turn.append({"role": "tool", "tool_call_id": tool_call.get("id"), "content": '{"result": "sunny, 21:00"}'})
    return turn


@probe("openai.thought_signatures")
def thought_signatures(ctx: ProbeContext, claim: Claim) -> Observation:
    """A tool call (its signature comes back on it), then the next turn echoing it back: accepted."""
    asked = _messages(prompts.TOOLS)
    fields: dict[str, Any] = {"tools": _tools(), "tool_choice": "auto", "reasoning_effort": "low", "max_tokens": 1024}
    first = _chat(ctx, "tool-call", messages=asked, **fields)
    obs = Observation([first], values={"reasoning_effort": "low", "tools": [t["function"]["name"] for t in _tools()]})
    answer = first.response.json if first.ok and first.response is not None else None
    if isinstance(answer, dict) and _tool_calls_of(answer):
        obs.calls.append(_chat(ctx, "echo", messages=asked + _echoed_turn(answer), **fields))
    return obs


@probe("openai.image_input")
def image_input(ctx: ProbeContext, claim: Claim) -> Observation:
    data = base64.b64encode(fixture_bytes("red-dot.png")).decode()
    content = [
        {"type": "text", "text": prompts.IMAGE},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{data}"}},
    ]
    return Observation([_chat(ctx, "image", messages=[{"role": "user", "content": content}])])


@probe("openai.audio_input")
def audio_input(ctx: ProbeContext, claim: Claim) -> Observation:
    data = base64.b64encode(fixture_bytes("beep.wav")).decode()
    content = [
        {"type": "text", "text": prompts.AUDIO},
        {"type": "input_audio", "input_audio": {"data": data, "format": "wav"}},
    ]
    return Observation([_chat(ctx, "audio", messages=[{"role": "user", "content": content}])])


@probe("openai.audio_output")
def audio_output(ctx: ProbeContext, claim: Claim) -> Observation:
    """Ask for spoken output (``modalities: [text, audio]``): where audio comes back, or is documented empty."""
    values: dict[str, Any] = {"modalities": ["text", "audio"], "audio": {"voice": "alloy", "format": "wav"}}
    return Observation([_chat(ctx, "audio-output", **values)], values=values)


@probe("openai.thinking")
def thinking(ctx: ProbeContext, claim: Claim) -> Observation:
    """Extended thinking through extra_body (Anthropic's documented form)."""
    body = {"thinking": {"type": "enabled", "budget_tokens": 1024}}
    call = _chat(ctx, "thinking", messages=_messages(prompts.THINK), max_tokens=2048, extra_body=body)
    return Observation([call], values={"extra_body": body})


@probe("openai.reasoning_effort_mapping")
def reasoning_effort_mapping(ctx: ProbeContext, claim: Claim) -> Observation:
    """Each documented reasoning_effort input (room left to think), then one outside the table (negative control)."""
    obs = Observation()
    efforts = [str(row["from"]) for row in claim.params.get("mapping", [])]
    for effort in efforts:
        obs.calls.append(
            _chat(ctx, f"effort={effort}", messages=_messages(prompts.THINK), reasoning_effort=effort, max_tokens=64)
        )
    if efforts:
        label = f"negative:reasoning_effort={INVALID_ENUM_VALUE}"
        obs.calls.append(_chat(ctx, label, messages=_messages(prompts.THINK), reasoning_effort=INVALID_ENUM_VALUE))
    return obs


@probe("openai.exclusive")
def exclusive(ctx: ProbeContext, claim: Claim) -> Observation:
    """reasoning_effort together with extra_body google.thinking_config: rejected."""
    body = {"google": {"thinking_config": {"thinking_budget": 1024}}}
    call = _chat(ctx, "both", reasoning_effort="low", extra_body={"extra_body": body}, max_tokens=64)
    return Observation([call], values={"reasoning_effort": "low", "extra_body": {"extra_body": body}})


@probe("openai.wrong_key")
def wrong_key(ctx: ProbeContext, claim: Claim) -> Observation:
    bad = ctx.with_key("invalid-key-for-conformance")
    return Observation([_chat(bad, "wrong-key")])


@probe("openai.unknown_model")
def unknown_model(ctx: ProbeContext, claim: Claim) -> Observation:
    return Observation([_chat(ctx, "unknown-model", model="no-such-model-conformance")])


@probe("openai.invalid_parameter")
def invalid_parameter(ctx: ProbeContext, claim: Claim) -> Observation:
    return Observation([_chat(ctx, "invalid-parameter", max_tokens=-1)])


@probe("openai.models_list")
def models_list(ctx: ProbeContext, claim: Claim) -> Observation:
    client = openai_client(ctx)
    return Observation([perform(ctx, "models.list", lambda: client.models.list())])


@probe("openai.models_retrieve")
def models_retrieve(ctx: ProbeContext, claim: Claim) -> Observation:
    client = openai_client(ctx)
    return Observation([perform(ctx, "models.retrieve", lambda: client.models.retrieve(ctx.model))])


@probe("openai.embeddings")
def embeddings(ctx: ProbeContext, claim: Claim) -> Observation:
    client = openai_client(ctx)
    """One embedding, with the claim's model (``models: [gemini-embedding-001]``) or the provider's usual one."""
    default = "gemini-embedding-001" if "gemini" in ctx.provider.id else "text-embedding-3-small"
    model = ctx.model if claim.models else default
    return Observation([perform(ctx, "embeddings", lambda: client.embeddings.create(model=model, input=prompts.EMBED))])
