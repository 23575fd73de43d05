"""Probes of the job and storage endpoints through the ``openai`` SDK: image generation, files and batches.

These cost more than a few tokens (an image; a batch that stays queued) or store something, so the claims they
probe carry the ``expensive`` marker and run only with ``--conformance-expensive``. Each probe makes the least
that shows the endpoint works: one small image, a one-line JSONL file, a batch of one tiny request. Files it
uploads are deleted again; the clean-up calls stay in the exchange but are not judged.

Gemini's compatibility layer takes batch input files from its *native* Files API (upload through the layer is
documented as unsupported), so against a base URL that ends in ``/v1beta/openai/`` the JSONL goes up through
``google-genai`` to the native root of the same server.
"""

from __future__ import annotations

import dataclasses
import io
import json
from typing import Any
from urllib.parse import urlsplit

from conformance.checks import prompts
from conformance.exchange.model import Call, Observation
from conformance.providers.base import ProbeContext
from conformance.providers.clients import genai_client, openai_client, perform
from conformance.providers.registry import probe
from conformance.spec.model import Claim

SMALL = 16
OPENAI_IMAGE_MODEL = "gpt-image-1-mini"
"""OpenAI's cheapest image model; used when the claim names no image model of its own."""
IMAGE_PROMPT = "A plain red dot on a white background."
COMPLETION_WINDOW = "24h"
CHAT_ENDPOINT = "/v1/chat/completions"
EMBEDDINGS_ENDPOINT = "/v1/embeddings"
BATCH_ID = "conformance-1"
GEMINI_COMPAT_PATH = "/v1beta/openai"


def _image_arguments(ctx: ProbeContext, claim: Claim) -> dict[str, Any]:
    """The documented example's arguments: a claim about named models (Imagen) uses its model and ``b64_json``."""
    if claim.models:
        return {"model": ctx.model, "prompt": IMAGE_PROMPT, "n": 1, "response_format": "b64_json"}
    return {"model": OPENAI_IMAGE_MODEL, "prompt": IMAGE_PROMPT, "n": 1, "quality": "low", "size": "1024x1024"}


@probe("openai.image")
def image(ctx: ProbeContext, claim: Claim) -> Observation:
    """One image from a one-line prompt."""
    client = openai_client(ctx)
    arguments = _image_arguments(ctx, claim)
    call = perform(ctx, "images.generate", lambda: client.images.generate(**arguments))
    return Observation([call], values={k: v for k, v in arguments.items() if k != "prompt"})


def batch_line(model: str, endpoint: str = CHAT_ENDPOINT) -> dict[str, Any]:
    """One line of OpenAI's batch input format: a tiny chat completion (or embedding) request."""
    body: dict[str, Any] = {"model": model, "input": prompts.EMBED}
    if endpoint == CHAT_ENDPOINT:
        body = {"model": model, "messages": [{"role": "user", "content": prompts.BASIC}], "max_tokens": SMALL}
    return {"custom_id": BATCH_ID, "method": "POST", "url": endpoint, "body": body}


def jsonl(lines: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


def _note_cleanup(obs: Observation, call: Call) -> None:
    outcome = f"HTTP {call.status}" if call.status is not None else f"{type(call.error).__name__}"
    obs.notes.append(f"clean-up {call.label}: {outcome}")


@probe("openai.file_upload")
def file_upload(ctx: ProbeContext, claim: Claim) -> Observation:
    """Upload a one-line batch JSONL with ``purpose=batch``, then delete it."""
    client = openai_client(ctx)
    data = jsonl([batch_line(ctx.model)])
    created = perform(
        ctx,
        "files.create",
        lambda: client.files.create(file=("conformance.jsonl", data, "application/jsonl"), purpose="batch"),
    )
    obs = Observation([created], values={"purpose": "batch", "bytes": len(data), "filename": "conformance.jsonl"})
    file_id = getattr(created.result, "id", None)
    if created.ok and isinstance(file_id, str):
        _note_cleanup(obs, perform(ctx, "files.delete", lambda: client.files.delete(file_id)))
    return obs


def is_gemini_layer(ctx: ProbeContext) -> bool:
    """The spec's documented base URL is Gemini's OpenAI compatibility path (``.../v1beta/openai/``)."""
    return urlsplit(ctx.provider.base_url).path.rstrip("/").endswith(GEMINI_COMPAT_PATH)


def native_root(ctx: ProbeContext) -> str:
    """The run's server without the compatibility path: ``http://host/v1beta/openai/`` gives ``http://host/``."""
    base = ctx.base_url.rstrip("/")
    return (base.removesuffix(GEMINI_COMPAT_PATH) if base.endswith(GEMINI_COMPAT_PATH) else base) + "/"


def _upload_input(ctx: ProbeContext, data: bytes) -> tuple[Call, str | None]:
    """The batch input file: through the native Gemini Files API for Gemini's layer, else ``files.create``."""
    if is_gemini_layer(ctx):
        native = genai_client(dataclasses.replace(ctx, base_url=native_root(ctx)))
        config: Any = {"mime_type": "jsonl", "display_name": "conformance-batch"}
        call = perform(ctx, "native files.upload", lambda: native.files.upload(file=io.BytesIO(data), config=config))
        name = getattr(call.result, "name", None)
        return call, name if isinstance(name, str) else None
    client = openai_client(ctx)
    upload = ("conformance.jsonl", data, "application/jsonl")
    call = perform(ctx, "files.create", lambda: client.files.create(file=upload, purpose="batch"))
    file_id = getattr(call.result, "id", None)
    return call, file_id if isinstance(file_id, str) else None


def _batch(ctx: ProbeContext, endpoint: str) -> Observation:
    client = openai_client(ctx)
    upload, file_id = _upload_input(ctx, jsonl([batch_line(ctx.model, endpoint)]))
    obs = Observation([upload], values={"endpoint": endpoint, "completion_window": COMPLETION_WINDOW})
    if file_id is None:
        return obs
    obs.values["input_file_id"] = file_id
    created = perform(
        ctx,
        "batches.create",
        lambda: client.batches.create(
            input_file_id=file_id,
            endpoint=endpoint,  # type: ignore[arg-type]
            completion_window=COMPLETION_WINDOW,  # type: ignore[arg-type]
        ),
    )
    obs.calls.append(created)
    batch_id = getattr(created.result, "id", None)
    if isinstance(batch_id, str):
        obs.calls.append(perform(ctx, "batches.retrieve", lambda: client.batches.retrieve(batch_id)))
    return obs


@probe("openai.batch")
def batch(ctx: ProbeContext, claim: Claim) -> Observation:
    """Upload a one-line JSONL, create a batch of it for ``/v1/chat/completions`` (24h window), read it back."""
    return _batch(ctx, CHAT_ENDPOINT)


@probe("openai.embeddings_batch")
def embeddings_batch(ctx: ProbeContext, claim: Claim) -> Observation:
    """The same for ``/v1/embeddings``: one embedding request in the JSONL."""
    return _batch(ctx, EMBEDDINGS_ENDPOINT)
