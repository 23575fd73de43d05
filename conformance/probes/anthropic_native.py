"""Probes through the ``anthropic`` SDK against the native Messages API."""

from __future__ import annotations

from typing import Any

from conformance.probes import prompts
from conformance.probes.base import Observation, ProbeContext
from conformance.probes.clients import anthropic_async_client, anthropic_client, perform, perform_async, raw_request
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
    bad = ProbeContext(
        ctx.provider, ctx.base_url, "invalid-key-for-conformance", ctx.model, ctx.timeout, ctx.recorder, ctx.secrets
    )
    return _message(bad, "wrong-key")


def unknown_model(ctx: ProbeContext, claim: Claim) -> Observation:
    return _message(ctx, "unknown-model", model="no-such-model-conformance")


def without_header(ctx: ProbeContext, claim: Claim) -> Observation:
    """The same raw request with and without one required header."""
    headers = {"x-api-key": ctx.api_key, "anthropic-version": VERSION, "content-type": "application/json"}
    body = {"model": ctx.model, "max_tokens": SMALL, "messages": [{"role": "user", "content": prompts.BASIC}]}
    url = ctx.base_url.rstrip("/") + "/v1/messages"
    name = claim.field.lower()
    without = {k: v for k, v in headers.items() if k != name}
    first = raw_request(ctx, "POST", url, headers=without, json_body=None if name == "content-type" else body)
    if name == "content-type":
        # httpx would add its own content-type for json=; send raw bytes instead.
        first = raw_request(ctx, "POST", url, headers=without, json_body=body)
    first.label = "without"
    second = raw_request(ctx, "POST", url, headers=headers, json_body=body)
    second.label = "with"
    return Observation([first, second], values={"omitted": name})
