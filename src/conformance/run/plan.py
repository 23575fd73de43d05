"""Which probe and which check show a claim true or false; or why none can yet.

``plan(claim, sdk)`` returns the variants of a claim (``sync`` always; ``async`` and
``stream`` where the claim is about them), or a :class:`Untestable` reason that is
reported as "not testable", never as a pass.

A claim that names a registered probe (``probe: openai.stop``, :mod:`conformance.providers.registry`) gets one variant
with that probe (``sync`` or ``async``, as the probe is) and the claim's ``check:``; without a ``check:`` it keeps the
check the planner would pick for it, and is untestable when the planner has none. Every other claim is planned by its
location, status and field; never by its id.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from conformance.providers import registry
from conformance.providers.anthropic import jobs as ajobs
from conformance.providers.anthropic import probes as anth
from conformance.providers.gemini import probes as gem
from conformance.providers.openai import jobs
from conformance.providers.openai import probes as oai
from conformance.providers.openai.values import OPENAI_FIELD_VALUES
from conformance.providers.registry import AsyncProbe, SyncProbe
from conformance.spec.model import Claim, Location, Sdk, Status


@dataclass(frozen=True, slots=True)
class Variant:
    """One way of probing a claim: a sync or an async probe, and the check that judges it."""

    name: str
    check: str
    probe: SyncProbe | None = None
    async_probe: AsyncProbe | None = None

    @property
    def is_async(self) -> bool:
        return self.async_probe is not None

    @property
    def probe_name(self) -> str:
        """The name the variant's probe is registered under (:mod:`conformance.providers.registry`)."""
        function = self.probe or self.async_probe
        assert function is not None, "a variant has a sync or an async probe"
        return registry.name_of(function)


@dataclass(frozen=True, slots=True)
class Untestable:
    reason: str


Plan = list[Variant] | Untestable

_NOT_OBSERVABLE = {
    Location.PLATFORM: "a console/SDK fact: no HTTP exchange can show it",
    Location.AUTH: "about how keys are found or issued, not about an exchange a probe can send",
    Location.LIMIT: "a rate or size limit: showing it would need to exhaust a quota or send a very large body",
}
_ONLY_ON_ERRORS = {"retry-after": "only sent with 429/529 answers, which no probe provokes on purpose"}
_RESPONSE_CHECK = {
    Status.SUPPORTED: "response_present",
    Status.PARTIAL: "response_present",
    Status.CONSTANT: "response_constant",
    Status.ALWAYS_EMPTY: "response_empty",
}
_HEADER_CHECK = {
    Status.SUPPORTED: "header_present",
    Status.CONSTANT: "header_constant",
    Status.ALWAYS_EMPTY: "header_empty",
}


def _one(probe: SyncProbe, check: str) -> list[Variant]:
    return [Variant("sync", check, probe=probe)]


def _sync_async_stream(sync: SyncProbe, async_: AsyncProbe, stream: SyncProbe, check: str) -> list[Variant]:
    return [
        Variant("sync", check, probe=sync),
        Variant("async", check, async_probe=async_),
        Variant("stream", check, probe=stream),
    ]


def _error_probe(claim: Claim, wrong_key: SyncProbe, unknown_model: SyncProbe, invalid: SyncProbe | None) -> Plan:
    text = f"{claim.field} {claim.params}".lower()
    code = claim.params.get("status_code") or claim.params.get("error_status")
    if code == 401 or any(w in text for w in ("401", "api-key", "api_key", "authentication")):
        return _one(wrong_key, "error_shape")
    if code == 404 or any(w in text for w in ("404", "not-found", "model_not_found")):
        return _one(unknown_model, "error_shape")
    if code in (429, 403, 413, 500, 503, 529) or "request_too_large" in text:
        return Untestable(f"HTTP {code or 413} cannot be provoked cheaply and on purpose")
    if claim.status is Status.PARTIAL:
        return Untestable(f"about error wording ({claim.params.get('restriction', '')}), which no check can judge")
    if invalid is not None:
        return _one(invalid, "error_shape")
    return Untestable("no probe provokes this error yet")


_FINISHED_BATCH_FIELDS = frozenset({"output_file_id", "error_file_id"})
_NO_DOWNLOADABLE_FILE = (
    "a download needs a file this layer holds, and the only way to make one here, upload, is documented as "
    "unsupported; a made-up id gets a 404 whether or not download works"
)


def _openai_batch_field(claim: Claim) -> Plan | None:
    """Batch create fields (input_file_id, completion_window, endpoint): sent, and echoed by the batch object."""
    if claim.field not in ("input_file_id", "completion_window", "endpoint"):
        return None
    return _one(jobs.batch, "batch_field_echoed")  # the embeddings endpoint's claim names openai.embeddings_batch


def _openai_job_endpoint(claim: Claim) -> Plan | None:
    """Image generation, files and batches (their claims carry the ``expensive`` marker where they cost money)."""
    method, _, path = claim.field.partition(" ")
    path = path.rstrip("/")
    if method == "POST" and path.endswith("/images/generations"):
        return _one(jobs.image, "image_generated")
    if method == "POST" and path.endswith("/batches"):
        return _one(jobs.batch, "batch_created")
    if method == "GET" and path.endswith("/batches/{batch_id}"):
        return _one(jobs.batch, "batch_retrieved")
    if method == "POST" and path.endswith("/files"):
        not_served = claim.status is Status.UNSUPPORTED
        return _one(jobs.file_upload, "endpoint_not_served" if not_served else "file_uploaded")
    if method == "GET" and path.endswith("/content") and "/files/" in path and claim.status is Status.UNSUPPORTED:
        return Untestable(_NO_DOWNLOADABLE_FILE)
    return None


def _openai_request(claim: Claim) -> Plan:
    field, status = claim.field, claim.status
    batch_field = _openai_batch_field(claim)
    if batch_field is not None:
        return batch_field
    if status is Status.EXCLUSIVE:
        return _one(oai.exclusive, "exclusive_rejected")
    if status is Status.MAPPED and field == "reasoning_effort":
        return _one(oai.reasoning_effort_mapping, "mapped_inputs_accepted")
    if field.startswith("extra_body.thinking"):
        return _one(oai.thinking, "accepted")
    if field.startswith("extra_body.google.thinking_config"):
        check = "thoughts_visible" if field.endswith("include_thoughts") else "accepted"
        return _one(oai.google_thinking, check)
    if status is Status.REQUIRED:
        variants = _one(oai.without_field, "required")
        if claim.params.get("min_items") and "." not in field:
            variants.append(Variant("empty", "rejected", probe=oai.empty_list))  # negative control: [] -> 4xx
        return variants
    if field == "model" and status is Status.PARTIAL and "model names only" in str(claim.params.get("restriction")):
        return _one(oai.foreign_model, "own_model_names_only")
    if field.startswith("response_format.") and status in (Status.SUPPORTED, Status.PARTIAL):
        return _one(oai.response_format, "accepted")
    if status in (Status.SUPPORTED, Status.PARTIAL):
        if field in ("max_tokens", "max_completion_tokens"):
            return _one(oai.max_tokens, "max_tokens_effect")
        if field == "stop":
            return _one(oai.stop, "stop_effect")
        if field == "stream":
            return [
                Variant("sync", "stream_sse", probe=oai.stream),
                Variant("async", "stream_sse", async_probe=oai.stream_async),
            ]
        if field.startswith("stream_options"):
            return _one(oai.stream, "stream_usage")
        if field == "parallel_tool_calls":
            return _one(oai.parallel_tool_calls, "at_most_one_tool_call")
        if field in ("tools", "tool_choice"):
            return _one(oai.tools, "tool_calls")
        if field in ("model", "messages"):
            return _one(oai.basic, "accepted")
        if field == "logprobs":
            return _one(oai.logprobs, "logprobs_returned")
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
    variants = _one(oai.with_field, by_status[status])
    if isinstance(claim.params.get("enum"), list):
        variants.append(Variant("invalid-enum", "rejected", probe=oai.invalid_enum))  # negative control: 4xx
    return variants


def _openai(claim: Claim) -> Plan:
    loc, field, status = claim.location, claim.field, claim.status
    if loc is Location.REQUEST:
        return _openai_request(claim)
    if loc is Location.TOOL:
        if status is Status.REQUIRED:
            return _one(oai.without_field, "required")
        if field.startswith("tools"):
            return _one(oai.tools, "accepted" if status is Status.IGNORED else "tool_calls")
        return (
            _one(oai.tools, "tool_calls") if field == "tool_choice" else Untestable(f"no probe for tool field {field}")
        )
    if loc is Location.MESSAGE:
        if "input_audio" in field:
            return (
                _one(oai.audio_input, "accepted")
                if status is not Status.UNSUPPORTED or claim.params.get("effect") == "dropped"
                else Untestable("effect unspecified")
            )
        if "image_url" in field:
            return _one(oai.image_input, "accepted")
        if field == "messages[].role":
            return _one(oai.message_role, "accepted")
        if field == "messages[].content[].text":
            return _one(oai.text_parts, "accepted")
        return Untestable(f"no probe for message field {field} yet")
    if loc is Location.RESPONSE:
        check = _RESPONSE_CHECK.get(status)
        if check is None:
            return Untestable(f"status {status.value} of a response field has no check yet")
        if field in _FINISHED_BATCH_FIELDS:
            return Untestable(
                f"{field} is set on a finished batch only, which takes up to 24 h; no probe waits that long"
            )
        if "tool_calls" in field:
            return _one(oai.tools, check)
        if field.endswith("message.reasoning_content"):
            return _one(oai.thinking, check)  # thinking text comes back here, if anywhere: ask for thinking
        if field.startswith("data[]") or field.startswith("data."):
            return _one(oai.embeddings, check)
        if field.endswith("message.audio"):
            return _one(oai.audio_output, check)
        if "logprobs" in field:
            return _one(oai.logprobs, check)
        return _one(oai.basic, check)
    if loc is Location.STREAM:
        check = "stream_usage" if "usage" in field else "stream_sse"
        return [Variant("sync", check, probe=oai.stream), Variant("async", check, async_probe=oai.stream_async)]
    if loc is Location.USAGE:
        if status is Status.ALWAYS_EMPTY:
            return _one(oai.basic, "usage_empty")
        return _one(oai.basic, "usage_field")
    if loc is Location.HEADER:
        if field.lower() in _ONLY_ON_ERRORS:
            return Untestable(_ONLY_ON_ERRORS[field.lower()])
        check = _HEADER_CHECK.get(status)
        probe = oai.basic_and_error if claim.params.get("every_response") else oai.basic
        return _one(probe, check) if check else Untestable(f"status {status.value} of a header has no check yet")
    if loc is Location.REQUEST_HEADER:
        if status is Status.REQUIRED:
            return _one(oai.without_header, "required")
        if field.lower() == "authorization":
            return _one(oai.no_credentials, "bearer_auth")  # with the negative control: no credentials -> 401
        if field.lower() == "content-type":
            return _one(oai.basic, "header_sent_and_accepted")
        return Untestable(f"{field} needs the key owner's own id, which no probe knows")
    if loc is Location.ERROR:
        return _error_probe(claim, oai.wrong_key, oai.unknown_model, oai.invalid_parameter)
    if loc is Location.ENDPOINT:
        path = field.split(" ", 1)[-1]
        if path.endswith("chat/completions") and field.startswith("POST"):
            return _sync_async_stream(oai.chat_at, oai.chat_at_async, oai.stream_at, "endpoint_ok")
        if path.rstrip("/").endswith("/models") and field.startswith("GET"):
            return _one(oai.models_list, "endpoint_ok")
        if "/models/" in path and field.startswith("GET"):
            return _one(oai.models_retrieve, "endpoint_ok")
        if path.endswith("embeddings"):
            return _one(oai.embeddings, "endpoint_ok")
        job = _openai_job_endpoint(claim)
        return job if job is not None else Untestable(f"no probe for {field} yet")
    if loc is Location.BEHAVIOR:
        if field == "prompt_caching" and status is Status.UNSUPPORTED:
            return _one(oai.prompt_caching, "prompt_not_cached")
        if field == "thought_signatures":
            return _one(oai.thought_signatures, "thought_signatures")
        if status is Status.PARTIAL:
            return Untestable(
                f"the doc states it for some cases without naming them: {claim.params.get('restriction')}"
            )
        if field == "base_url":
            return _one(oai.basic, "endpoint_ok")
        return Untestable(f"no probe isolates this behaviour yet: {claim.field}")
    if loc is Location.AUTH and field == "api_key":
        return _one(oai.basic, "accepted")
    return Untestable(_NOT_OBSERVABLE.get(loc, f"no probe for location {loc.value}"))


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
        return _one(ajobs.oversized_batch, "too_large")
    if field == "POST /v1/files":
        return _one(ajobs.oversized_file, "too_large")
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
    check = "anthropic_response_one_of" if one_of else _RESPONSE_CHECK.get(claim.status)
    if check is None:
        return Untestable(f"status {claim.status.value} has no check yet")
    listed = claim.field.startswith("data[].") or claim.field in _MODEL_LIST_FIELDS
    return _one(anth.models_list if listed else anth.basic, check)


def _anthropic(claim: Claim) -> Plan:
    loc, field, status = claim.location, claim.field, claim.status
    if loc in (Location.REQUEST, Location.REQUEST_HEADER) and status is Status.REQUIRED:
        return _one(anth.without_header if loc is Location.REQUEST_HEADER else anth.without_field, "required")
    if loc is Location.ENDPOINT and field == "POST /v1/messages":
        return _sync_async_stream(anth.basic, anth.basic_async, anth.stream, "endpoint_ok")
    if (loc, field) in _ANTHROPIC_PROBES:
        return _one(*_ANTHROPIC_PROBES[(loc, field)])
    if loc is Location.ENDPOINT:
        job = _ANTHROPIC_JOB_ENDPOINTS.get(field)
        return _one(*job) if job else Untestable(f"no probe for {field} yet")
    if loc in (Location.REQUEST, Location.MESSAGE, Location.TOOL):
        return Untestable(f"no probe for {loc.value} field {field} yet")
    if loc is Location.RESPONSE:
        return _anthropic_response(claim)
    if loc is Location.STREAM:
        return Untestable(_STREAM_ERROR) if field == "error" else _one(anth.stream, "anthropic_stream_grammar")
    if loc is Location.USAGE:
        return _one(anth.basic, "usage_field")
    if loc is Location.HEADER:
        if field.lower() in _ONLY_ON_ERRORS:
            return Untestable(_ONLY_ON_ERRORS[field.lower()])
        check = _HEADER_CHECK.get(status)
        return _one(anth.basic, check) if check else Untestable(f"status {status.value} has no check yet")
    if loc is Location.ERROR:
        return _error_probe(claim, anth.wrong_key, anth.unknown_model, anth.invalid_request)
    if loc is Location.LIMIT and claim.params.get("unit") == "bytes":
        return _anthropic_size_limit(claim)
    if loc is Location.BEHAVIOR and field == "prompt_caching":
        return _one(anth.prompt_caching, "accepted")
    if loc is Location.AUTH and field == "x-api-key":
        return _one(anth.basic, "header_sent_and_accepted")
    if loc is Location.AUTH and field == "api_key":
        return _one(anth.basic, "accepted")
    return Untestable(_NOT_OBSERVABLE.get(loc, f"no probe for {loc.value} claims of the native API yet"))


_GEMINI_ENDPOINTS: dict[str, list[Variant]] = {
    "POST /v1beta/models/{model}:generateContent": _sync_async_stream(
        gem.basic, gem.basic_async, gem.stream, "endpoint_ok"
    ),
    "POST /v1beta/models/{model}:streamGenerateContent": [
        Variant("sync", "gemini_stream_endpoint", probe=gem.stream),
        Variant("async", "gemini_stream_endpoint", async_probe=gem.stream_async),
    ],
    "POST /v1beta/models/{model}:countTokens": _one(gem.count_tokens, "endpoint_ok"),
    "POST /v1beta/models/{model}:embedContent": _one(gem.embed_one, "endpoint_ok"),
    "POST /v1beta/models/{model}:batchEmbedContents": _one(gem.embed_batch, "endpoint_ok"),
    "GET /v1beta/models": _one(gem.models_list, "endpoint_ok"),
    "GET /v1beta/models/{model}": _one(gem.models_get, "endpoint_ok"),
}
_GEMINI_FIELDS: dict[tuple[Location, str], tuple[SyncProbe, str]] = {
    (Location.REQUEST, "contents[]"): (gem.without_contents, "required"),
    (Location.REQUEST, "system_instruction"): (gem.system_instruction, "system_reaches_model"),
    (Location.REQUEST, "safety_settings[]"): (gem.safety_settings, "accepted"),
    (Location.REQUEST, "generation_config.top_p"): (gem.with_config, "accepted"),
    (Location.REQUEST, "generation_config.top_k"): (gem.with_config, "accepted"),
    (Location.REQUEST, "generation_config.candidate_count"): (gem.candidate_count, "gemini_candidate_count"),
    (Location.REQUEST, "generation_config.max_output_tokens"): (gem.max_output_tokens, "gemini_max_output_tokens"),
    (Location.REQUEST, "generation_config.stop_sequences"): (gem.stop_sequences, "gemini_stop_sequences"),
    (Location.REQUEST, "generation_config.response_mime_type"): (gem.json_output, "gemini_json_output"),
    (Location.REQUEST, "generation_config.response_schema"): (gem.json_output, "gemini_json_output"),
    (Location.REQUEST, "thinking_config"): (gem.thinking, "accepted"),
    (Location.REQUEST, "thinking_config.thinking_level"): (gem.thinking, "accepted"),
    (Location.REQUEST, "thinking_config.thinking_budget"): (gem.thinking, "accepted"),
    (Location.REQUEST, "thinking_config.include_thoughts"): (gem.thinking, "gemini_thoughts"),
    (Location.TOOL, "tools[].function_declarations[]"): (gem.tools, "gemini_function_call"),
    (Location.TOOL, "tools[].function_declarations[].name"): (gem.tools, "gemini_function_call"),
    (Location.TOOL, "tools[].function_declarations[].parameters"): (gem.tools, "gemini_function_args"),
    (Location.TOOL, "tool_config.function_calling_config.mode"): (gem.calling_modes, "gemini_calling_modes"),
    (Location.TOOL, "tool_config.function_calling_config.allowed_function_names"): (
        gem.allowed_names,
        "gemini_function_call",
    ),
    (Location.MESSAGE, "contents[].parts[].text"): (gem.basic, "accepted"),
    (Location.MESSAGE, "contents[].parts[].inline_data"): (gem.inline_image, "accepted"),
    (Location.MESSAGE, "contents[].role"): (gem.roles, "accepted"),
    (Location.MESSAGE, "contents[].parts[].function_response"): (gem.function_response, "gemini_text_answer"),
    (Location.RESPONSE, "candidates[].finish_reason"): (gem.basic, "gemini_finish_reason"),
    (Location.RESPONSE, "candidates[].safety_ratings[]"): (gem.basic, "gemini_safety_ratings"),
    (Location.RESPONSE, "candidates[].index"): (gem.candidate_count, "gemini_candidate_index"),
    (Location.RESPONSE, "candidates[].content.parts[].function_call"): (gem.tools, "gemini_function_call"),
    (Location.RESPONSE, "candidates[].content.parts[].thought"): (gem.thinking, "gemini_thoughts"),
    (Location.RESPONSE, "total_tokens"): (gem.count_tokens, "gemini_response_field"),
    (Location.RESPONSE, "embedding.values[]"): (gem.embed_one, "gemini_embedding"),
    (Location.RESPONSE, "embeddings[]"): (gem.embed_batch, "gemini_embedding"),
    (Location.RESPONSE, "models[]"): (gem.models_list, "gemini_response_field"),
    (Location.RESPONSE, "models[].name"): (gem.models_list, "gemini_response_field"),
    (Location.RESPONSE, "models[].input_token_limit"): (gem.models_list, "gemini_response_field"),
    (Location.RESPONSE, "models[].output_token_limit"): (gem.models_list, "gemini_response_field"),
    (Location.RESPONSE, "models[].supported_generation_methods[]"): (gem.models_list, "gemini_response_field"),
    (Location.USAGE, "usage_metadata.thoughts_token_count"): (gem.thinking, "gemini_usage"),
    (Location.AUTH, "x-goog-api-key"): (gem.without_key, "required"),
    (Location.AUTH, "api_key"): (gem.basic, "accepted"),
}
"""(location, field) -> the probe and check of a native Gemini claim; locations have defaults below."""
_GEMINI_ERRORS: dict[int | None, SyncProbe] = {
    None: gem.unknown_model,  # the shape: any error will do
    400: gem.malformed_body,
    403: gem.no_key,
    404: gem.unknown_model,
}
"""Documented HTTP status -> the probe that provokes it (429, 500 and 503 cannot be provoked on purpose)."""
_GEMINI_UNTESTABLE = {
    "cached_content": (
        "needs a cachedContents resource made first (cachedContents.create, with the model's minimum token count, "
        "billed per hour of storage); no probe creates one yet"
    ),
}


def _gemini(claim: Claim) -> Plan:
    loc, field, status = claim.location, claim.field, claim.status
    if loc is Location.ENDPOINT:
        return _GEMINI_ENDPOINTS.get(field) or Untestable(f"no probe for {field} yet")
    if loc is Location.REQUEST and status is Status.LIMITED:
        if field in gem.OUT_OF_RANGE:
            return _one(gem.out_of_range, "gemini_limited")
        return Untestable(f"no out-of-range value for {field} yet")
    if field in _GEMINI_UNTESTABLE:
        return Untestable(_GEMINI_UNTESTABLE[field])
    if (loc, field) in _GEMINI_FIELDS:
        return _one(*_GEMINI_FIELDS[(loc, field)])
    if loc is Location.STREAM:
        return [
            Variant("sync", "gemini_sse_grammar", probe=gem.stream),
            Variant("async", "gemini_sse_grammar", async_probe=gem.stream_async),
        ]
    if loc is Location.ERROR:
        code = claim.params.get("status_code")
        probe = _GEMINI_ERRORS.get(code if isinstance(code, int) else None)
        if probe is None:
            return Untestable(f"HTTP {code} ({claim.params.get('status')}) cannot be provoked cheaply and on purpose")
        return _one(probe, "gemini_error")
    if loc is Location.REQUEST_HEADER:
        return _one(gem.basic, "header_sent_and_accepted")
    if loc is Location.RESPONSE and status in (Status.SUPPORTED, Status.PARTIAL):
        return _one(gem.basic, "gemini_response_field")
    if loc is Location.USAGE:
        return _one(gem.basic, "gemini_usage")
    return Untestable(_NOT_OBSERVABLE.get(loc, f"no probe for {loc.value} claims of the native API yet"))


PLANNERS: dict[Sdk, Callable[[Claim], Plan]] = {
    Sdk.OPENAI: _openai,
    Sdk.ANTHROPIC: _anthropic,
    Sdk.GOOGLE_GENAI: _gemini,
}
API_OF_SDK = {Sdk.OPENAI: "openai", Sdk.ANTHROPIC: "anthropic", Sdk.GOOGLE_GENAI: "gemini"}
"""The probe-name prefix (:data:`conformance.providers.registry.APIS`) of the probes that talk through each SDK."""


def _named(claim: Claim, name: str, sdk: Sdk) -> Plan:
    """The claim's own probe (its ``probe:`` key), with its ``check:`` or else the check the planner picks."""
    try:
        named = registry.get(name)
    except registry.UnknownProbe as exc:
        return Untestable(str(exc))
    if named.api != API_OF_SDK[sdk]:
        return Untestable(f"probe {name!r} talks to the {named.api} API, not through the {sdk.value} SDK")
    check = claim.check
    if check is None:
        planned = PLANNERS[sdk](claim)
        if isinstance(planned, Untestable) or not planned:
            why = f" ({planned.reason})" if isinstance(planned, Untestable) else ""
            return Untestable(f"names probe {name!r} but no check, and the planner picks none for it{why}")
        check = planned[0].check
    return [
        Variant("async", check, async_probe=named.async_)
        if named.async_ is not None
        else Variant("sync", check, probe=named.sync)
    ]


def plan(claim: Claim, sdk: Sdk) -> Plan:
    """The variants that probe ``claim`` through ``sdk``, or why it cannot be probed (an undocumented claim is
    probed as its reference documents it)."""
    claim = claim.as_documented
    if claim.location is Location.PLATFORM:
        return Untestable(_NOT_OBSERVABLE[Location.PLATFORM])
    if claim.probe is not None:
        return _named(claim, claim.probe, sdk)
    result = PLANNERS[sdk](claim)
    if claim.check and isinstance(result, list):
        return [Variant(v.name, claim.check, v.probe, v.async_probe) for v in result]
    return result
