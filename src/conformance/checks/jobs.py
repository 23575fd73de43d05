"""Checks of the job and storage endpoints: image generation, files, batches, skills; and endpoints not served.

Each judges one labelled call of the probe by the documented object shape of its answer (the OpenAI shape for
the ``openai`` SDK's probes, Anthropic's for the native ones); clean-up calls are never judged.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from conformance.checks.registry import fail, register, require_ok
from conformance.exchange.model import Call, Observation
from conformance.spec.model import Claim

OPENAI_BATCH_STATUSES = frozenset(
    {"validating", "failed", "in_progress", "finalizing", "completed", "expired", "cancelling", "cancelled"}
)
ANTHROPIC_BATCH_STATUSES = frozenset({"in_progress", "canceling", "ended"})
BATCH_REQUEST_COUNTS = ("processing", "succeeded", "errored", "canceled", "expired")
IMAGE_MAGIC = {b"\x89PNG": "PNG", b"\xff\xd8\xff": "JPEG", b"RIFF": "WebP", b"GIF8": "GIF"}


def _sdk(obs: Observation) -> str:
    return str(obs.values.get("sdk", "openai"))


def _call(obs: Observation, label: str) -> Call:
    """The probe's call named ``label``; if the probe stopped before it, say why (the last call's answer)."""
    try:
        return obs.call(label)
    except KeyError:
        if obs.calls:
            require_ok(obs.calls[-1], f"{obs.calls[-1].label}, needed before {label}")
        fail(f"the probe made no {label} call")
        raise AssertionError from None  # unreachable: fail raises


def _expect(body: dict[str, Any], what: str, **expected: Any) -> None:
    """Each key of ``expected``: a type (the value has it) or a value (the value equals it)."""
    for key, want in expected.items():
        got = body.get(key)
        if isinstance(want, type):
            if not isinstance(got, want) or (isinstance(got, bool) and want is int):
                fail(f"{what}: {key} should be a {want.__name__}, got {got!r}")
        elif got != want:
            fail(f"{what}: {key} should be {want!r}, got {got!r}")


def _image_bytes(item: dict[str, Any]) -> bytes:
    data = item.get("b64_json")
    if not isinstance(data, str) or not data:
        fail(f"data[].b64_json should hold the base64 image, got {str(data)[:80]!r}")
    try:
        return base64.b64decode(str(data), validate=True)
    except (binascii.Error, ValueError):
        fail(f"data[].b64_json is not base64: {str(data)[:80]!r}")
        raise AssertionError from None


@register("image_generated")
def image_generated(claim: Claim, obs: Observation) -> None:
    """images.generate answers ``{created, data: [{b64_json | url}]}`` with as many images as asked (n)."""
    body = require_ok(_call(obs, "images.generate"), "images.generate")
    _expect(body, "the images response", created=int, data=list)
    items = body["data"]
    if len(items) != obs.values.get("n", 1):
        fail(f"n={obs.values.get('n', 1)} image(s) were asked for, {len(items)} came back")
    for item in items:
        if not isinstance(item, dict) or not (item.get("b64_json") or item.get("url")):
            fail(f"an image carries neither b64_json nor url: {str(item)[:120]!r}")
        if item.get("b64_json"):
            _image_bytes(item)


@register("image_b64_json")
def image_b64_json(claim: Claim, obs: Observation) -> None:
    """response_format=b64_json: every data[].b64_json decodes to an image file (PNG, JPEG, WebP or GIF)."""
    image_generated(claim, obs)
    body = require_ok(obs.call("images.generate"))
    for item in body["data"]:
        raw = _image_bytes(item)
        if not any(raw.startswith(magic) for magic in IMAGE_MAGIC):
            fail(f"data[].b64_json decodes to {len(raw)} bytes that are no PNG, JPEG, WebP or GIF: {raw[:8]!r}")


@register("file_uploaded")
def file_uploaded(claim: Claim, obs: Observation) -> None:
    """The upload answers the documented file object, with the size and name that were sent."""
    if _sdk(obs) == "anthropic":
        body = require_ok(_call(obs, "files.upload"), "files.upload")
        _expect(body, "the file object", type="file", id=str, mime_type=str, created_at=str)
        _expect(body, "the file object", size_bytes=obs.values["size_bytes"], filename=obs.values["filename"])
        return
    body = require_ok(_call(obs, "files.create"), "files.create")
    _expect(body, "the file object", object="file", id=str, created_at=int, bytes=obs.values["bytes"])
    _expect(body, "the file object", filename=obs.values["filename"], purpose=obs.values["purpose"])


@register("listed")
def listed(claim: Claim, obs: Observation) -> None:
    """A list endpoint answers ``{data: [...]}`` in the documented page shape, within the page size asked for."""
    body = require_ok(obs.main, obs.main.label)
    _expect(body, "the list", data=list)
    if _sdk(obs) == "anthropic":
        _expect(body, "the list", has_more=bool)
    if len(body["data"]) > obs.values.get("limit", len(body["data"])):
        fail(f"limit={obs.values['limit']} but {len(body['data'])} items came back")


def _batch_shape(body: dict[str, Any], obs: Observation, what: str) -> None:
    if _sdk(obs) == "anthropic":
        _expect(body, what, type="message_batch", id=str, created_at=str, request_counts=dict)
        if body.get("processing_status") not in ANTHROPIC_BATCH_STATUSES:
            fail(f"{what}: processing_status {body.get('processing_status')!r} is none of the documented ones")
        counts = body["request_counts"]
        if any(not isinstance(counts.get(k), int) for k in BATCH_REQUEST_COUNTS):
            fail(f"{what}: request_counts should count {', '.join(BATCH_REQUEST_COUNTS)}: {counts!r}")
        if sum(counts[k] for k in BATCH_REQUEST_COUNTS) != obs.values.get("requests", 1):
            fail(f"{what}: request_counts add up to {sum(counts[k] for k in BATCH_REQUEST_COUNTS)}, 1 was sent")
        return
    _expect(body, what, object="batch", id=str, created_at=int)
    _expect(body, what, endpoint=obs.values["endpoint"], completion_window=obs.values["completion_window"])
    _expect(body, what, input_file_id=obs.values["input_file_id"])
    if body.get("status") not in OPENAI_BATCH_STATUSES:
        fail(f"{what}: status {body.get('status')!r} is none of the documented ones")


@register("batch_created")
def batch_created(claim: Claim, obs: Observation) -> None:
    """Creating a batch of one request answers the documented batch object (its input echoed, a known status)."""
    body = require_ok(_call(obs, "batches.create"), "batches.create")
    _batch_shape(body, obs, "the created batch")


@register("batch_retrieved")
def batch_retrieved(claim: Claim, obs: Observation) -> None:
    """Reading the batch back by its id answers the same batch, in the documented shape."""
    created = require_ok(_call(obs, "batches.create"), "batches.create")
    body = require_ok(_call(obs, "batches.retrieve"), "batches.retrieve")
    _batch_shape(body, obs, "the retrieved batch")
    if body.get("id") != created.get("id"):
        fail(f"retrieved batch {body.get('id')!r}, created {created.get('id')!r}")


@register("batch_field_echoed")
def batch_field_echoed(claim: Claim, obs: Observation) -> None:
    """A batch create field is accepted and the batch object carries the value sent."""
    body = require_ok(
        _call(obs, "batches.create"), f"batches.create with {claim.field}={obs.values.get(claim.field)!r}"
    )
    if body.get(claim.field) != obs.values.get(claim.field):
        fail(f"{claim.field}={obs.values.get(claim.field)!r} was sent, the batch says {body.get(claim.field)!r}")


@register("skill_created")
def skill_created(claim: Claim, obs: Observation) -> None:
    """Creating a skill answers the skill object: a custom skill with the name sent and a first version."""
    body = require_ok(_call(obs, "skills.create"), "skills.create")
    _expect(body, "the skill", type="skill", id=str, source="custom", display_name=obs.values["display_name"])
    _expect(body, "the skill", latest_version_id=str, created_at=str)


@register("endpoint_not_served")
def endpoint_not_served(claim: Claim, obs: Observation) -> None:
    """An endpoint documented as not supported does not do the job: any answer but a 2xx."""
    call = obs.main
    status = call.status
    if status is None:
        fail(f"{claim.field} got no response ({call.error!r})")
    if status is not None and 200 <= status < 300:
        body = call.response.body[:200] if call.response else ""
        fail(f"{claim.field} is documented as not supported, but answered HTTP {status}: {body}")
