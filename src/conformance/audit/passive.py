"""Passive checks: judge a claim against one exchange someone else recorded, with the same checks as the probes.

A check applies to a recorded exchange only when the recorded request holds what the check needs (the field was
sent, a stream was asked for, the key was wrong) and the response shows the outcome. The probe a claim is planned
with (:mod:`conformance.run.plan`) says which request the check needs; :data:`NEEDS`, keyed on the probe's registered
name (:mod:`conformance.providers.registry`), turns that into a test on the recorded request. Values the source
redacted are "unknown", never evidence either way. A documented response header absent from the recording is graded
(:mod:`conformance.audit.absence`): evidence when the recorder plainly kept the response's headers, "unknown" when it kept
none, a filtered subset, or drops that header by name.

Error claims bear on the recorded errors the doc ties them to: the claim's status, and its error code where it
names one (else its error type), so a rate-limit 429 is judged against the rate-limit claim, not against
``insufficient_quota`` (another 429).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from conformance.audit.absence import absence_message, unknown_reason
from conformance.checks import CHECKS, ConformanceFailure
from conformance.checks.gemini_native import camel
from conformance.checks.registry import MISSING, CouldNotTell, resolve
from conformance.exchange.model import Attempt, Call, Observation, RecordedRequest
from conformance.results.model import StrEnum
from conformance.run.plan import Untestable, plan
from conformance.spec.model import Claim, Location, Sdk, Status

PLACEHOLDER = re.compile(
    r"(redact|placeholder|dummy|filtered|<[a-z_ -]+>|\*{3,}|x{6,}|[-_]x{3,}$|^test$|^fake)", re.IGNORECASE
)
"""What sources put where they removed a real value (``<REDACTED>``, ``DUMMY``, ``***``, ``xxxxxxx``)."""


class Judged(StrEnum):
    """A claim's verdict on one recorded exchange (the audit maps it to a record's :class:`Outcome`)."""

    PASS = "pass"
    FAIL = "fail"
    UNKNOWN = "unknown"  # could not tell from this recording
    ERROR = "error"  # the check crashed (a bug of ours)


@dataclass(frozen=True, slots=True)
class Verdict:
    outcome: Judged
    check: str
    message: str = ""


def _body(request: RecordedRequest) -> dict[str, Any]:
    data = request.json
    return data if isinstance(data, dict) else {}


def _is_chat(request: RecordedRequest) -> bool:
    return request.method == "POST" and request.path.rstrip("/").endswith("/chat/completions")


def _chat(request: RecordedRequest) -> bool:
    return _is_chat(request) and not _body(request).get("stream")


def _chat_stream(request: RecordedRequest) -> bool:
    return _is_chat(request) and bool(_body(request).get("stream"))


def _messages(request: RecordedRequest) -> bool:
    return request.method == "POST" and request.path.rstrip("/").endswith("/v1/messages")


def _native_message(request: RecordedRequest) -> bool:
    return _messages(request) and not _body(request).get("stream")


def _native_stream(request: RecordedRequest) -> bool:
    return _messages(request) and bool(_body(request).get("stream"))


def _server_tool(request: RecordedRequest) -> bool:
    """The Messages request declares a server tool (``{"type": "web_search_20250305", ...}``), not a client tool."""
    tools = _body(request).get("tools")
    return isinstance(tools, list) and any(
        isinstance(t, dict) and str(t.get("type", "custom")) not in ("custom", "function") for t in tools
    )


def _generate(request: RecordedRequest) -> bool:
    return request.method == "POST" and request.path.endswith(":generateContent")


def _generate_stream(request: RecordedRequest) -> bool:
    return request.method == "POST" and request.path.endswith(":streamGenerateContent")


def _suffix(suffix: str) -> Callable[[RecordedRequest], bool]:
    return lambda request: request.path.rstrip("/").endswith(suffix)


Need = Callable[[Claim, RecordedRequest], bool]


def _gemini_sent(claim: Claim, request: RecordedRequest) -> bool:
    """The recorded native Gemini request carries the claim's field (REST camelCase, or the snake_case spelling)."""
    body = _body(request)
    return any(v is not MISSING for path in (camel(claim.field), claim.field) for v in resolve(body, path))


def _has_field(claim: Claim, request: RecordedRequest) -> bool:
    return any(v is not MISSING for v in resolve(_body(request), claim.field))


NEEDS: dict[str, Need] = {
    "openai.basic": lambda c, r: _chat(r),
    "openai.basic_async": lambda c, r: _chat(r),
    "openai.basic_and_error": lambda c, r: _chat(r),
    "openai.no_credentials": lambda c, r: _chat(r),  # the recorded request carried its key; no negative control here
    "openai.chat_at": lambda c, r: _chat(r),
    "openai.chat_at_async": lambda c, r: _chat(r),
    "openai.stream": lambda c, r: _chat_stream(r),
    "openai.stream_async": lambda c, r: _chat_stream(r),
    "openai.with_field": lambda c, r: _chat(r) and _has_field(c, r),
    "openai.max_tokens": lambda c, r: _chat(r) and _has_field(c, r),
    "openai.tools": lambda c, r: _chat(r) and bool(_body(r).get("tools")),
    "openai.logprobs": lambda c, r: _chat(r) and _body(r).get("logprobs") is True,
    "openai.embeddings": lambda c, r: r.method == "POST" and _suffix("/embeddings")(r),
    "openai.models_list": lambda c, r: r.method == "GET" and _suffix("/models")(r),
    "anthropic.basic": lambda c, r: _native_message(r),
    "anthropic.basic_async": lambda c, r: _native_message(r),
    "anthropic.stream": lambda c, r: _native_stream(r),
    "anthropic.server_tool_stream": lambda c, r: _native_stream(r) and _server_tool(r),
    "anthropic.count_tokens": lambda c, r: _suffix("/v1/messages/count_tokens")(r),
    "anthropic.models_list": lambda c, r: r.method == "GET" and _suffix("/v1/models")(r),
    "gemini.basic": lambda c, r: _generate(r),
    "gemini.basic_async": lambda c, r: _generate(r),
    "gemini.stream": lambda c, r: _generate_stream(r),
    "gemini.count_tokens": lambda c, r: r.path.endswith(":countTokens"),
    "gemini.stream_async": lambda c, r: _generate_stream(r),
    "gemini.with_config": lambda c, r: _generate(r) and _gemini_sent(c, r),
    "gemini.safety_settings": lambda c, r: _generate(r) and _gemini_sent(c, r),
    "gemini.embed_one": lambda c, r: r.method == "POST" and r.path.endswith(":embedContent"),
    "gemini.embed_batch": lambda c, r: r.method == "POST" and r.path.endswith(":batchEmbedContents"),
    "gemini.models_list": lambda c, r: r.method == "GET" and _suffix("/models")(r),
}
"""Registered probe name -> whether a recorded request is the kind of request that probe sends (so its check
applies)."""

FIELD_PROBES: dict[str, Callable[[RecordedRequest], bool]] = {
    "openai.with_field": _is_chat,
    "openai.max_tokens": _is_chat,
    "anthropic.with_field": _messages,
    "anthropic.out_of_range": _messages,
}
"""Probes (by registered name) of one request field -> the requests whose field value is judged by its status
(:func:`_field_status`)."""

_ERROR_STATUS = {"openai.wrong_key": 401, "openai.unknown_model": 404, "openai.invalid_parameter": 400}


def _planned(claim: Claim, sdk: Sdk) -> tuple[str, str] | None:
    """The registered name of the probe the claim is planned with (its first variant's), and that variant's check."""
    planned = plan(claim, sdk)
    if isinstance(planned, Untestable) or not planned:
        return None
    variant = planned[0]
    return variant.probe_name, variant.check


def _observation(claim: Claim, attempt: Attempt, sdk: Sdk, label: str) -> Observation:
    request = attempt.request
    values: dict[str, Any] = {"sdk": sdk.value}
    found = [v for v in resolve(_body(request), claim.field) if v is not MISSING]
    if found:
        values[claim.field] = found[0]
    body = _body(request)
    if "n" in body:
        values["n"] = body["n"]
    if isinstance(body.get("tools"), list):
        values["tools"] = [(t.get("function") or {}).get("name") for t in body["tools"] if isinstance(t, dict)]
    return Observation([Call(label, attempts=[attempt])], values=values)


def _redacted(claim: Claim, attempt: Attempt, repository: str | None = None) -> str | None:
    """Why the value the check would read was removed by the source (or may have been), or None."""
    response = attempt.response
    if response is None:
        return "no response was recorded"
    if claim.location is Location.REQUEST_HEADER or (claim.location is Location.AUTH and "-" in claim.field):
        sent = attempt.request.headers.get(claim.field.lower())
        if sent is None:
            return f"the source's recorder may have dropped the {claim.field} request header (filtered secrets)"
        return None
    if claim.location is Location.HEADER:
        value = response.headers.get(claim.field.lower())
        if value is None:
            return unknown_reason(claim.field, response.headers, repository)
        if PLACEHOLDER.search(value) or _names_itself(claim.field, value):
            return f"the source replaced {claim.field} with a placeholder ({value!r})"
        return None
    if claim.location is Location.RESPONSE:
        for value in resolve(response.json, claim.field):
            if isinstance(value, str) and PLACEHOLDER.search(value):
                return f"the source replaced {claim.field} with a placeholder ({value[:40]!r})"
    return None


def _names_itself(header: str, value: str) -> bool:
    """A recorder's stand-in that spells the header's own name (crewAI's ``ANTHROPIC-RATELIMIT-TOKENS-LIMIT-XXX``):
    no provider answers a header with its own name, so the real value was filtered out."""
    return header.lower() in value.lower()


def _has_block_for(claim: Claim, body: Any) -> bool:
    """Messages API content is a list of typed blocks: ``content[].text`` bears only on answers with a text block."""
    if claim.location is not Location.RESPONSE or not claim.field.startswith("content[]."):
        return True
    blocks = body.get("content") if isinstance(body, dict) else None
    kind = claim.field.split(".", 1)[1]
    return (
        not isinstance(blocks, list)
        or kind == "type"
        or any(isinstance(b, dict) and b.get("type") == kind for b in blocks)
    )


def _run(check: str, claim: Claim, obs: Observation) -> Verdict:
    try:
        CHECKS[check](claim, obs)
    except CouldNotTell as exc:
        return Verdict(Judged.UNKNOWN, check, f"could not tell: {exc}")
    except ConformanceFailure as exc:
        return Verdict(Judged.FAIL, check, str(exc))
    return Verdict(Judged.PASS, check)


def _error_param(attempt: Attempt) -> tuple[str | None, str | None]:
    """The ``error.param`` and ``error.code`` of an OpenAI-shaped error answer."""
    data = attempt.response.json if attempt.response else None
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return None, None
    return error.get("param"), error.get("code")


def _field_status(claim: Claim, attempt: Attempt, sdk: Sdk) -> Verdict | None:
    """A request field the recorded request carried: the status's passive reading (the probe's value aside)."""
    value = resolve(_body(attempt.request), claim.field)[0]
    obs = _observation(claim, attempt, sdk, "with-field")
    status = attempt.response.status if attempt.response else None
    if status is None or status >= 500:
        return None  # a server error says nothing about the field
    param, code = _error_param(attempt)
    if status >= 400 and param and param != claim.field:
        return None  # refused because of another field
    if status >= 400 and param == claim.field and code == "unsupported_parameter":
        model = _body(attempt.request).get("model")
        return Verdict(
            Judged.UNKNOWN, "accepted", f"the recorded model {model!r} does not support {claim.field} at all"
        )
    if claim.status is Status.MUST_EQUAL:
        allowed = value == claim.params["value"]
        if allowed:
            return _run("accepted", claim, obs)
        return _run("rejected", claim, obs)
    if claim.status is Status.LIMITED:
        limit = claim.params.get("max")
        size = len(value) if isinstance(value, list) else value
        if not isinstance(size, int | float) or limit is None:
            return None
        return _run("rejected" if size > limit else "accepted", claim, obs)
    if claim.status is Status.CAPPED:
        limit = claim.params.get("max")
        if not isinstance(value, int | float) or limit is None or value <= limit:
            return None
        return _run("capped", claim, obs)
    if claim.status is Status.IGNORED:
        return _run("ignored", claim, obs)
    if claim.status in (Status.SUPPORTED, Status.PARTIAL, Status.BETA) and status is not None:
        return _run("accepted", claim, obs)
    return None


def judge(claim: Claim, sdk: Sdk, attempt: Attempt, repository: str | None = None) -> Verdict | None:
    """The claim's verdict on one recorded exchange, or None when the exchange does not bear on the claim.

    ``repository`` is the recording's source (``owner/name``), whose recorder may drop headers by name
    (:data:`conformance.audit.absence.KNOWN_RECORDERS`). An undocumented claim is judged as its reference documents it."""
    claim = claim.as_documented
    response = attempt.response
    if response is None:
        return None
    request = attempt.request
    if claim.location is Location.ERROR:
        return _judge_error(claim, sdk, attempt)
    planned = _planned(claim, sdk)
    if planned is None:
        return None
    probe, check = planned
    if "expensive" in claim.markers and probe not in NEEDS:
        return None  # batches, images, huge bodies: no recorded chat exchange bears on them
    if claim.location is Location.ENDPOINT:
        if not _endpoint_matches(claim.field, request) or not 200 <= response.status < 300:
            return None
        return _run(claim.check or "endpoint_ok", claim, _observation(claim, attempt, sdk, "endpoint"))
    if claim.location is Location.REQUEST and probe in FIELD_PROBES:
        if not FIELD_PROBES[probe](request) or not _has_field(claim, request):
            return None
        return _field_status(claim, attempt, sdk)
    need = NEEDS.get(probe)
    if need is None or not need(claim, request):
        return None
    if check == "stream_usage" and not (_body(request).get("stream_options") or {}).get("include_usage"):
        return None
    if not 200 <= response.status < 300:
        return None  # these checks read a successful answer; error answers are judged by the error claims
    if check == "tool_calls" and _body(request).get("tool_choice") in (None, "auto", "none"):
        check = "accepted"  # the model may answer without calling a tool unless the request forced one
    if not _has_block_for(claim, response.json):
        return None
    why = _redacted(claim, attempt, repository)
    if why is not None:
        return Verdict(Judged.UNKNOWN, check, why)
    verdict = _run(check, claim, _observation(claim, attempt, sdk, "recorded"))
    if (
        verdict.outcome == Judged.FAIL
        and claim.location is Location.HEADER
        and claim.field.lower() not in response.headers
    ):
        return Verdict(Judged.FAIL, check, f"{verdict.message}: {absence_message(claim.field, response.headers)}")
    return verdict


def _judge_error(claim: Claim, sdk: Sdk, attempt: Attempt) -> Verdict | None:
    """Error-shape claims apply to the recorded errors they describe: a 4xx with the claim's status (any 4xx when it
    names none) and, where the claim names them, its error code (which names the situation: the type is then
    checked) or else its error type. A 429 whose code says ``rate_limit_exceeded`` bears on the rate-limit claim,
    not on ``insufficient_quota``, another 429 with another type."""
    response = attempt.response
    assert response is not None
    if not 400 <= response.status < 500:
        return None
    if claim.status is Status.PARTIAL:
        return None  # wording claims: no check judges them
    expected = claim.params.get("status_code") or claim.params.get("error_status")
    if expected is not None and response.status != expected:
        return None
    kind, code = _error_type_code(response.json)
    if "code" in claim.params:
        if code != claim.params["code"]:
            return None
    elif "type" in claim.params and kind != claim.params["type"]:
        return None
    planned = _planned(claim, sdk)
    check = claim.check or (planned[1] if planned else "error_shape")
    return _run(check, claim, _observation(claim, attempt, sdk, "recorded-error"))


def _error_type_code(body: Any) -> tuple[Any, Any]:
    """``error.type`` and ``error.code`` of an error body (Google's list-shaped bodies unwrapped)."""
    if isinstance(body, list) and body:
        body = body[0]
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None, None
    return error.get("type"), error.get("code")


def _endpoint_matches(field: str, request: RecordedRequest) -> bool:
    method, _, template = field.partition(" ")
    if method != request.method or not template.startswith("/"):
        return False
    pattern = re.escape(template).replace(r"\{model\}", r"[^/]+?").replace(r"\{", "{").replace(r"\}", "}")
    pattern = re.sub(r"\{[a-z_]+\}", r"[^/]+", pattern)
    return re.fullmatch(r"(/[^?]*)?" + pattern, request.path) is not None
