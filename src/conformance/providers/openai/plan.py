"""The planner of the OpenAI-compatible APIs (openai, anthropic-openai, gemini-openai, user gateways): which
registered probe and which check show a claim true or false, by location, status and field."""

from __future__ import annotations

from conformance.providers.openai import jobs
from conformance.providers.openai import probes as oai
from conformance.providers.openai.values import OPENAI_FIELD_VALUES
from conformance.run.plan import (
    HEADER_CHECK,
    NOT_OBSERVABLE,
    ONLY_ON_ERRORS,
    RESPONSE_CHECK,
    Plan,
    Untestable,
    Variant,
    error_probe,
    one,
    sync_async_stream,
)
from conformance.spec.model import Claim, Location, Status

_FINISHED_BATCH_FIELDS = frozenset({"output_file_id", "error_file_id"})
_NO_DOWNLOADABLE_FILE = (
    "a download needs a file this layer holds, and the only way to make one here, upload, is documented as "
    "unsupported; a made-up id gets a 404 whether or not download works"
)


def _openai_batch_field(claim: Claim) -> Plan | None:
    """Batch create fields (input_file_id, completion_window, endpoint): sent, and echoed by the batch object."""
    if claim.field not in ("input_file_id", "completion_window", "endpoint"):
        return None
    return one(jobs.batch, "batch_field_echoed")  # the embeddings endpoint's claim names openai.embeddings_batch


def _openai_job_endpoint(claim: Claim) -> Plan | None:
    """Image generation, files and batches (their claims carry the ``expensive`` marker where they cost money)."""
    method, _, path = claim.field.partition(" ")
    path = path.rstrip("/")
    if method == "POST" and path.endswith("/images/generations"):
        return one(jobs.image, "image_generated")
    if method == "POST" and path.endswith("/batches"):
        return one(jobs.batch, "batch_created")
    if method == "GET" and path.endswith("/batches/{batch_id}"):
        return one(jobs.batch, "batch_retrieved")
    if method == "POST" and path.endswith("/files"):
        not_served = claim.status is Status.UNSUPPORTED
        return one(jobs.file_upload, "endpoint_not_served" if not_served else "file_uploaded")
    if method == "GET" and path.endswith("/content") and "/files/" in path and claim.status is Status.UNSUPPORTED:
        return Untestable(_NO_DOWNLOADABLE_FILE)
    return None


def _openai_request(claim: Claim) -> Plan:
    field, status = claim.field, claim.status
    batch_field = _openai_batch_field(claim)
    if batch_field is not None:
        return batch_field
    if status is Status.EXCLUSIVE:
        return one(oai.exclusive, "exclusive_rejected")
    if status is Status.MAPPED and field == "reasoning_effort":
        return one(oai.reasoning_effort_mapping, "mapped_inputs_accepted")
    if field.startswith("extra_body.thinking"):
        return one(oai.thinking, "accepted")
    if field.startswith("extra_body.google.thinking_config"):
        check = "thoughts_visible" if field.endswith("include_thoughts") else "accepted"
        return one(oai.google_thinking, check)
    if status is Status.REQUIRED:
        variants = one(oai.without_field, "required")
        if claim.params.get("min_items") and "." not in field:
            variants.append(Variant("empty", "rejected", probe=oai.empty_list))  # negative control: [] -> 4xx
        return variants
    if field == "model" and status is Status.PARTIAL and "model names only" in str(claim.params.get("restriction")):
        return one(oai.foreign_model, "own_model_names_only")
    if field.startswith("response_format.") and status in (Status.SUPPORTED, Status.PARTIAL):
        return one(oai.response_format, "accepted")
    if status in (Status.SUPPORTED, Status.PARTIAL):
        if field in ("max_tokens", "max_completion_tokens"):
            return one(oai.max_tokens, "max_tokens_effect")
        if field == "stop":
            return one(oai.stop, "stop_effect")
        if field == "stream":
            return [
                Variant("sync", "stream_sse", probe=oai.stream),
                Variant("async", "stream_sse", async_probe=oai.stream_async),
            ]
        if field.startswith("stream_options"):
            return one(oai.stream, "stream_usage")
        if field == "parallel_tool_calls":
            return one(oai.parallel_tool_calls, "at_most_one_tool_call")
        if field in ("tools", "tool_choice"):
            return one(oai.tools, "tool_calls")
        if field in ("model", "messages"):
            return one(oai.basic, "accepted")
        if field == "logprobs":
            return one(oai.logprobs, "logprobs_returned")
    if field not in OPENAI_FIELD_VALUES:
        return Untestable(f"no probe value for request field {field!r} yet")
    by_status = {
        Status.IGNORED: "ignored",
        Status.CAPPED: "capped",
        Status.MUST_EQUAL: "must_equal",
        Status.SUPPORTED: "accepted",
        Status.PARTIAL: "accepted",
        Status.BETA: "accepted",
        Status.LIMITED: "limited",
    }
    if status not in by_status:
        return Untestable(f"status {status.value} of a request field has no check yet")
    if status is Status.LIMITED and "max" not in claim.params:
        return Untestable("no numeric limit to exceed")
    variants = one(oai.with_field, by_status[status])
    if isinstance(claim.params.get("enum"), list):
        variants.append(Variant("invalid-enum", "rejected", probe=oai.invalid_enum))  # negative control: 4xx
    return variants


def plan_openai(claim: Claim) -> Plan:
    loc, field, status = claim.location, claim.field, claim.status
    if loc is Location.REQUEST:
        return _openai_request(claim)
    if loc is Location.TOOL:
        if status is Status.REQUIRED:
            return one(oai.without_field, "required")
        if field.startswith("tools"):
            return one(oai.tools, "accepted" if status is Status.IGNORED else "tool_calls")
        return (
            one(oai.tools, "tool_calls") if field == "tool_choice" else Untestable(f"no probe for tool field {field}")
        )
    if loc is Location.MESSAGE:
        if "input_audio" in field:
            return (
                one(oai.audio_input, "accepted")
                if status is not Status.UNSUPPORTED or claim.params.get("effect") == "dropped"
                else Untestable("effect unspecified")
            )
        if "image_url" in field:
            return one(oai.image_input, "accepted")
        if field == "messages[].role":
            return one(oai.message_role, "accepted")
        if field == "messages[].content[].text":
            return one(oai.text_parts, "accepted")
        return Untestable(f"no probe for message field {field} yet")
    if loc is Location.RESPONSE:
        check = RESPONSE_CHECK.get(status)
        if check is None:
            return Untestable(f"status {status.value} of a response field has no check yet")
        if field in _FINISHED_BATCH_FIELDS:
            return Untestable(
                f"{field} is set on a finished batch only, which takes up to 24 h; no probe waits that long"
            )
        if "tool_calls" in field:
            return one(oai.tools, check)
        if field.endswith("message.reasoning_content"):
            return one(oai.thinking, check)  # thinking text comes back here, if anywhere: ask for thinking
        if field.startswith("data[]") or field.startswith("data."):
            return one(oai.embeddings, check)
        if field.endswith("message.audio"):
            return one(oai.audio_output, check)
        if "logprobs" in field:
            return one(oai.logprobs, check)
        return one(oai.basic, check)
    if loc is Location.STREAM:
        check = "stream_usage" if "usage" in field else "stream_sse"
        return [Variant("sync", check, probe=oai.stream), Variant("async", check, async_probe=oai.stream_async)]
    if loc is Location.USAGE:
        if status is Status.ALWAYS_EMPTY:
            return one(oai.basic, "usage_empty")
        return one(oai.basic, "usage_field")
    if loc is Location.HEADER:
        if field.lower() in ONLY_ON_ERRORS:
            return Untestable(ONLY_ON_ERRORS[field.lower()])
        check = HEADER_CHECK.get(status)
        probe = oai.basic_and_error if claim.params.get("every_response") else oai.basic
        return one(probe, check) if check else Untestable(f"status {status.value} of a header has no check yet")
    if loc is Location.REQUEST_HEADER:
        if status is Status.REQUIRED:
            return one(oai.without_header, "required")
        if field.lower() == "authorization":
            return one(oai.no_credentials, "bearer_auth")  # with the negative control: no credentials -> 401
        if field.lower() == "content-type":
            return one(oai.basic, "header_sent_and_accepted")
        return Untestable(f"{field} needs the key owner's own id, which no probe knows")
    if loc is Location.ERROR:
        return error_probe(claim, oai.wrong_key, oai.unknown_model, oai.invalid_parameter)
    if loc is Location.ENDPOINT:
        path = field.split(" ", 1)[-1]
        if path.endswith("chat/completions") and field.startswith("POST"):
            return sync_async_stream(oai.chat_at, oai.chat_at_async, oai.stream_at, "endpoint_ok")
        if path.rstrip("/").endswith("/models") and field.startswith("GET"):
            return one(oai.models_list, "endpoint_ok")
        if "/models/" in path and field.startswith("GET"):
            return one(oai.models_retrieve, "endpoint_ok")
        if path.endswith("embeddings"):
            return one(oai.embeddings, "endpoint_ok")
        job = _openai_job_endpoint(claim)
        return job if job is not None else Untestable(f"no probe for {field} yet")
    if loc is Location.BEHAVIOR:
        if field == "prompt_caching" and status is Status.UNSUPPORTED:
            return one(oai.prompt_caching, "prompt_not_cached")
        if field == "thought_signatures":
            return one(oai.thought_signatures, "thought_signatures")
        if status is Status.PARTIAL:
            return Untestable(
                f"the doc states it for some cases without naming them: {claim.params.get('restriction')}"
            )
        if field == "base_url":
            return one(oai.basic, "endpoint_ok")
        return Untestable(f"no probe isolates this behaviour yet: {claim.field}")
    if loc is Location.AUTH and field == "api_key":
        return one(oai.basic, "accepted")
    return Untestable(NOT_OBSERVABLE.get(loc, f"no probe for location {loc.value}"))
