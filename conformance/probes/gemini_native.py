"""Probes through ``google-genai`` against the native Gemini API (v1beta)."""

from __future__ import annotations

from google.genai import types

from conformance.probes import prompts
from conformance.probes.base import Observation, ProbeContext
from conformance.probes.clients import genai_client, perform, perform_async

SMALL = 16


def _config() -> types.GenerateContentConfig:
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


def count_tokens(ctx: ProbeContext, claim: object) -> Observation:
    client = genai_client(ctx)
    return Observation(
        [perform(ctx, "count_tokens", lambda: client.models.count_tokens(model=ctx.model, contents=prompts.BASIC))]
    )


def wrong_key(ctx: ProbeContext, claim: object) -> Observation:
    bad = ProbeContext(
        ctx.provider, ctx.base_url, "invalid-key-for-conformance", ctx.model, ctx.timeout, ctx.recorder, ctx.secrets
    )
    return basic(bad, claim)


def unknown_model(ctx: ProbeContext, claim: object) -> Observation:
    client = genai_client(ctx)
    call = perform(
        ctx,
        "unknown-model",
        lambda: client.models.generate_content(model="no-such-model-conformance", contents=prompts.BASIC),
    )
    return Observation([call])
