"""Probes through the ``anthropic`` SDK against the native Messages API."""

from __future__ import annotations

from typing import Any

from conformance.probes import prompts
from conformance.probes.base import Observation, ProbeContext
from conformance.probes.clients import anthropic_async_client, anthropic_client, perform, perform_async, raw_request
from conformance.probes.oversized import PADDING_MARK, json_over
from conformance.probes.oversized import send as send_padded
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


def basic(ctx: ProbeContext, claim: Claim) -> Observation:
    return _message(ctx, "messages.create")


async def basic_async(ctx: ProbeContext, claim: Claim) -> Observation:
    client = anthropic_async_client(ctx)
    messages: Any = [{"role": "user", "content": prompts.BASIC}]
    call = await perform_async(
        ctx,
        "messages.create-async",
        lambda: client.messages.create(model=ctx.model, max_tokens=SMALL, messages=messages),
    )
    return Observation([call])


def stream(ctx: ProbeContext, claim: Claim) -> Observation:
    return _message(ctx, "messages.stream", stream=True)


def max_tokens(ctx: ProbeContext, claim: Claim) -> Observation:
    """A long answer asked for with a tiny max_tokens: it must stop there."""
    obs = _message(ctx, "max_tokens", max_tokens=4, messages=[{"role": "user", "content": prompts.COUNT}])
    obs.values["max_tokens"] = 4
    return obs


def prompt_caching(ctx: ProbeContext, claim: Claim) -> Observation:
    """A system block marked ``cache_control: ephemeral`` (too short to be cached; the marker must be accepted)."""
    system_blocks: Any = [{"type": "text", "text": prompts.SECRET_SYSTEM, "cache_control": {"type": "ephemeral"}}]
    obs = _message(ctx, "cache_control", system=system_blocks)
    obs.values["cache_control"] = {"type": "ephemeral"}
    return obs


def oversized(ctx: ProbeContext, claim: Claim) -> Observation:
    """A Messages request just over the documented body limit (``params.max`` bytes, 32 MB by default), streamed."""
    limit = int(claim.params.get("max", 32 * 1024 * 1024))
    template = {"model": ctx.model, "max_tokens": SMALL, "messages": [{"role": "user", "content": PADDING_MARK}]}
    body = json_over(limit, template)
    call = send_padded(ctx, "oversized", ctx.base_url.rstrip("/") + "/v1/messages", native_headers(ctx), body)
    return Observation([call], values={"body_bytes": body.size})


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


def system(ctx: ProbeContext, claim: Claim) -> Observation:
    return _message(
        ctx, "system", system=prompts.SECRET_SYSTEM, messages=[{"role": "user", "content": prompts.SECRET_QUESTION}]
    )


def thinking(ctx: ProbeContext, claim: Claim) -> Observation:
    return _message(
        ctx,
        "thinking",
        max_tokens=2048,
        thinking={"type": "enabled", "budget_tokens": 1024},
        messages=[{"role": "user", "content": prompts.THINK}],
    )


def count_tokens(ctx: ProbeContext, claim: Claim) -> Observation:
    client = anthropic_client(ctx)
    messages: Any = [{"role": "user", "content": prompts.BASIC}]
    return Observation(
        [perform(ctx, "count_tokens", lambda: client.messages.count_tokens(model=ctx.model, messages=messages))]
    )


def models_list(ctx: ProbeContext, claim: Claim) -> Observation:
    client = anthropic_client(ctx)
    return Observation([perform(ctx, "models.list", lambda: client.models.list())])


def wrong_key(ctx: ProbeContext, claim: Claim) -> Observation:
    bad = ctx.with_key("invalid-key-for-conformance")
    return _message(bad, "wrong-key")


def unknown_model(ctx: ProbeContext, claim: Claim) -> Observation:
    return _message(ctx, "unknown-model", model="no-such-model-conformance")


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
