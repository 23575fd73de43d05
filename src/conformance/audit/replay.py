"""Replay real recorded answers through the official SDKs: what does each SDK make of what a provider really sent?

For every recorded interaction an official SDK can re-issue, the SDK call is rebuilt from the recorded request
and sent to an in-process ``httpx2.MockTransport`` that answers with the recorded status, headers and body. The
:class:`ReplayResult` says whether the SDK parsed the answer, raised its API error (and which of the body's error
fields it exposes), failed on the answer, or could not re-issue the request at all; and whether the SDK sent the
recorded method and path. Nothing goes over the network: the mock is the only transport the SDKs are given.

Outcomes:

``parsed``
    the SDK returned an object (streams are consumed to the end).
``raised``
    the SDK raised its own API-status error (``openai.APIStatusError``, ``anthropic.APIStatusError``,
    ``google.genai.errors.APIError``): an answer it understood as an error.
``sdk-failed``
    the SDK sent the request and then raised something else: a parse failure on a real answer (a finding).
``not-reissuable``
    no SDK call sends this request (the endpoint has no SDK method, or the SDK refused the rebuilt call before
    sending anything); ``detail["reason"]`` says why.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import sys
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import metadata as importlib_metadata
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx2

from conformance.audit.sdk_call import (
    ANTHROPIC_SDK,
    BODY_LIMIT,
    GENAI_SDK,
    OPENAI_SDK,
    REPLAY_TIMEOUT,
    SDK_OF_API,
    NotReissuable,
    SdkCall,
    short,
    split_url,
)
from conformance.exchange.model import Attempt, RecordedRequest, RecordedResponse
from conformance.providers.anthropic.replay import anthropic_call
from conformance.providers.clients import status_errors
from conformance.providers.gemini.replay import gemini_call
from conformance.providers.openai.replay import openai_call
from conformance.recordings import Interaction, Recording, api_of
from conformance.results.model import Outcome, ReplayOutcome

PARSED = ReplayOutcome.PARSED
RAISED = ReplayOutcome.RAISED
NOT_REISSUABLE = ReplayOutcome.NOT_REISSUABLE
SDK_FAILED = ReplayOutcome.SDK_FAILED


_STALE_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})


@dataclass(frozen=True)
class ReplayResult:
    """What one official SDK did with one recorded answer."""

    api: str  # provider spec id
    sdk: str  # "openai" | "anthropic" | "google-genai"
    call: str  # e.g. "chat.completions.create(stream=True)"
    status: int  # recorded HTTP status
    outcome: ReplayOutcome
    detail: dict[str, Any]
    message: str
    path_matches: bool


# --- the mock transport ----------------------------------------------------------------------------------------------


@dataclass
class _Answerer:
    """The MockTransport handler: answers whatever is sent with the recorded response, and keeps what was sent."""

    response: RecordedResponse
    sent: list[httpx2.Request] = field(default_factory=list)

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        request.read()
        self.sent.append(request)
        return httpx2.Response(
            self.response.status, headers=_answer_headers(self.response), content=self.response.body.encode("utf-8")
        )


def _answer_headers(response: RecordedResponse) -> list[tuple[str, str]]:
    """The recorded headers, less those describing encoded bytes (the stored body is decoded text)."""
    headers = [(k, v) for k, v in response.headers.items() if k.lower() not in _STALE_HEADERS]
    if response.is_sse:
        headers = [(k, v) for k, v in headers if k.lower() != "content-type"]
        headers.append(("content-type", "text/event-stream"))
    return headers


# --- errors: what the SDK exposes against what the body carries -----------------------------------------------------


def _recorded_error(body: Any) -> dict[str, Any]:
    """The ``error`` object of a recorded error body (unwrapping the one-item list Gemini's compat layer sends)."""
    if isinstance(body, list) and len(body) == 1:
        body = body[0]
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def _lookup(obj: Mapping[str, Any], dotted: str) -> Any:
    value: Any = obj
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _qualified_name(cls: type) -> str:
    """The shortest public import path of a class: ``openai.NotFoundError``, not ``openai._exceptions.…``."""
    parts = cls.__module__.split(".")
    for length in range(1, len(parts) + 1):
        module = sys.modules.get(".".join(parts[:length]))
        if getattr(module, cls.__name__, None) is cls and not any(p.startswith("_") for p in parts[:length]):
            return f"{'.'.join(parts[:length])}.{cls.__name__}"
    return f"{cls.__module__}.{cls.__qualname__}"


def _error_detail(exc: Exception, plan: SdkCall, response: RecordedResponse) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "exception": _qualified_name(type(exc)),
        "status_code": getattr(exc, "status_code", None) or getattr(exc, "code", None),
    }
    for attr in dict.fromkeys(attr for attr, _ in plan.error_fields):
        detail[attr] = _json_safe(getattr(exc, attr, None))
    detail.setdefault("message", short(str(getattr(exc, "message", exc)), BODY_LIMIT))
    if plan.sdk == ANTHROPIC_SDK:
        detail["request_id"] = getattr(exc, "request_id", None)
    body = getattr(exc, "details" if plan.sdk == GENAI_SDK else "body", None)
    detail["body"] = short(json.dumps(body, default=str), BODY_LIMIT)
    detail["not_exposed"] = _hidden_fields(exc, plan, response)
    return detail


def _hidden_fields(exc: Exception, plan: SdkCall, response: RecordedResponse) -> dict[str, str]:
    """Error attribute -> the body field whose value it does not expose (None, or a message without the text)."""
    error = _recorded_error(response.json)
    hidden: dict[str, str] = {}
    for attr, dotted in plan.error_fields:
        recorded = _lookup(error, dotted)
        if attr not in hidden and _not_exposed(getattr(exc, attr, None), recorded):
            hidden[attr] = f"error.{dotted}={short(recorded, 60)!r}"
    top = response.json if isinstance(response.json, dict) else {}
    if plan.sdk == ANTHROPIC_SDK and getattr(exc, "request_id", None) is None and top.get("request_id"):
        hidden["request_id"] = f"request_id={top['request_id']!r} (the SDK reads only the request-id header)"
    return hidden


def _not_exposed(value: Any, recorded: Any) -> bool:
    if recorded is None:
        return False
    if value is None:
        return True
    return isinstance(value, str) and isinstance(recorded, str) and recorded not in value


def _json_safe(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    dump = getattr(value, "model_dump", None)
    return dump(mode="json", exclude_none=True) if callable(dump) else str(value)


# --- running one plan ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Run:
    """What happened when the plan ran: the SDK's result or exception, the requests it sent, its warnings."""

    result: Any
    error: Exception | None
    sent: list[httpx2.Request]
    warned: list[str]


def _run(plan: SdkCall, response: RecordedResponse) -> _Run:
    """Run the SDK call against the recorded answer; warnings (errors under pytest's filter) are kept as data."""
    answerer = _Answerer(response)
    result: Any = None
    error: Exception | None = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with httpx2.Client(transport=httpx2.MockTransport(answerer), timeout=REPLAY_TIMEOUT) as http_client:
            try:
                result = plan.invoke(http_client)
            except Exception as exc:  # the SDK's exceptions are data
                error = exc
    return _Run(result, error, answerer.sent, [f"{w.category.__name__}: {w.message}" for w in caught])


def _plan_for(api: str, request: RecordedRequest) -> SdkCall:
    sdk = SDK_OF_API[api]
    if sdk == OPENAI_SDK:
        return openai_call(request)
    if sdk == ANTHROPIC_SDK:
        return anthropic_call(request)
    return gemini_call(request)


FAMILY_OF_SDK = {OPENAI_SDK: "openai", ANTHROPIC_SDK: "anthropic", GENAI_SDK: "gemini"}
"""The built-in API whose SDK calls a user spec's exchanges are rebuilt as (a gateway spec says its SDK)."""


def replay(interaction: Interaction, api: str | None = None, sdk: str | None = None) -> ReplayResult | None:
    """Re-issue the interaction's request through the official SDK, answered by its recorded response; None when
    the exchange is not one of the known APIs. ``api``/``sdk`` name a user spec's API and its SDK (the audit
    attributes those from the spec's ``base_url``). The SDK's exceptions are data: only interrupts escape."""
    attempt = interaction.attempt
    api = api or api_of(attempt.request)
    if api is None:
        return None
    family = api if api in SDK_OF_API else FAMILY_OF_SDK.get(sdk or "")
    if family is None:
        return None
    try:
        result = _replay(family, attempt)
    except Exception as exc:  # a bug here must not hide the other results
        result = _not_reissuable(family, attempt, f"the replay itself failed: {type(exc).__name__}: {exc}")
    return result if family == api else dataclasses.replace(result, api=api)


def replay_all(recordings: Iterable[Recording]) -> list[tuple[Recording, Interaction, ReplayResult]]:
    """:func:`replay` over every interaction of every recording, keeping those of a known API."""
    results: list[tuple[Recording, Interaction, ReplayResult]] = []
    for recording in recordings:
        for interaction in recording.interactions:
            result = replay(interaction)
            if result is not None:
                results.append((recording, interaction, result))
    return results


def _replay(api: str, attempt: Attempt) -> ReplayResult:
    if attempt.response is None:
        return _not_reissuable(api, attempt, f"the recording holds no answer ({attempt.error})")
    try:
        plan = _plan_for(api, attempt.request)
    except NotReissuable as exc:
        return _not_reissuable(api, attempt, str(exc))
    return _result(api, plan, attempt.response, attempt.request, _run(plan, attempt.response))


def _not_reissuable(api: str, attempt: Attempt, reason: str) -> ReplayResult:
    status = attempt.response.status if attempt.response is not None else 0
    call = f"{attempt.request.method} {split_url(attempt.request)[1]}"
    detail = {"reason": reason}
    return ReplayResult(api, SDK_OF_API[api], call, status, NOT_REISSUABLE, detail, f"not re-issuable: {reason}", False)


def _result(api: str, plan: SdkCall, response: RecordedResponse, request: RecordedRequest, run: _Run) -> ReplayResult:
    matches, detail = _sent_facts(run, request)
    if plan.notes:
        detail["notes"] = list(plan.notes)
    if run.warned:
        detail["warnings"] = run.warned
    if run.sent and plan.check_sent is not None:
        detail.update(plan.check_sent(run.sent[0]))
    outcome, facts = _outcome(plan, response, run)
    detail.update(facts)
    message = _message(plan, response.status, outcome, detail) + _request_remarks(detail)
    return ReplayResult(api, plan.sdk, plan.call, response.status, outcome, detail, message, matches)


def _target(method: str, path: str, query: str) -> str:
    return f"{method} {path}" + (f"?{query}" if query else "")


def _sent_facts(run: _Run, request: RecordedRequest) -> tuple[bool, dict[str, Any]]:
    """Whether the SDK sent the recorded method and path; what it sent, and the recorded request where it differs."""
    if not run.sent:
        return False, {"sent": None}
    first = run.sent[0]
    recorded_query = urlsplit(request.url).query
    sent_path, sent_query = unquote(first.url.path), first.url.query.decode()
    facts: dict[str, Any] = {"sent": _target(first.method, sent_path, sent_query)}
    matches = (first.method, sent_path) == (request.method, split_url(request)[1])
    if not matches or unquote(sent_query) != unquote(recorded_query):
        facts["recorded"] = _target(request.method, split_url(request)[1], unquote(recorded_query))
    if len(run.sent) > 1:
        facts["requests_sent"] = len(run.sent)
    return matches, facts


def _request_remarks(detail: Mapping[str, Any]) -> str:
    remarks = []
    if detail.get("sent") and detail.get("recorded"):
        remarks.append(f"it sent {detail['sent']} where the recording has {detail['recorded']}")
    if detail.get("contents_match") is False:
        remarks.append(f"it sent other contents ({detail['contents_difference']})")
    if detail.get("contents_reencoded"):
        remarks.append(f"it re-encoded {'; '.join(detail['contents_reencoded'])}")
    return "".join(f"; {remark}" for remark in remarks)


def _outcome(plan: SdkCall, response: RecordedResponse, run: _Run) -> tuple[ReplayOutcome, dict[str, Any]]:
    if run.error is None:
        return PARSED, _safe_summary(plan, run.result)
    if isinstance(run.error, status_errors()):  # the SDKs' API-status errors: ``raised``
        return RAISED, _error_detail(run.error, plan, response)
    failure = {"exception": _qualified_name(type(run.error)), "error": short(str(run.error), BODY_LIMIT)}
    if run.sent:
        return SDK_FAILED, failure
    reason = f"the SDK refused the request before sending it: {_failure_text(run.error)}"
    return NOT_REISSUABLE, {**failure, "reason": reason + (f" ({plan.hint})" if plan.hint else "")}


def _safe_summary(plan: SdkCall, result: Any) -> dict[str, Any]:
    try:
        return plan.summarize(result)
    except Exception as exc:  # describing the SDK's object is our code: it must not lose the outcome
        return {"type": type(result).__name__, "summary_error": f"{type(exc).__name__}: {exc}"}


def _failure_text(exc: Exception) -> str:
    first_line = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {short(first_line)}"


def _message(plan: SdkCall, status: int, outcome: ReplayOutcome, detail: Mapping[str, Any]) -> str:
    if outcome == PARSED:
        return f"{plan.sdk} SDK parsed the {status} answer to {plan.call} into {detail.get('type')}{_facts(detail)}"
    if outcome == RAISED:
        name = str(detail["exception"]).rsplit(".", 1)[-1]
        return f"{plan.sdk} SDK raised {name}({detail.get('status_code')}) on {plan.call}{_hidden_text(detail)}"
    if outcome == NOT_REISSUABLE:
        return f"not re-issuable: {detail['reason']}"
    name = str(detail["exception"]).rsplit(".", 1)[-1]
    return f"{plan.sdk} SDK failed on the {status} answer to {plan.call}: {name}: {short(detail['error'], 120)}"


def _facts(detail: Mapping[str, Any]) -> str:
    keys = ("choices", "candidates", "chunks", "events", "items", "finish_reasons", "stop_reason")
    facts = [f"{key}={detail[key]!r}" for key in (*keys, "input_tokens", "total_tokens") if detail.get(key)]
    return f" ({', '.join(facts)})" if facts else ""


def _hidden_text(detail: Mapping[str, Any]) -> str:
    hidden: Mapping[str, str] = detail.get("not_exposed") or {}
    if not hidden:
        return ""
    shown = ", ".join(f".{attr}={short(detail.get(attr), 40)!r}" for attr in hidden)
    return f"; {shown} although the body carries {', '.join(hidden.values())}"


# --- the replay as a result: outcome, message and the facts a results file keeps -----------------------------------

_ERROR_TYPE_ATTR = {OPENAI_SDK: "type", ANTHROPIC_SDK: "type", GENAI_SDK: "status"}
_ERROR_CODE_ATTR = {OPENAI_SDK: "code", ANTHROPIC_SDK: "error_code", GENAI_SDK: "code"}
SDK_DOCS = {
    OPENAI_SDK: "https://github.com/openai/openai-python",
    ANTHROPIC_SDK: "https://github.com/anthropics/anthropic-sdk-python",
    GENAI_SDK: "https://github.com/googleapis/python-genai",
}
"""Where each SDK documents what it does with an answer (its README: parsed types, errors, streaming)."""


def judged(result: ReplayResult) -> tuple[Outcome, str]:
    """The results-file outcome (pass / fail / skip) of a replay, and its message.

    pass: the SDK parsed a 2xx answer, or raised its API-status error carrying the recorded status on an error
    answer. fail: it parsed an error answer, raised on a 2xx one, reported another status, or failed on an answer
    to the very request it sent. skip: it could not re-issue the request, or it failed on an answer recorded for a
    different request than the one it sent (the recording cannot say what the API answers to the SDK's request)."""
    detail, status = result.detail, result.status
    ok = 200 <= status < 300
    if result.outcome == NOT_REISSUABLE:
        return Outcome.SKIP, result.message
    if result.outcome == SDK_FAILED:
        if detail.get("recorded") or detail.get("contents_match") is False:
            return Outcome.SKIP, (
                f"{result.message} — the SDK sent another request than the recorded one, so the recorded answer is "
                "not evidence of what the API answers to the SDK"
            )
        return Outcome.FAIL, result.message
    if result.outcome == PARSED:
        if ok:
            return Outcome.PASS, result.message
        return Outcome.FAIL, f"{result.message}, although the answer is an error"
    if ok:
        return Outcome.FAIL, f"{result.message}, although the recorded answer is a success"
    if detail.get("status_code") != status:
        return Outcome.FAIL, f"{result.message}, although the recorded status is {status}"
    return Outcome.PASS, result.message


def facts(result: ReplayResult) -> dict[str, Any]:
    """What a results file keeps of a replay: the SDK and its version, the call, the outcome, and either the parsed
    object's fields, or the exception with the status code, error type and code the SDK exposes (and the body's
    error fields it does not), or why the request could not be re-issued."""
    detail = result.detail
    kept: dict[str, Any] = {
        "sdk": result.sdk,
        "sdk_version": _version(result.sdk),
        "call": result.call,
        "outcome": result.outcome,
        "recorded_status": result.status,
        "path_matches": result.path_matches,
    }
    for key in _REQUEST_FACTS:
        if detail.get(key) is not None:
            kept[key] = detail[key]
    if result.outcome == PARSED:
        kept["parsed"] = {k: v for k, v in detail.items() if k not in _REQUEST_FACTS}
    elif result.outcome == RAISED:
        kept["exception"] = detail.get("exception")
        kept["status_code"] = detail.get("status_code")
        kept["error_type"] = detail.get(_ERROR_TYPE_ATTR[result.sdk])
        kept["error_code"] = detail.get(_ERROR_CODE_ATTR[result.sdk])
        kept["error_message"] = detail.get("api_message", detail.get("message"))
        kept["not_exposed"] = detail.get("not_exposed") or {}
        kept["body"] = detail.get("body")
    elif result.outcome == SDK_FAILED:
        kept["exception"] = detail.get("exception")
        kept["error"] = detail.get("error")
    else:
        kept["reason"] = detail.get("reason")
        if detail.get("exception"):
            kept["exception"] = detail["exception"]
    return kept


_REQUEST_FACTS = (
    "sent",
    "recorded",
    "requests_sent",
    "notes",
    "warnings",
    "contents_match",
    "contents_difference",
    "contents_reencoded",
)


@functools.cache
def _version(sdk: str) -> str:
    try:
        return importlib_metadata.version(sdk)  # each SDK is installed under its own name
    except importlib_metadata.PackageNotFoundError:
        return "not installed"
