"""Probes through the ``anthropic`` SDK against the native Messages API."""

from __future__ import annotations

import base64
from typing import Any

from conformance.checks import prompts
from conformance.data import fixture_bytes, fixture_json
from conformance.exchange.model import Observation
from conformance.providers.base import ProbeContext
from conformance.providers.clients import anthropic_async_client, anthropic_client, perform, perform_async, raw_request
from conformance.providers.oversized import PADDING_MARK, json_over
from conformance.providers.oversized import send as send_padded
from conformance.providers.registry import probe
from conformance.spec.model import Claim

SMALL = 16
VERSION = "2023-06-01"


def _message(ctx: ProbeContext, label: str, **kwargs: Any) -> Observation:
    client = anthropic_client(ctx)
    kwargs.setdefault("model", ctx.model)
    kwargs.setdefault("max_tokens", SMALL)
    kwargs.setdefault("messages", [{"role": "user", "content": prompts.BASIC}])
    if kwargs.get("stream"):
        return Observation([perform(ctx, label, lambda: list(client.messages.create(**kwargs)))])
    return Observation([perform(ctx, label, lambda: client.messages.create(**kwargs))])


@probe("anthropic.basic")
def basic(ctx: ProbeContext, claim: Claim) -> Observation:
    return _message(ctx, "messages.create")


@probe("anthropic.basic_async")
async def basic_async(ctx: ProbeContext, claim: Claim) -> Observation:
    client = anthropic_async_client(ctx)
    messages: Any = [{"role": "user", "content": prompts.BASIC}]
    call = await perform_async(
        ctx,
        "messages.create-async",
        lambda: client.messages.create(model=ctx.model, max_tokens=SMALL, messages=messages),
    )
    return Observation([call])


@probe("anthropic.stream")
def stream(ctx: ProbeContext, claim: Claim) -> Observation:
    return _message(ctx, "messages.stream", stream=True)


@probe("anthropic.max_tokens")
def max_tokens(ctx: ProbeContext, claim: Claim) -> Observation:
    """A long answer asked for with a tiny max_tokens: it must stop there."""
    obs = _message(ctx, "max_tokens", max_tokens=4, messages=[{"role": "user", "content": prompts.COUNT}])
    obs.values["max_tokens"] = 4
    return obs


@probe("anthropic.prompt_caching")
def prompt_caching(ctx: ProbeContext, claim: Claim) -> Observation:
    """A system block marked ``cache_control: ephemeral`` (too short to be cached; the marker must be accepted)."""
    system_blocks: Any = [{"type": "text", "text": prompts.SECRET_SYSTEM, "cache_control": {"type": "ephemeral"}}]
    obs = _message(ctx, "cache_control", system=system_blocks)
    obs.values["cache_control"] = {"type": "ephemeral"}
    return obs


@probe("anthropic.oversized")
def oversized(ctx: ProbeContext, claim: Claim) -> Observation:
    """A Messages request just over the documented body limit (``params.max`` bytes, 32 MB by default), streamed."""
    limit = int(claim.params.get("max", 32 * 1024 * 1024))
    template = {"model": ctx.model, "max_tokens": SMALL, "messages": [{"role": "user", "content": PADDING_MARK}]}
    body = json_over(limit, template)
    call = send_padded(ctx, "oversized", ctx.base_url.rstrip("/") + "/v1/messages", native_headers(ctx), body)
    return Observation([call], values={"body_bytes": body.size})


@probe("anthropic.oversized_count_tokens")
def oversized_count_tokens(ctx: ProbeContext, claim: Claim) -> Observation:
    """A count_tokens request just over the same documented body limit, streamed."""
    limit = int(claim.params.get("max", 32 * 1024 * 1024))
    body = json_over(limit, {"model": ctx.model, "messages": [{"role": "user", "content": PADDING_MARK}]})
    url = ctx.base_url.rstrip("/") + "/v1/messages/count_tokens"
    return Observation(
        [send_padded(ctx, "oversized", url, native_headers(ctx), body)], values={"body_bytes": body.size}
    )


def native_headers(ctx: ProbeContext) -> dict[str, str]:
    """The documented headers of a raw native request (key, version, JSON)."""
    return {"x-api-key": ctx.api_key.reveal(), "anthropic-version": VERSION, "content-type": "application/json"}


@probe("anthropic.system")
def system(ctx: ProbeContext, claim: Claim) -> Observation:
    return _message(
        ctx, "system", system=prompts.SECRET_SYSTEM, messages=[{"role": "user", "content": prompts.SECRET_QUESTION}]
    )


@probe("anthropic.thinking")
def thinking(ctx: ProbeContext, claim: Claim) -> Observation:
    return _message(
        ctx,
        "thinking",
        max_tokens=2048,
        thinking={"type": "enabled", "budget_tokens": 1024},
        messages=[{"role": "user", "content": prompts.THINK}],
    )


@probe("anthropic.count_tokens")
def count_tokens(ctx: ProbeContext, claim: Claim) -> Observation:
    client = anthropic_client(ctx)
    messages: Any = [{"role": "user", "content": prompts.BASIC}]
    return Observation(
        [perform(ctx, "count_tokens", lambda: client.messages.count_tokens(model=ctx.model, messages=messages))]
    )


@probe("anthropic.models_list")
def models_list(ctx: ProbeContext, claim: Claim) -> Observation:
    client = anthropic_client(ctx)
    return Observation([perform(ctx, "models.list", lambda: client.models.list())])


@probe("anthropic.wrong_key")
def wrong_key(ctx: ProbeContext, claim: Claim) -> Observation:
    bad = ctx.with_key("invalid-key-for-conformance")
    return _message(bad, "wrong-key")


@probe("anthropic.unknown_model")
def unknown_model(ctx: ProbeContext, claim: Claim) -> Observation:
    return _message(ctx, "unknown-model", model="no-such-model-conformance")


@probe("anthropic.without_header")
def without_header(ctx: ProbeContext, claim: Claim) -> Observation:
    """The same raw request with and without one required header."""
    headers = {"x-api-key": ctx.api_key.reveal(), "anthropic-version": VERSION, "content-type": "application/json"}
    body = {"model": ctx.model, "max_tokens": SMALL, "messages": [{"role": "user", "content": prompts.BASIC}]}
    url = ctx.base_url.rstrip("/") + "/v1/messages"
    name = claim.field.lower()
    without = {k: v for k, v in headers.items() if k != name}
    first = raw_request(ctx, "POST", url, headers=without, json_body=body)
    first.label = "without"
    second = raw_request(ctx, "POST", url, headers=headers, json_body=body)
    second.label = "with"
    return Observation([first, second], values={"omitted": name})


# --- the Messages API reference: request parameters, content blocks, tools, count_tokens, models ------------------

FIELD_VALUES: dict[str, Any] = {
    "top_p": 0.9,
    "top_k": 5,
    "metadata.user_id": "conformance-probe-user-0001",
    "service_tier": "standard_only",
}
"""The value each request-field probe sends (one fixed, documented-valid value per field)."""
SDK_ARGUMENTS = frozenset({"metadata", "service_tier", "stop_sequences", "system", "thinking", "tools", "tool_choice"})
"""Top-level fields ``messages.create`` takes as arguments; anything else (temperature, top_p, top_k: gone from
anthropic 2.x's signature) goes through ``extra_body``."""
TOOL_QUESTION: Any = [{"role": "user", "content": prompts.TOOLS}]
REQUIRED_BODY_FIELDS = ("model", "max_tokens", "messages")


def _nested(path: str, value: Any) -> dict[str, Any]:
    """``metadata.user_id`` -> ``{"metadata": {"user_id": value}}``."""
    head, _, rest = path.partition(".")
    return {head: _nested(rest, value) if rest else value}


def _split(fields: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments for ``messages.create``: SDK arguments as such, the rest in ``extra_body``."""
    kwargs = {k: v for k, v in fields.items() if k in SDK_ARGUMENTS}
    extra = {k: v for k, v in fields.items() if k not in SDK_ARGUMENTS}
    if extra:
        kwargs["extra_body"] = extra
    return kwargs


def _labelled(obs: Observation, label: str) -> Observation:
    obs.main.label = label
    return obs


@probe("anthropic.with_field")
def with_field(ctx: ProbeContext, claim: Claim) -> Observation:
    """The basic request plus the claim's field at its documented-valid value (FIELD_VALUES)."""
    value = FIELD_VALUES[claim.field]
    obs = _message(ctx, "with-field", **_split(_nested(claim.field, value)))
    obs.values[claim.field] = value
    return obs


@probe("anthropic.out_of_range")
def out_of_range(ctx: ProbeContext, claim: Claim) -> Observation:
    """A value above the documented maximum (negative control: a 400), then one inside the range (accepted)."""
    low, high = float(claim.params.get("min", 0)), float(claim.params["max"])
    over, within = high + 0.5, (low + high) / 2
    first = _labelled(_message(ctx, "over-limit", **_split({claim.field: over})), "over-limit")
    second = _labelled(_message(ctx, "within-limit", **_split({claim.field: within})), "within-limit")
    return Observation([*first.calls, *second.calls], values={claim.field: over, "within": within})


@probe("anthropic.without_field")
def without_field(ctx: ProbeContext, claim: Claim) -> Observation:
    """The same raw request without and with one required body field."""
    body = {"model": ctx.model, "max_tokens": SMALL, "messages": [{"role": "user", "content": prompts.BASIC}]}
    url = ctx.base_url.rstrip("/") + "/v1/messages"
    first = raw_request(ctx, "POST", url, headers=native_headers(ctx), json_body={
        k: v for k, v in body.items() if k != claim.field
    })  # fmt: skip
    first.label = "without"
    second = raw_request(ctx, "POST", url, headers=native_headers(ctx), json_body=body)
    second.label = "with"
    return Observation([first, second], values={"omitted": claim.field})


@probe("anthropic.system_blocks")
def system_blocks(ctx: ProbeContext, claim: Claim) -> Observation:
    """The system prompt as an array of text blocks."""
    blocks: Any = [{"type": "text", "text": prompts.SECRET_SYSTEM}]
    messages: Any = [{"role": "user", "content": prompts.SECRET_QUESTION}]
    return _message(ctx, "system-blocks", system=blocks, messages=messages)


@probe("anthropic.stop_sequences")
def stop_sequences(ctx: ProbeContext, claim: Claim) -> Observation:
    """A count from 1 to 20 with stop_sequences ["7"]: it must stop there and say so."""
    stops = [prompts.COUNT_STOP]
    messages: Any = [{"role": "user", "content": prompts.COUNT}]
    obs = _message(ctx, "stop_sequences", max_tokens=100, stop_sequences=stops, messages=messages)
    obs.values["stop_sequences"] = stops
    return obs


@probe("anthropic.thinking_budgets")
def thinking_budgets(ctx: ProbeContext, claim: Claim) -> Observation:
    """budget_tokens below 1024 and equal to max_tokens (negative controls), then 1024 below max_tokens."""
    minimum = int(claim.params.get("min", 1024))
    messages: Any = [{"role": "user", "content": prompts.THINK}]
    cases = (("below-minimum", minimum - 24, 2 * minimum), ("not-below-max_tokens", 2 * minimum, 2 * minimum))
    calls = []
    for label, budget, limit in (*cases, ("within", minimum, 2 * minimum)):
        thinking: Any = {"type": "enabled", "budget_tokens": budget}
        calls += _labelled(_message(ctx, label, max_tokens=limit, thinking=thinking, messages=messages), label).calls
    return Observation(calls, values={"budget_tokens": minimum - 24, "min": minimum})


@probe("anthropic.text_blocks")
def text_blocks(ctx: ProbeContext, claim: Claim) -> Observation:
    messages: Any = [{"role": "user", "content": [{"type": "text", "text": prompts.BASIC}]}]
    return _message(ctx, "text-blocks", messages=messages)


@probe("anthropic.image")
def image(ctx: ProbeContext, claim: Claim) -> Observation:
    """A red PNG as a base64 image block: the answer names its colour."""
    data = base64.b64encode(fixture_bytes("red-dot.png")).decode()
    content: Any = [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": data}},
        {"type": "text", "text": prompts.IMAGE},
    ]
    obs = _message(ctx, "image", messages=[{"role": "user", "content": content}])
    obs.values["expected"] = "red"
    return obs


def one_page_pdf(text: str) -> bytes:
    """A minimal valid one-page PDF that shows ``text`` (offsets in the xref table computed, not guessed)."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


@probe("anthropic.document")
def document(ctx: ProbeContext, claim: Claim) -> Observation:
    """A one-page PDF holding the secret word, as a document block: the answer gives the word."""
    data = base64.b64encode(one_page_pdf(prompts.SECRET_SYSTEM)).decode()
    content: Any = [
        {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": data}},
        {"type": "text", "text": prompts.SECRET_QUESTION},
    ]
    obs = _message(ctx, "document", max_tokens=SMALL, messages=[{"role": "user", "content": content}])
    obs.values["expected"] = prompts.SECRET_WORD
    return obs


TOOL_USE_ID = "toolu_conformance01"
TOOL_RESULT = "sunny, 21 °C"


@probe("anthropic.tool_turn")
def tool_turn(ctx: ProbeContext, claim: Claim) -> Observation:
    """An assistant tool_use block and the user's tool_result back: the answer uses the result."""
    messages: Any = [
        {"role": "user", "content": "What is the weather in Paris? Use the tool."},
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": TOOL_USE_ID, "name": "get_weather", "input": {"location": "Paris"}}],
        },
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": TOOL_USE_ID, "content": TOOL_RESULT}]},
    ]
    obs = _message(ctx, "tool-result", max_tokens=64, tools=tool_list(), messages=messages)
    obs.values["expected"] = "sunny"
    return obs


@probe("anthropic.system_role")
def system_role(ctx: ProbeContext, claim: Claim) -> Observation:
    """Negative control: a message with role "system" (there is none in the Messages API)."""
    messages: Any = [{"role": "system", "content": prompts.SECRET_SYSTEM}, {"role": "user", "content": prompts.BASIC}]
    obs = _message(ctx, "system-role", messages=messages)
    obs.values[claim.field] = "system"
    return obs


def tool_list() -> list[dict[str, Any]]:
    """The fixtures' two tools (get_weather, get_time) in the Messages API's shape."""
    out = []
    for name in ("get_weather", "get_time"):
        function = fixture_json(f"tools/{name}.json")["function"]
        out.append(
            {"name": function["name"], "description": function["description"], "input_schema": function["parameters"]}
        )
    return out


def _tool_call(ctx: ProbeContext, label: str, choice: dict[str, Any]) -> Observation:
    obs = _message(ctx, label, max_tokens=200, tools=tool_list(), tool_choice=choice, messages=TOOL_QUESTION)
    return _labelled(obs, label)


@probe("anthropic.tools")
def tools(ctx: ProbeContext, claim: Claim) -> Observation:
    """Two tools, tool_choice any, and a question that needs both: tool_use blocks come back."""
    obs = _tool_call(ctx, "tools", {"type": "any"})
    obs.values["tools"] = [t["name"] for t in tool_list()]
    return obs


FORCED_TOOL = "get_time"
TOOL_CHOICES: dict[str, dict[str, Any]] = {
    "auto": {"type": "auto"},
    "any": {"type": "any"},
    "tool": {"type": "tool", "name": FORCED_TOOL},
    "none": {"type": "none"},
}


@probe("anthropic.tool_choices")
def tool_choices(ctx: ProbeContext, claim: Claim) -> Observation:
    """One call per documented tool_choice type, labelled with the type."""
    calls = [call for label, choice in TOOL_CHOICES.items() for call in _tool_call(ctx, label, choice).calls]
    return Observation(calls, values={"tools": [t["name"] for t in tool_list()], "forced": FORCED_TOOL})


@probe("anthropic.one_tool")
def one_tool(ctx: ProbeContext, claim: Claim) -> Observation:
    """tool_choice any with disable_parallel_tool_use, on a question that needs two tools."""
    obs = _tool_call(ctx, "one-tool", {"type": "any", "disable_parallel_tool_use": True})
    obs.values.update(tools=[t["name"] for t in tool_list()], disable_parallel_tool_use=True)
    return obs


@probe("anthropic.count_tokens_pair")
def count_tokens_pair(ctx: ProbeContext, claim: Claim) -> Observation:
    """count_tokens on the same messages without and with a system prompt."""
    client = anthropic_client(ctx)
    messages: Any = [{"role": "user", "content": prompts.SECRET_QUESTION}]
    bare = perform(ctx, "messages-only", lambda: client.messages.count_tokens(model=ctx.model, messages=messages))
    with_system = perform(
        ctx,
        "with-system",
        lambda: client.messages.count_tokens(model=ctx.model, messages=messages, system=prompts.SECRET_SYSTEM),
    )
    return Observation([bare, with_system])


@probe("anthropic.models_retrieve")
def models_retrieve(ctx: ProbeContext, claim: Claim) -> Observation:
    client = anthropic_client(ctx)
    return Observation([perform(ctx, "models.retrieve", lambda: client.models.retrieve(ctx.model))])


WEB_SEARCH: dict[str, Any] = {"type": "web_search_20250305", "name": "web_search", "max_uses": 1}
"""A server tool: its result block comes whole in content_block_start."""


@probe("anthropic.server_tool_stream")
def server_tool_stream(ctx: ProbeContext, claim: Claim) -> Observation:
    """A streamed answer that uses the web search server tool once (one search: a cent at the documented price)."""
    messages: Any = [{"role": "user", "content": "What is the weather in Paris today? Search the web once."}]
    return _message(ctx, "server-tool-stream", stream=True, max_tokens=300, tools=[WEB_SEARCH], messages=messages)


@probe("anthropic.invalid_request")
def invalid_request(ctx: ProbeContext, claim: Claim) -> Observation:
    """An empty messages list: the documented 400 invalid_request_error."""
    return _message(ctx, "invalid-request", messages=[])
