"""Checks on the native Gemini API (generateContent and its siblings), read from the raw exchange.

Spec fields are written in the SDK's snake_case (``usage_metadata.prompt_token_count``); the API answers in
camelCase (``usageMetadata.promptTokenCount``), which is what these checks read, because google-genai drops the
fields it does not know.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote, urlsplit

from conformance.checks.registry import (
    MISSING,
    cannot_tell,
    fail,
    register,
    require_ok,
    require_rejected,
    resolve,
)
from conformance.exchange.model import Call, Observation, SseEvent
from conformance.spec.model import Claim

FINISH_REASONS = frozenset(
    {
        "FINISH_REASON_UNSPECIFIED", "STOP", "MAX_TOKENS", "SAFETY", "RECITATION", "LANGUAGE", "OTHER", "BLOCKLIST",
        "PROHIBITED_CONTENT", "SPII", "MALFORMED_FUNCTION_CALL",
        # added to the enum after the reference copy the spec quotes (google-genai's FinishReason)
        "IMAGE_SAFETY", "UNEXPECTED_TOOL_CALL", "TOO_MANY_TOOL_CALLS", "IMAGE_PROHIBITED_CONTENT", "NO_IMAGE",
        "IMAGE_RECITATION", "IMAGE_OTHER",
    }
)  # fmt: skip
"""The documented FinishReason values."""


def camel(path: str) -> str:
    """``usage_metadata.prompt_token_count`` -> ``usageMetadata.promptTokenCount`` (``[]`` kept)."""
    return re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), path)


def _call(obs: Observation, label: str) -> Call:
    try:
        return obs.call(label)
    except KeyError:
        cannot_tell(f"the exchange has no {label!r} request (a recording holds one request, this check needs several)")


def _candidates(body: dict[str, Any]) -> list[dict[str, Any]]:
    found = body.get("candidates")
    return [c for c in found if isinstance(c, dict)] if isinstance(found, list) else []


def _parts(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in resolve(body, "candidates[].content.parts[]") if isinstance(p, dict)]


def answer_text(body: dict[str, Any]) -> str:
    """The answer's text: every text part that is not a thought, joined."""
    return "".join(p["text"] for p in _parts(body) if isinstance(p.get("text"), str) and not p.get("thought"))


def function_calls(body: dict[str, Any]) -> list[dict[str, Any]]:
    calls = [p.get("functionCall", p.get("function_call")) for p in _parts(body)]
    return [c for c in calls if isinstance(c, dict)]


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


@register("gemini_response_field")
def gemini_response_field(claim: Claim, obs: Observation) -> None:
    """The field is in the answer, not null; a field ending in ``[]`` is a non-empty list."""
    body = require_ok(obs.main, f"the {obs.main.label} request")
    path = camel(claim.field)
    if path.endswith("[]"):
        lists = resolve(body, path[:-2])
        if not lists or any(not isinstance(v, list) or not v for v in lists):
            fail(f"{path[:-2]} should be a non-empty list, got {str(lists[0] if lists else MISSING)[:120]}")
        return
    values = resolve(body, path)
    present = [v for v in values if v is not MISSING and v is not None]
    if "[]" in path and values and not present and function_calls(body):
        cannot_tell(f"the answer holds only function calls, no part where {path} could be")
    if not present or ("[]" not in path and len(present) < len(values)):
        # parts[] fan out over every part: a functionCall or thought-signature part has no text, the field is
        # there when some part has it (the docs read parts[0].text)
        fail(f"{path} ({claim.field}) is documented but is {values[0] if values else MISSING!r} in the answer")


_USAGE_PARTS = ("promptTokenCount", "candidatesTokenCount", "thoughtsTokenCount", "toolUsePromptTokenCount")


@register("gemini_usage")
def gemini_usage(claim: Claim, obs: Observation) -> None:
    """A usageMetadata count is a non-negative integer; totalTokenCount is the sum of its parts."""
    body = require_ok(obs.main, f"the {obs.main.label} request")
    found = body.get("usageMetadata")
    usage: dict[str, Any] = found if isinstance(found, dict) else {}
    name = camel(claim.field).rsplit(".", 1)[-1]
    if not _is_count(usage.get(name)):
        fail(f"usageMetadata.{name} should be a non-negative integer, got {usage.get(name, MISSING)!r}: {usage}")
    if name == "totalTokenCount":
        parts = {k: usage.get(k, 0) for k in _USAGE_PARTS}
        if all(_is_count(v) for v in parts.values()) and usage[name] != sum(parts.values()):
            fail(f"totalTokenCount {usage[name]} is not the sum of {parts} ({sum(parts.values())})")


@register("gemini_finish_reason")
def gemini_finish_reason(claim: Claim, obs: Observation) -> None:
    """Every candidate of a finished answer has a documented finishReason."""
    body = require_ok(obs.main, f"the {obs.main.label} request")
    candidates = _candidates(body)
    if not candidates:
        fail(f"the answer has no candidates: {json.dumps(body)[:200]}")
    for i, candidate in enumerate(candidates):
        reason = candidate.get("finishReason")
        if reason not in FINISH_REASONS:
            fail(f"candidates[{i}].finishReason is {reason!r}, not one of the documented reasons")


@register("gemini_safety_ratings")
def gemini_safety_ratings(claim: Claim, obs: Observation) -> None:
    """Where safetyRatings come back: each has a category and a probability, at most one rating per category."""
    body = require_ok(obs.main, f"the {obs.main.label} request")
    lists: list[Any] = [c["safetyRatings"] for c in _candidates(body) if c.get("safetyRatings") is not None]
    if not lists:
        cannot_tell("the answer carries no safetyRatings, and the reference does not say they are always sent")
    for ratings in lists:
        if not isinstance(ratings, list):
            fail(f"safetyRatings should be a list, got {ratings!r}")
            return
        categories = [r.get("category") if isinstance(r, dict) else None for r in ratings]
        for rating in ratings:
            if not isinstance(rating, dict) or not rating.get("category") or not rating.get("probability"):
                fail(f"a safety rating lacks its category or probability: {rating!r}")
        if len(set(categories)) != len(categories):
            fail(f"more than one rating for a category: {categories}")


@register("gemini_candidate_count")
def gemini_candidate_count(claim: Claim, obs: Observation) -> None:
    body = require_ok(obs.main, f"a request with candidate_count={obs.values.get('candidate_count')}")
    wanted = obs.values.get("candidate_count", 1)
    got = len(_candidates(body))
    if got != wanted:
        fail(f"candidate_count={wanted} but {got} candidate(s) came back")


@register("gemini_candidate_index")
def gemini_candidate_index(claim: Claim, obs: Observation) -> None:
    """Each candidate's index is its place in the list (a first candidate without one reads as 0)."""
    body = require_ok(obs.main, f"a request with candidate_count={obs.values.get('candidate_count')}")
    candidates = _candidates(body)
    if len(candidates) < 2:
        cannot_tell(f"only {len(candidates)} candidate came back, so indexes say little")
    indexes = [c.get("index", 0 if i == 0 else MISSING) for i, c in enumerate(candidates)]
    if indexes != list(range(len(candidates))):
        fail(f"candidates[].index should be 0..{len(candidates) - 1}, got {indexes}")


@register("gemini_max_output_tokens")
def gemini_max_output_tokens(claim: Claim, obs: Observation) -> None:
    """A small max_output_tokens stops a long answer: finishReason MAX_TOKENS, candidatesTokenCount within it."""
    limit = obs.values.get("max_output_tokens")
    body = require_ok(obs.main, f"max_output_tokens={limit}")
    used = (body.get("usageMetadata") or {}).get("candidatesTokenCount")
    if isinstance(limit, int) and isinstance(used, int) and used > limit:
        fail(f"max_output_tokens={limit} but usageMetadata.candidatesTokenCount={used}")
    reasons = [c.get("finishReason") for c in _candidates(body)]
    if reasons != ["MAX_TOKENS"]:
        fail(f"max_output_tokens={limit} on a 20-number count should end with finishReason MAX_TOKENS, got {reasons}")


@register("gemini_stop_sequences")
def gemini_stop_sequences(claim: Claim, obs: Observation) -> None:
    """The answer ends before the stop sequence, which is not in it; finishReason STOP."""
    stops = obs.values.get("stop_sequences") or []
    body = require_ok(obs.main, f"stop_sequences={stops}")
    text = answer_text(body)
    if not text.strip():
        fail(f"stop_sequences={stops}: no text came back")
    hit = [s for s in stops if s in text]
    if hit:
        fail(f"stop_sequences={stops} but the answer contains {hit[0]!r}: {text[:120]!r}")
    reasons = [c.get("finishReason") for c in _candidates(body)]
    if reasons != ["STOP"]:
        fail(f"a stop sequence should end with finishReason STOP, got {reasons}")


def error_of(call: Call) -> dict[str, Any]:
    response = call.response
    body = response.json if response is not None else None
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def shape_problem(call: Call) -> str | None:
    """None when the body is ``{"error": {"code": <the HTTP status>, "message": str, "status": str}}``."""
    response = call.response
    assert response is not None
    body = response.json
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        return f"the body is not {{'error': {{...}}}}: {response.body[:200]!r}"
    error = body["error"]
    if error.get("code") != response.status:
        return f"error.code is {error.get('code')!r}, the HTTP status {response.status}"
    if not isinstance(error.get("message"), str) or not error["message"]:
        return f"error.message should be a non-empty string, got {error.get('message')!r}"
    if not isinstance(error.get("status"), str) or not error["status"]:
        return f"error.status should be a canonical code name, got {error.get('status')!r}"
    return None


@register("gemini_error")
def gemini_error(claim: Claim, obs: Observation) -> None:
    """A 4xx in the documented shape, with the claim's HTTP status and error.status."""
    call = obs.main
    status = require_rejected(call, f"the {call.label} request")
    expected = claim.params.get("status_code")
    if expected is not None and status != expected:
        fail(f"expected HTTP {expected}, got {status}: {call.response.body[:200] if call.response else ''}")
    problem = shape_problem(call)
    if problem:
        fail(f"the error body is not in the documented shape: {problem}")
    name = claim.params.get("status")
    if name is not None and error_of(call).get("status") != name:
        fail(f"error.status should be {name!r}, got {error_of(call).get('status')!r}")


@register("gemini_limited")
def gemini_limited(claim: Claim, obs: Observation) -> None:
    """Beyond the documented limit: refused with the documented status in the error shape; within it: accepted."""
    over = _call(obs, "over-limit")
    value = obs.values.get(claim.field)
    status = require_rejected(over, f"{claim.field}={value!r} (the documented limit is {claim.params.get('max')})")
    expected = claim.params.get("error_status")
    if expected is not None and status != expected:
        fail(f"{claim.field}={value!r} was refused with HTTP {status}, the doc says {expected}")
    problem = shape_problem(over)
    if problem:
        fail(f"the refusal of {claim.field}={value!r} is not in the documented shape: {problem}")
    name = claim.params.get("error_type")
    if name is not None and error_of(over).get("status") != name:
        fail(f"{claim.field}={value!r}: error.status should be {name!r}, got {error_of(over).get('status')!r}")
    require_ok(_call(obs, "within-limit"), f"{claim.field}={obs.values.get('within')!r} (within the limit)")


@register("gemini_json_output")
def gemini_json_output(claim: Claim, obs: Observation) -> None:
    """response_mime_type application/json: the text parses as JSON; with a schema, its required keys are there."""
    body = require_ok(obs.main, "a request with response_mime_type application/json")
    text = answer_text(body)
    try:
        data = json.loads(text)
    except ValueError:
        fail(f"response_mime_type application/json but the text is not JSON: {text[:160]!r}")
        return
    required = obs.values.get("required_keys") or []
    missing = [k for k in required if not isinstance(data, dict) or k not in data]
    if missing:
        fail(f"the schema requires {required} but the JSON lacks {missing}: {text[:160]!r}")


@register("gemini_function_call")
def gemini_function_call(claim: Claim, obs: Observation) -> None:
    """A functionCall part comes back, naming a declared (and allowed) function, with object args."""
    body = require_ok(obs.main, f"the {obs.main.label} request")
    calls = function_calls(body)
    if not calls:
        fail(f"function calling was forced (mode ANY) but no functionCall part came back: {answer_text(body)[:120]!r}")
    allowed = obs.values.get("tools")
    for call in calls:
        if allowed is not None and call.get("name") not in allowed:
            fail(f"functionCall names {call.get('name')!r}, which is not among {allowed}")
        if not isinstance(call.get("args", {}), dict):
            fail(f"functionCall.args should be an object: {call!r}")


@register("gemini_function_args")
def gemini_function_args(claim: Claim, obs: Observation) -> None:
    """A functionCall's args hold the declared required parameters and nothing undeclared."""
    gemini_function_call(claim, obs)
    body = require_ok(obs.main)
    declared: dict[str, Any] = obs.values.get("parameters") or {}
    for call in function_calls(body):
        schema = declared.get(str(call.get("name")), {})
        args = call.get("args") or {}
        lacking = [p for p in schema.get("required", []) if p not in args]
        extra = [a for a in args if a not in schema.get("properties", {})]
        if lacking or extra:
            fail(f"functionCall {call.get('name')!r} args {args} lack {lacking} or add undeclared {extra}")


@register("gemini_calling_modes")
def gemini_calling_modes(claim: Claim, obs: Observation) -> None:
    """Mode ANY calls a function, NONE answers in text without one, AUTO is accepted."""
    require_ok(_call(obs, "AUTO"), "mode AUTO")
    forced = require_ok(_call(obs, "ANY"), "mode ANY")
    if not function_calls(forced):
        fail(f"mode ANY should always predict a function call, got text {answer_text(forced)[:120]!r}")
    off = require_ok(_call(obs, "NONE"), "mode NONE")
    if function_calls(off):
        fail(f"mode NONE should predict no function call, got {function_calls(off)}")


@register("gemini_text_answer")
def gemini_text_answer(claim: Claim, obs: Observation) -> None:
    """The request is accepted and the model answers with text."""
    body = require_ok(obs.main, f"the {obs.main.label} request")
    if not answer_text(body).strip():
        fail(f"no text came back (parts: {str(_parts(body))[:200]})")


def _vector(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, int | float) for v in value)


@register("gemini_embedding")
def gemini_embedding(claim: Claim, obs: Observation) -> None:
    """embedContent: embedding.values is a vector; batchEmbedContents: one vector per input, of one length."""
    body = require_ok(obs.main, f"the {obs.main.label} request")
    if "embedding" in body:
        if not _vector((body.get("embedding") or {}).get("values")):
            fail(f"embedding.values should be a non-empty list of numbers: {str(body)[:160]}")
        return
    rows = body.get("embeddings")
    if not isinstance(rows, list) or not rows:
        fail(f"the answer has neither embedding nor embeddings: {str(body)[:160]}")
        return
    vectors = [r.get("values") if isinstance(r, dict) else None for r in rows]
    if not all(_vector(v) for v in vectors):
        fail(f"every embeddings[].values should be a non-empty list of numbers: {str(rows)[:160]}")
    wanted = obs.values.get("inputs")
    if wanted is not None and len(vectors) != wanted:
        fail(f"{wanted} inputs were embedded but {len(vectors)} embeddings came back")
    if len({len(v) for v in vectors if isinstance(v, list)}) > 1:
        fail(f"the embeddings differ in length: {[len(v) for v in vectors if isinstance(v, list)]}")


@register("gemini_stream_endpoint")
def gemini_stream_endpoint(claim: Claim, obs: Observation) -> None:
    """streamGenerateContent answers 2xx with "a stream of GenerateContentResponse instances": SSE events of JSON
    objects with ?alt=sse, else one JSON array of objects."""
    for call in obs.calls:
        require_ok(call, f"{claim.field} ({call.label})")
        response = call.response
        assert response is not None
        if response.is_sse:
            found: Any = [_event_json(i, e) for i, e in enumerate(response.events)]
        else:
            found = response.json
        if not isinstance(found, list) or not found or not all(isinstance(c, dict) for c in found):
            fail(f"{claim.field} should answer a stream of GenerateContentResponse objects: {response.body[:160]!r}")


def _event_json(index: int, event: SseEvent) -> dict[str, Any]:
    try:
        data = event.json()
    except ValueError:
        fail(f"SSE event {index} is not JSON: {event.data[:120]!r}")
    if not isinstance(data, dict):
        fail(f"SSE event {index} should be one GenerateContentResponse object, got {type(data).__name__}")
    if "error" in data:
        fail(f"SSE event {index} is an error, not a GenerateContentResponse: {event.data[:160]!r}")
    chunk: dict[str, Any] = data
    return chunk


@register("gemini_sse_grammar")
def gemini_sse_grammar(claim: Claim, obs: Observation) -> None:
    """streamGenerateContent?alt=sse: every event one GenerateContentResponse; finishReason on the last event's
    candidate and on no earlier one; usageMetadata in the last event."""
    call = obs.main
    response = call.response
    request = call.attempts[-1].request if call.attempts else None
    if request is not None and "alt=sse" not in request.url:
        query = unquote(urlsplit(request.url).query) or "no query string"
        cannot_tell(f"the request did not ask for alt=sse ({query[:60]}): the answer is a JSON array, not SSE events")
    require_ok(call, "the streamed request")
    assert response is not None
    if not response.is_sse:
        fail(f"alt=sse should answer text/event-stream, got {response.headers.get('content-type')!r}")
    events = response.events
    if not events:
        fail("the stream has no events")
    chunks = [_event_json(i, e) for i, e in enumerate(events)]
    last = len(chunks) - 1
    for i, chunk in enumerate(chunks):
        for candidate in _candidates(chunk):
            if i < last and candidate.get("finishReason"):
                fail(
                    f"SSE event {i} of {len(chunks)} carries finishReason {candidate['finishReason']!r}, but more "
                    f"events follow; expected it on the last event only"
                )
    finals = _candidates(chunks[last])
    if not finals or any(not c.get("finishReason") for c in finals):
        fail(f"the last SSE event ({last}) should carry the candidate's finishReason: {events[last].data[:200]!r}")
    if not isinstance(chunks[last].get("usageMetadata"), dict):
        fail(f"the last SSE event ({last}) should carry usageMetadata: {events[last].data[:200]!r}")
