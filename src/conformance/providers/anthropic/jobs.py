"""Probes of the native API's job and storage endpoints through the ``anthropic`` SDK: batches, files, skills.

Each probe does the least that shows the endpoint works (one tiny batch request, a one-line text file, a
two-line skill) and then removes what it made (cancel, delete), so a run leaves nothing behind and costs at most
a few tokens. The clean-up calls are recorded with the exchange but are not judged: their outcome is a note.
"""

from __future__ import annotations

from typing import Any

from conformance.checks import prompts
from conformance.exchange.model import Call, Observation
from conformance.providers.anthropic.probes import SMALL, VERSION, native_headers
from conformance.providers.base import ProbeContext
from conformance.providers.clients import anthropic_client, perform
from conformance.providers.oversized import PADDING_MARK, json_over, multipart_over
from conformance.providers.oversized import send as send_padded
from conformance.providers.registry import probe
from conformance.spec.model import Claim

FILES_BETA = "files-api-2025-04-14"
SKILLS_BETA = "skills-2025-10-02"
UPLOAD_NAME = "conformance-probe.txt"
UPLOAD_BYTES = b"conformance probe: a one-line file, deleted right after upload.\n"
SKILL_NAME = "conformance-probe"
SKILL_MD = (
    f"---\nname: {SKILL_NAME}\ndescription: A probe of the skills endpoint; deleted right after it is created.\n---\n"
    "Reply with the single word OK.\n"
).encode()
BATCH_ID = "conformance-1"


def _note_cleanup(obs: Observation, call: Call) -> None:
    """A clean-up call is kept in the exchange (the recorder) and noted, never judged."""
    outcome = f"HTTP {call.status}" if call.status is not None else f"{type(call.error).__name__}"
    obs.notes.append(f"clean-up {call.label}: {outcome}")


def batch_request(ctx: ProbeContext) -> dict[str, Any]:
    """The batch's one request: the tiniest Messages request there is."""
    params = {"model": ctx.model, "max_tokens": SMALL, "messages": [{"role": "user", "content": prompts.BASIC}]}
    return {"custom_id": BATCH_ID, "params": params}


@probe("anthropic.batch")
def batch(ctx: ProbeContext, claim: Claim) -> Observation:
    """Create a batch of one tiny request, read it back, then cancel it."""
    client = anthropic_client(ctx)
    requests: Any = [batch_request(ctx)]
    created = perform(ctx, "batches.create", lambda: client.messages.batches.create(requests=requests))
    obs = Observation([created], values={"requests": 1, "custom_id": BATCH_ID})
    batch_id = getattr(created.result, "id", None)
    if isinstance(batch_id, str):
        obs.calls.append(perform(ctx, "batches.retrieve", lambda: client.messages.batches.retrieve(batch_id)))
        _note_cleanup(obs, perform(ctx, "batches.cancel", lambda: client.messages.batches.cancel(batch_id)))
    return obs


@probe("anthropic.file_upload")
def file_upload(ctx: ProbeContext, claim: Claim) -> Observation:
    """Upload a one-line text file (Files API beta), then delete it."""
    client = anthropic_client(ctx)
    upload = (UPLOAD_NAME, UPLOAD_BYTES, "text/plain")
    created = perform(ctx, "files.upload", lambda: client.beta.files.upload(file=upload, betas=[FILES_BETA]))
    obs = Observation([created], values={"filename": UPLOAD_NAME, "size_bytes": len(UPLOAD_BYTES)})
    file_id = getattr(created.result, "id", None)
    if isinstance(file_id, str):
        _note_cleanup(obs, perform(ctx, "files.delete", lambda: client.beta.files.delete(file_id, betas=[FILES_BETA])))
    return obs


@probe("anthropic.file_list")
def file_list(ctx: ProbeContext, claim: Claim) -> Observation:
    """List the files (one page of at most one): costs nothing, stores nothing."""
    client = anthropic_client(ctx)
    listed = perform(ctx, "files.list", lambda: client.beta.files.list(limit=1, betas=[FILES_BETA]))
    return Observation([listed], values={"limit": 1})


@probe("anthropic.skill_create")
def skill_create(ctx: ProbeContext, claim: Claim) -> Observation:
    """Create a custom skill from a two-line SKILL.md, then delete its version and the skill."""
    client = anthropic_client(ctx)
    files: Any = [(f"{SKILL_NAME}/SKILL.md", SKILL_MD, "text/markdown")]
    created = perform(
        ctx,
        "skills.create",
        lambda: client.beta.skills.create(display_name=SKILL_NAME, files=files, betas=[SKILLS_BETA]),
    )
    obs = Observation([created], values={"display_name": SKILL_NAME})
    skill_id = getattr(created.result, "id", None)
    version = getattr(created.result, "latest_version_id", None) or getattr(created.result, "latest_version", None)
    if isinstance(skill_id, str):
        if isinstance(version, str):
            _note_cleanup(
                obs,
                perform(
                    ctx,
                    "skills.versions.delete",
                    lambda: client.beta.skills.versions.delete(version, skill_id=skill_id, betas=[SKILLS_BETA]),
                ),
            )
        _note_cleanup(
            obs, perform(ctx, "skills.delete", lambda: client.beta.skills.delete(skill_id, betas=[SKILLS_BETA]))
        )
    return obs


@probe("anthropic.skill_list")
def skill_list(ctx: ProbeContext, claim: Claim) -> Observation:
    """List the skills (one page of at most one)."""
    client = anthropic_client(ctx)
    listed = perform(ctx, "skills.list", lambda: client.beta.skills.list(limit=1, betas=[SKILLS_BETA]))
    return Observation([listed], values={"limit": 1})


@probe("anthropic.oversized_batch")
def oversized_batch(ctx: ProbeContext, claim: Claim) -> Observation:
    """A batch create just over the documented Batches body limit (``params.max`` bytes), streamed."""
    limit = int(claim.params.get("max", 256 * 1024 * 1024))
    request = batch_request(ctx)
    request["params"]["messages"] = [{"role": "user", "content": PADDING_MARK}]
    body = json_over(limit, {"requests": [request]})
    url = ctx.base_url.rstrip("/") + "/v1/messages/batches"
    return Observation(
        [send_padded(ctx, "oversized", url, native_headers(ctx), body)], values={"body_bytes": body.size}
    )


@probe("anthropic.oversized_file")
def oversized_file(ctx: ProbeContext, claim: Claim) -> Observation:
    """A file upload just over the documented Files API limit (``params.max`` bytes), streamed as multipart."""
    limit = int(claim.params.get("max", 500 * 1024 * 1024))
    body = multipart_over(limit, "file", "conformance-oversized.txt", "text/plain")
    headers = {"x-api-key": ctx.api_key.reveal(), "anthropic-version": VERSION, "anthropic-beta": FILES_BETA}
    call = send_padded(ctx, "oversized", ctx.base_url.rstrip("/") + "/v1/files", headers, body)
    return Observation([call], values={"body_bytes": body.size})
