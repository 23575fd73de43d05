"""The planner of the Gemini API (v1beta generateContent family): which registered probe and which check show a
claim true or false."""

from __future__ import annotations

from conformance.providers.gemini import probes as gem
from conformance.providers.registry import SyncProbe
from conformance.run.plan import (
    NOT_OBSERVABLE,
    Plan,
    Untestable,
    Variant,
    one,
    sync_async_stream,
)
from conformance.spec.model import Claim, Location, Status

_GEMINI_ENDPOINTS: dict[str, list[Variant]] = {
    "POST /v1beta/models/{model}:generateContent": sync_async_stream(
        gem.basic, gem.basic_async, gem.stream, "endpoint_ok"
    ),
    "POST /v1beta/models/{model}:streamGenerateContent": [
        Variant("sync", "gemini_stream_endpoint", probe=gem.stream),
        Variant("async", "gemini_stream_endpoint", async_probe=gem.stream_async),
    ],
    "POST /v1beta/models/{model}:countTokens": one(gem.count_tokens, "endpoint_ok"),
    "POST /v1beta/models/{model}:embedContent": one(gem.embed_one, "endpoint_ok"),
    "POST /v1beta/models/{model}:batchEmbedContents": one(gem.embed_batch, "endpoint_ok"),
    "GET /v1beta/models": one(gem.models_list, "endpoint_ok"),
    "GET /v1beta/models/{model}": one(gem.models_get, "endpoint_ok"),
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


def plan_gemini(claim: Claim) -> Plan:
    loc, field, status = claim.location, claim.field, claim.status
    if loc is Location.ENDPOINT:
        return _GEMINI_ENDPOINTS.get(field) or Untestable(f"no probe for {field} yet")
    if loc is Location.REQUEST and status is Status.LIMITED:
        if field in gem.OUT_OF_RANGE:
            return one(gem.out_of_range, "gemini_limited")
        return Untestable(f"no out-of-range value for {field} yet")
    if field in _GEMINI_UNTESTABLE:
        return Untestable(_GEMINI_UNTESTABLE[field])
    if (loc, field) in _GEMINI_FIELDS:
        return one(*_GEMINI_FIELDS[(loc, field)])
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
        return one(probe, "gemini_error")
    if loc is Location.REQUEST_HEADER:
        return one(gem.basic, "header_sent_and_accepted")
    if loc is Location.RESPONSE and status in (Status.SUPPORTED, Status.PARTIAL):
        return one(gem.basic, "gemini_response_field")
    if loc is Location.USAGE:
        return one(gem.basic, "gemini_usage")
    return Untestable(NOT_OBSERVABLE.get(loc, f"no probe for {loc.value} claims of the native API yet"))
