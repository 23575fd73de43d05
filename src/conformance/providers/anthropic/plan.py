"""The planner of the Anthropic Messages API: which registered probe and which check show a claim true or false."""

from __future__ import annotations

from conformance.providers.anthropic import jobs as ajobs
from conformance.providers.anthropic import probes as anth
from conformance.providers.registry import SyncProbe
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

_ANTHROPIC_JOB_ENDPOINTS: dict[str, tuple[SyncProbe, str]] = {
    "POST /v1/messages/batches": (ajobs.batch, "batch_created"),
    "POST /v1/files": (ajobs.file_upload, "file_uploaded"),
    "GET /v1/files": (ajobs.file_list, "listed"),
    "POST /v1/skills": (ajobs.skill_create, "skill_created"),
    "GET /v1/skills": (ajobs.skill_list, "listed"),
    "https://api.anthropic.com": (anth.basic, "endpoint_ok"),
}
"""The native API's other endpoints; batches and uploads carry the ``expensive`` marker in the spec."""


def _anthropic_size_limit(claim: Claim) -> Plan:
    """A body just over the documented limit of the claim's endpoint(s), streamed: the documented 413."""
    field = claim.field
    if field == "POST /v1/messages/batches":
        return one(ajobs.oversized_batch, "too_large")
    if field == "POST /v1/files":
        return one(ajobs.oversized_file, "too_large")
    if field.startswith("POST /v1/messages"):
        variants = [Variant("sync", "too_large", probe=anth.oversized)]
        if "count_tokens" in field:
            variants.append(Variant("count_tokens", "too_large", probe=anth.oversized_count_tokens))
        return variants
    return Untestable(f"no probe sends an oversized body to {field} yet")


_ANTHROPIC_PROBES: dict[tuple[Location, str], tuple[SyncProbe, str]] = {
    (Location.REQUEST, "model"): (anth.basic, "accepted"),
    (Location.REQUEST, "messages"): (anth.basic, "accepted"),
    (Location.REQUEST, "max_tokens"): (anth.max_tokens, "native_max_tokens"),
    (Location.REQUEST, "system"): (anth.system, "system_reaches_model"),
    (Location.REQUEST, "system[].text"): (anth.system_blocks, "system_reaches_model"),
    (Location.REQUEST, "thinking"): (anth.thinking, "native_thinking"),
    (Location.REQUEST, "thinking.budget_tokens"): (anth.thinking_budgets, "anthropic_thinking_budget"),
    (Location.REQUEST, "temperature"): (anth.out_of_range, "anthropic_out_of_range"),
    (Location.REQUEST, "stop_sequences"): (anth.stop_sequences, "anthropic_stop_sequence"),
    (Location.REQUEST, "stream"): (anth.stream, "anthropic_stream_grammar"),
    **{(Location.REQUEST, field): (anth.with_field, "accepted") for field in anth.FIELD_VALUES},
    (Location.MESSAGE, "messages[].content"): (anth.basic, "accepted"),
    (Location.MESSAGE, "messages[].content[].text"): (anth.text_blocks, "accepted"),
    (Location.MESSAGE, "messages[].content[].image"): (anth.image, "anthropic_answer_contains"),
    (Location.MESSAGE, "messages[].content[].document"): (anth.document, "anthropic_answer_contains"),
    (Location.MESSAGE, "messages[].content[].tool_use"): (anth.tool_turn, "accepted"),
    (Location.MESSAGE, "messages[].content[].tool_result"): (anth.tool_turn, "anthropic_answer_contains"),
    (Location.MESSAGE, "messages[].role"): (anth.system_role, "anthropic_rejected"),
    (Location.TOOL, "tools"): (anth.tools, "anthropic_tool_use"),
    (Location.TOOL, "tools[].input_schema"): (anth.tools, "anthropic_tool_use"),
    (Location.TOOL, "tool_choice.type"): (anth.tool_choices, "anthropic_tool_choice"),
    (Location.TOOL, "tool_choice.disable_parallel_tool_use"): (anth.one_tool, "anthropic_one_tool_use"),
    (Location.STREAM, "content_block_delta"): (anth.server_tool_stream, "anthropic_stream_block_deltas"),
    (Location.RESPONSE, "content[].input"): (anth.tools, "anthropic_tool_use"),
    (Location.RESPONSE, "input_tokens"): (anth.count_tokens_pair, "anthropic_count_tokens"),
    (Location.ENDPOINT, "POST /v1/messages/count_tokens"): (anth.count_tokens, "endpoint_ok"),
    (Location.ENDPOINT, "GET /v1/models"): (anth.models_list, "endpoint_ok"),
    (Location.ENDPOINT, "GET /v1/models/{model_id}"): (anth.models_retrieve, "endpoint_ok"),
}
"""(location, field) -> the probe and check of a native-API claim with its own probe; the rest go by status."""
_MODEL_LIST_FIELDS = frozenset({"has_more", "first_id", "last_id"})
_STREAM_ERROR = (
    "an error event comes only when the service fails mid-stream (e.g. overloaded), which no probe provokes on "
    "purpose; the stream grammar judges any that a recording holds"
)


def _anthropic_response(claim: Claim) -> Plan:
    one_of = "values" in claim.params  # a field documented with its list of values
    check = "anthropic_response_one_of" if one_of else RESPONSE_CHECK.get(claim.status)
    if check is None:
        return Untestable(f"status {claim.status.value} has no check yet")
    listed = claim.field.startswith("data[].") or claim.field in _MODEL_LIST_FIELDS
    return one(anth.models_list if listed else anth.basic, check)


def plan_anthropic(claim: Claim) -> Plan:
    loc, field, status = claim.location, claim.field, claim.status
    if loc in (Location.REQUEST, Location.REQUEST_HEADER) and status is Status.REQUIRED:
        return one(anth.without_header if loc is Location.REQUEST_HEADER else anth.without_field, "required")
    if loc is Location.ENDPOINT and field == "POST /v1/messages":
        return sync_async_stream(anth.basic, anth.basic_async, anth.stream, "endpoint_ok")
    if (loc, field) in _ANTHROPIC_PROBES:
        return one(*_ANTHROPIC_PROBES[(loc, field)])
    if loc is Location.ENDPOINT:
        job = _ANTHROPIC_JOB_ENDPOINTS.get(field)
        return one(*job) if job else Untestable(f"no probe for {field} yet")
    if loc in (Location.REQUEST, Location.MESSAGE, Location.TOOL):
        return Untestable(f"no probe for {loc.value} field {field} yet")
    if loc is Location.RESPONSE:
        return _anthropic_response(claim)
    if loc is Location.STREAM:
        return Untestable(_STREAM_ERROR) if field == "error" else one(anth.stream, "anthropic_stream_grammar")
    if loc is Location.USAGE:
        return one(anth.basic, "usage_field")
    if loc is Location.HEADER:
        if field.lower() in ONLY_ON_ERRORS:
            return Untestable(ONLY_ON_ERRORS[field.lower()])
        check = HEADER_CHECK.get(status)
        return one(anth.basic, check) if check else Untestable(f"status {status.value} has no check yet")
    if loc is Location.ERROR:
        return error_probe(claim, anth.wrong_key, anth.unknown_model, anth.invalid_request)
    if loc is Location.LIMIT and claim.params.get("unit") == "bytes":
        return _anthropic_size_limit(claim)
    if loc is Location.BEHAVIOR and field == "prompt_caching":
        return one(anth.prompt_caching, "accepted")
    if loc is Location.AUTH and field == "x-api-key":
        return one(anth.basic, "header_sent_and_accepted")
    if loc is Location.AUTH and field == "api_key":
        return one(anth.basic, "accepted")
    return Untestable(NOT_OBSERVABLE.get(loc, f"no probe for {loc.value} claims of the native API yet"))
