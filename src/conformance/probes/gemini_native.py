"""Probes through ``google-genai`` against the native Gemini API (v1beta)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from conformance.probes import prompts
from conformance.probes.base import Observation, ProbeContext
from conformance.probes.clients import genai_client, perform, perform_async, raw_request
from conformance.spec.model import Claim

if TYPE_CHECKING:  # google-genai is imported when a probe first runs, not when cases are collected
    from google.genai import types

SMALL = 16


def _config() -> types.GenerateContentConfig:
    from google.genai import types

    return types.GenerateContentConfig(max_output_tokens=SMALL)


def basic(ctx: ProbeContext, claim: object) -> Observation:
    client = genai_client(ctx)
    call = perform(
        ctx,
        "generate_content",
        lambda: client.models.generate_content(model=ctx.model, contents=prompts.BASIC, config=_config()),
    )
    return Observation([call])


async def basic_async(ctx: ProbeContext, claim: object) -> Observation:
    client = genai_client(ctx)
    call = await perform_async(
        ctx,
        "generate_content-async",
        lambda: client.aio.models.generate_content(model=ctx.model, contents=prompts.BASIC, config=_config()),
    )
    return Observation([call])


def stream(ctx: ProbeContext, claim: object) -> Observation:
    client = genai_client(ctx)
    call = perform(
        ctx,
        "generate_content_stream",
        lambda: list(client.models.generate_content_stream(model=ctx.model, contents=prompts.BASIC, config=_config())),
    )
    return Observation([call])


def _thinking_config(claim: Claim) -> dict[str, Any]:
    """The documented ThinkingConfig for a claim: a level for Gemini 3, a budget for 2.5, with thoughts asked for."""
    if claim.field.endswith("thinking_level"):
        return {"thinking_level": "low"}
    if claim.field.endswith("include_thoughts"):
        return {"thinking_budget": 512, "include_thoughts": True}
    return {"thinking_budget": 512}


def thinking(ctx: ProbeContext, claim: Claim) -> Observation:
    """generateContent with a ThinkingConfig (``thinking_level``, ``thinking_budget``, ``include_thoughts``)."""
    from google.genai import types

    client = genai_client(ctx)
    thinking = _thinking_config(claim)
    config = types.GenerateContentConfig(max_output_tokens=1024, thinking_config=types.ThinkingConfig(**thinking))
    call = perform(
        ctx, "thinking", lambda: client.models.generate_content(model=ctx.model, contents=prompts.THINK, config=config)
    )
    return Observation([call], values={"thinking_config": thinking})


def count_tokens(ctx: ProbeContext, claim: object) -> Observation:
    client = genai_client(ctx)
    return Observation(
        [perform(ctx, "count_tokens", lambda: client.models.count_tokens(model=ctx.model, contents=prompts.BASIC))]
    )


def without_key(ctx: ProbeContext, claim: object) -> Observation:
    """The same raw generateContent request without and with the x-goog-api-key header."""
    url = f"{ctx.base_url.rstrip('/')}/v1beta/models/{ctx.model}:generateContent"
    body = {"contents": [{"parts": [{"text": prompts.BASIC}]}], "generationConfig": {"maxOutputTokens": SMALL}}
    headers = {"x-goog-api-key": ctx.api_key.reveal(), "content-type": "application/json"}
    first = raw_request(ctx, "POST", url, headers={"content-type": "application/json"}, json_body=body)
    first.label = "without"
    second = raw_request(ctx, "POST", url, headers=headers, json_body=body)
    second.label = "with"
    return Observation([first, second], values={"omitted": "x-goog-api-key"})


def wrong_key(ctx: ProbeContext, claim: object) -> Observation:
    bad = ctx.with_key("invalid-key-for-conformance")
    return basic(bad, claim)


def unknown_model(ctx: ProbeContext, claim: object) -> Observation:
    client = genai_client(ctx)
    call = perform(
        ctx,
        "unknown-model",
        lambda: client.models.generate_content(model="no-such-model-conformance", contents=prompts.BASIC),
    )
    return Observation([call])
