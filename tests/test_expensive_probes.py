"""The opt-in probes of job endpoints (images, files, batches, skills) and of the 413 size limits.

Against the fake servers only (127.0.0.1, a throwaway key): what they plan, that they stay off without
``--conformance-expensive``, that oversized bodies are streamed and recorded as a summary, and that the probes
clean up after themselves. Whether each probe passes on the faithful fake and fails on its break is
tests/test_against_fakes.py's job.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from conformance.exchange.recorder import Recorder
from conformance.providers.anthropic import jobs as anthropic_jobs
from conformance.providers.anthropic import probes as anthropic_native
from conformance.providers.base import ProbeContext
from conformance.providers.openai import jobs as openai_jobs
from conformance.providers.oversized import MARGIN, PADDING_MARK, json_over, multipart_over
from conformance.run.plan import Untestable, plan
from conformance.run.runner import Session, cases_for
from conformance.spec.model import Claim
from tests.fakes import FakeServer
from tests.fakes.jobs import multipart
from tests.fakes.server import Request
from tests.fakes.sessions import SPECS, live_session

CLAIMS = {claim.id: claim for spec in SPECS.values() for claim in spec.claims}
NOW_PROBED = {
    "anthropic.endpoint.post-v1-messages-batches": "batch_created",
    "anthropic.endpoint.post-v1-files": "file_uploaded",
    "anthropic.endpoint.get-v1-files": "listed",
    "anthropic.endpoint.post-v1-skills": "skill_created",
    "anthropic.endpoint.get-v1-skills": "listed",
    "anthropic.limit.request-size-batches": "too_large",
    "anthropic.limit.request-size-files": "too_large",
    "openai.endpoint.post-v1-images-generations": "image_generated",
    "openai.endpoint.post-v1-batches": "batch_created",
    "openai.endpoint.get-v1-batches-batch_id": "batch_retrieved",
    "openai.endpoint.post-v1-files": "file_uploaded",
    "gemini-openai.endpoint.post-images-generations": "image_generated",
    "gemini-openai.request.images.response_format": "image_b64_json",
    "gemini-openai.endpoint.post-batches": "batch_created",
    "gemini-openai.endpoint.get-batches-batch_id": "batch_retrieved",
    "gemini-openai.request.input_file_id": "batch_field_echoed",
    "gemini-openai.request.completion_window": "batch_field_echoed",
    "gemini-openai.request.endpoint.v1-embeddings": "batch_field_echoed",
    "gemini-openai.endpoint.post-files": "endpoint_not_served",
}
STILL_NOT_TESTABLE = {
    "gemini-openai.response.output_file_id": "finished batch only",
    "gemini-openai.endpoint.get-files-file_id-content": "upload, is documented as unsupported",
}


@pytest.mark.parametrize(("claim_id", "check"), sorted(NOW_PROBED.items()))
def test_job_claims_are_planned_with_their_check(claim_id: str, check: str) -> None:
    claim = CLAIMS[claim_id]
    planned = plan(claim, SPECS[claim.provider].provider.sdk)
    assert not isinstance(planned, Untestable), planned
    assert {v.check for v in planned} == {check}


@pytest.mark.parametrize(("claim_id", "reason"), sorted(STILL_NOT_TESTABLE.items()))
def test_claims_no_probe_can_show_stay_not_testable_with_the_reason(claim_id: str, reason: str) -> None:
    claim = CLAIMS[claim_id]
    planned = plan(claim, SPECS[claim.provider].provider.sdk)
    assert isinstance(planned, Untestable)
    assert reason in planned.reason


def test_the_size_limit_of_standard_endpoints_is_probed_on_both_of_them() -> None:
    planned = plan(CLAIMS["anthropic.limit.request-size-standard"], SPECS["anthropic"].provider.sdk)
    assert not isinstance(planned, Untestable)
    assert [(v.name, v.probe) for v in planned] == [
        ("sync", anthropic_native.oversized),
        ("count_tokens", anthropic_native.oversized_count_tokens),
    ]


def _session(provider: str, *, expensive: bool) -> Session:
    return live_session(provider, None, timeout=30.0, expensive=expensive)


@pytest.mark.parametrize("provider", ["anthropic", "gemini-openai", "openai"])
def test_expensive_job_cases_skip_unless_opted_in(provider: str) -> None:
    cases = [c for c in cases_for(SPECS[provider]) if c.claim.id in NOW_PROBED and "expensive" in c.claim.markers]
    assert cases
    off, on = _session(provider, expensive=False), _session(provider, expensive=True)
    for case in cases:
        reason = off.skip_reason(case)
        assert reason is not None
        assert "--conformance-expensive" in reason
        assert on.skip_reason(case) is None


def test_a_padded_json_body_is_just_over_the_limit_and_still_json() -> None:
    body = json_over(10_000, {"messages": [{"content": PADDING_MARK}]})
    data = b"".join(body.chunks())
    assert len(data) == body.size == 10_000 + MARGIN
    assert json.loads(data)["messages"][0]["content"] == "a" * body.fill
    assert str(body.fill) in body.summary()
    assert len(body.summary()) < 200


def test_a_padded_multipart_body_parses_as_one_file_part() -> None:
    body = multipart_over(5_000, "file", "big.txt", "text/plain")
    raw = b"".join(body.chunks())
    assert len(raw) == body.size == 5_000 + MARGIN
    parts = multipart(Request("POST", "/v1/files", headers={"content-type": body.content_type}, raw=raw))
    assert [(p.name, p.filename, len(p.data)) for p in parts] == [("file", "big.txt", body.fill)]


@pytest.fixture
def anthropic_fake() -> Iterator[FakeServer]:
    with FakeServer("anthropic") as server:
        yield server


def _context(server: FakeServer, provider: str) -> ProbeContext:
    spec = SPECS[provider]
    return ProbeContext(spec.provider, server.base_url, "x", spec.provider.default_model, 30.0, Recorder())


def test_an_oversized_body_is_refused_by_its_length_and_recorded_as_a_summary(anthropic_fake: FakeServer) -> None:
    claim = CLAIMS["anthropic.limit.request-size-files"]
    ctx = _context(anthropic_fake, "anthropic")
    obs = anthropic_jobs.oversized_file(ctx, claim)
    (attempt,) = obs.main.attempts
    assert attempt.response is not None
    assert attempt.response.status == 413
    assert attempt.request.headers["content-length"] == str(claim.params["max"] + MARGIN)
    assert len(attempt.request.body) < 1000
    assert "not kept" in attempt.request.body
    assert anthropic_fake.requests[-1].body is None  # the fake never held the bytes


def test_the_native_job_probes_leave_nothing_behind(anthropic_fake: FakeServer) -> None:
    ctx = _context(anthropic_fake, "anthropic")
    uploaded = anthropic_jobs.file_upload(ctx, CLAIMS["anthropic.endpoint.post-v1-files"])
    skill = anthropic_jobs.skill_create(ctx, CLAIMS["anthropic.endpoint.post-v1-skills"])
    batch = anthropic_jobs.batch(ctx, CLAIMS["anthropic.endpoint.post-v1-messages-batches"])
    assert uploaded.notes == ["clean-up files.delete: HTTP 200"]
    assert skill.notes == ["clean-up skills.versions.delete: HTTP 200", "clean-up skills.delete: HTTP 200"]
    assert batch.notes == ["clean-up batches.cancel: HTTP 200"]
    assert [c.label for c in batch.calls] == ["batches.create", "batches.retrieve"]  # clean-up is never judged
    kinds = {v.get("type") for v in anthropic_fake.config.store.objects.values()}
    assert kinds == {"message_batch"}  # only the (cancelled) batch remains, as on the real API


def test_gemini_batch_input_goes_up_through_the_native_files_api() -> None:
    with FakeServer("gemini-openai") as server:
        ctx = _context(server, "gemini-openai")
        obs = openai_jobs.batch(ctx, CLAIMS["gemini-openai.endpoint.post-batches"])
        paths = [r.path.split("?")[0] for r in server.requests]
    assert [c.label for c in obs.calls] == ["native files.upload", "batches.create", "batches.retrieve"]
    assert paths[:2] == ["/upload/v1beta/files", "/upload/v1beta/files"]
    assert paths[2:] == ["/v1beta/openai/batches", f"/v1beta/openai/batches/{obs.calls[1].result.id}"]
    assert str(obs.values["input_file_id"]).startswith("files/")


def test_openai_file_probe_deletes_its_upload() -> None:
    with FakeServer("openai") as server:
        obs = openai_jobs.file_upload(_context(server, "openai"), CLAIMS["openai.endpoint.post-v1-files"])
        assert obs.notes == ["clean-up files.delete: HTTP 200"]
        assert not server.config.store.objects


def test_a_claim_about_named_image_models_sends_the_documented_example() -> None:
    claim: Claim = CLAIMS["gemini-openai.endpoint.post-images-generations"]
    with FakeServer("gemini-openai") as server:
        ctx = _context(server, "gemini-openai")
        ctx.model = claim.models[0]
        obs = openai_jobs.image(ctx, claim)
        sent = server.requests[-1].body
    assert sent == {"model": "imagen-3.0-generate-002", "prompt": openai_jobs.IMAGE_PROMPT, "n": 1,
                    "response_format": "b64_json"}  # fmt: skip
    assert obs.main.ok
