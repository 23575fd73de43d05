"""Probes through the ``openai`` SDK: OpenAI itself and every OpenAI-compatible layer or server."""

from __future__ import annotations

import base64
from typing import Any

from conformance.probes import prompts
from conformance.probes.base import Call, Observation, ProbeContext
from conformance.probes.clients import openai_async_client, openai_client, perform, perform_async
from conformance.spec.model import Claim
from conformance.values import FIXTURES, fixture_json, value_for

SMALL = 16


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


def basic(ctx: ProbeContext, claim: Claim) -> Observation:
    """A plain tiny chat completion: for response fields, usage, headers and the endpoint."""
    return Observation([_chat(ctx, "basic")])


async def basic_async(ctx: ProbeContext, claim: Claim) -> Observation:
    client = openai_async_client(ctx)
    kwargs: Any = {"model": ctx.model, "messages": _messages(), "max_tokens": SMALL}
    return Observation([await perform_async(ctx, "basic-async", lambda: client.chat.completions.create(**kwargs))])


def stream(ctx: ProbeContext, claim: Claim) -> Observation:
    """A streamed completion with usage requested."""
    return Observation([_chat(ctx, "stream", stream=True, stream_options={"include_usage": True})])


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


def with_field(ctx: ProbeContext, claim: Claim) -> Observation:
    """Send the claimed field with a drawn value (also the over-cap / not-allowed value)."""
    name = claim.field
    value = value_for(claim, name)
    extra: dict[str, Any] = {name: value}
    if name == "top_logprobs":
        extra["logprobs"] = True
    if name == "response_format":
        extra["messages"] = _messages(prompts.JSON_EVENT)
    obs = Observation(values={name: value})
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


def max_tokens(ctx: ProbeContext, claim: Claim) -> Observation:
    """max_tokens / max_completion_tokens = N on a long answer: output stops at N tokens."""
    limit = value_for(claim, claim.field)
    call = _chat(ctx, "limited", messages=_messages(prompts.COUNT), **{claim.field: limit})
    return Observation([call], values={claim.field: limit})


def stop(ctx: ProbeContext, claim: Claim) -> Observation:
    """stop=["7"] while counting to 20: the answer ends before 7."""
    call = _chat(ctx, "stop", messages=_messages(prompts.COUNT), stop=[prompts.COUNT_STOP], max_tokens=64)
    return Observation([call], values={"stop": [prompts.COUNT_STOP]})


def _tools() -> list[dict[str, Any]]:
    return [fixture_json("tools/get_weather.json"), fixture_json("tools/get_time.json")]


def tools(ctx: ProbeContext, claim: Claim) -> Observation:
    """Two tools and a question that needs both: tool_calls come back."""
    tool_list = _tools()
    if claim.field.endswith("strict"):
        for tool in tool_list:
            tool["function"]["strict"] = True
    call = _chat(ctx, "tools", messages=_messages(prompts.TOOLS), tools=tool_list, tool_choice="auto", max_tokens=200)
    return Observation([call], values={"tools": [t["function"]["name"] for t in tool_list]})


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


def system_hoisting(ctx: ProbeContext, claim: Claim) -> Observation:
    """A system message after the user's: if hoisted, the model knows the secret word."""
    messages = [
        {"role": "user", "content": prompts.SECRET_QUESTION},
        {"role": "system", "content": prompts.SECRET_SYSTEM},
    ]
    return Observation([_chat(ctx, "hoisting", messages=messages)])


def image_input(ctx: ProbeContext, claim: Claim) -> Observation:
    data = base64.b64encode((FIXTURES / "red-dot.png").read_bytes()).decode()
    content = [
        {"type": "text", "text": prompts.IMAGE},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{data}"}},
    ]
    return Observation([_chat(ctx, "image", messages=[{"role": "user", "content": content}])])


def audio_input(ctx: ProbeContext, claim: Claim) -> Observation:
    data = base64.b64encode((FIXTURES / "beep.wav").read_bytes()).decode()
    content = [
        {"type": "text", "text": prompts.AUDIO},
        {"type": "input_audio", "input_audio": {"data": data, "format": "wav"}},
    ]
    return Observation([_chat(ctx, "audio", messages=[{"role": "user", "content": content}])])


def thinking(ctx: ProbeContext, claim: Claim) -> Observation:
    """Extended thinking through extra_body (Anthropic's documented form)."""
    body = {"thinking": {"type": "enabled", "budget_tokens": 1024}}
    call = _chat(ctx, "thinking", messages=_messages(prompts.THINK), max_tokens=2048, extra_body=body)
    return Observation([call], values={"extra_body": body})


def reasoning_effort_mapping(ctx: ProbeContext, claim: Claim) -> Observation:
    """Each documented reasoning_effort input is accepted."""
    obs = Observation()
    for row in claim.params.get("mapping", []):
        effort = str(row["from"])
        obs.calls.append(
            _chat(ctx, f"effort={effort}", messages=_messages(prompts.THINK), reasoning_effort=effort, max_tokens=64)
        )
    return obs


def exclusive(ctx: ProbeContext, claim: Claim) -> Observation:
    """reasoning_effort together with extra_body google.thinking_config: rejected."""
    body = {"google": {"thinking_config": {"thinking_budget": 1024}}}
    call = _chat(ctx, "both", reasoning_effort="low", extra_body={"extra_body": body}, max_tokens=64)
    return Observation([call], values={"reasoning_effort": "low", "extra_body": {"extra_body": body}})


def wrong_key(ctx: ProbeContext, claim: Claim) -> Observation:
    bad = ProbeContext(
        ctx.provider, ctx.base_url, "invalid-key-for-conformance", ctx.model, ctx.timeout, ctx.recorder, ctx.secrets
    )
    return Observation([_chat(bad, "wrong-key")])


def unknown_model(ctx: ProbeContext, claim: Claim) -> Observation:
    return Observation([_chat(ctx, "unknown-model", model="no-such-model-conformance")])


def invalid_parameter(ctx: ProbeContext, claim: Claim) -> Observation:
    return Observation([_chat(ctx, "invalid-parameter", max_tokens=-1)])


def models_list(ctx: ProbeContext, claim: Claim) -> Observation:
    client = openai_client(ctx)
    return Observation([perform(ctx, "models.list", lambda: client.models.list())])


def models_retrieve(ctx: ProbeContext, claim: Claim) -> Observation:
    client = openai_client(ctx)
    return Observation([perform(ctx, "models.retrieve", lambda: client.models.retrieve(ctx.model))])


def embeddings(ctx: ProbeContext, claim: Claim) -> Observation:
    client = openai_client(ctx)
    model = str(
        claim.params.get("model", "gemini-embedding-001" if "gemini" in ctx.provider.id else "text-embedding-3-small")
    )
    return Observation([perform(ctx, "embeddings", lambda: client.embeddings.create(model=model, input=prompts.EMBED))])
