"""The grammar of an OpenAI Chat Completions stream, and the checks of the stream claims that use it.

A chat stream, per the OpenAI reference (the chat completion chunk object and ``stream_options``): every event but
the last is a JSON ``chat.completion.chunk``; each choice's first delta carries the role; each choice ends with
exactly one non-null ``finish_reason``, on its last chunk; with ``stream_options.include_usage`` the last chunk
carries ``usage`` and ``choices: []`` while every chunk before it carries ``usage: null``; the stream ends with
``data: [DONE]``. :func:`grammar` lists every deviation with the index of the event that shows it and what was
expected there; each stream claim fails on the rules it is about (:data:`RULES_OF_FIELD`).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from conformance.checks.registry import cannot_tell, fail, is_empty, register, require_stream, resolve
from conformance.exchange.model import Call, Observation, SseEvent
from conformance.spec.model import Claim

DONE = "[DONE]"
CHUNK = "chat.completion.chunk"


class Rule(enum.Enum):
    """One rule of the stream grammar."""

    JSON = "every event before [DONE] is a JSON object"
    OBJECT = f"object is {CHUNK!r}"
    ROLE = "the first delta of each choice carries the role"
    FINISH = "each choice ends with exactly one finish_reason, on its last chunk"
    USAGE_CHUNK = "with include_usage, the last chunk carries usage and choices: []"
    USAGE_NULL = "with include_usage, every chunk before the usage chunk carries usage: null"
    DONE = "the stream ends with data: [DONE]"


@dataclass(frozen=True, slots=True)
class Deviation:
    """Where the stream departs from the grammar: the event's index (0-based), the rule, what was expected."""

    index: int
    rule: Rule
    expected: str

    def __str__(self) -> str:
        return f"event {self.index}: expected {self.expected}"


def _include_usage(call: Call) -> bool:
    body = call.attempts[-1].request.json if call.attempts else None
    options = body.get("stream_options") if isinstance(body, dict) else None
    return isinstance(options, dict) and options.get("include_usage") is True


def _chunks(events: list[SseEvent], out: list[Deviation]) -> list[tuple[int, dict[str, Any]]]:
    """The JSON chunks with their event index; [DONE] placement and non-JSON events go to ``out``."""
    chunks: list[tuple[int, dict[str, Any]]] = []
    last = len(events) - 1
    for index, event in enumerate(events):
        if event.data.strip() == DONE:
            if index != last:
                out.append(Deviation(index, Rule.DONE, f"data: [DONE] only as the last event (of {len(events)})"))
            continue
        try:
            data = event.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            out.append(Deviation(index, Rule.JSON, f"a JSON chunk object, got {event.data[:80]!r}"))
            continue
        chunks.append((index, data))
    if not events or events[-1].data.strip() != DONE:
        tail = events[-1].data[:60] if events else None
        out.append(Deviation(max(last, 0), Rule.DONE, f"data: [DONE] as the last event, got {tail!r}"))
    return chunks


def _choices(chunk: dict[str, Any]) -> list[dict[str, Any]]:
    found = chunk.get("choices")
    return [c for c in found if isinstance(c, dict)] if isinstance(found, list) else []


def _choice_rules(chunks: list[tuple[int, dict[str, Any]]], out: list[Deviation]) -> None:
    seen: set[Any] = set()
    finished: dict[Any, int] = {}
    for index, chunk in chunks:
        for choice in _choices(chunk):
            key = choice.get("index")
            delta = choice.get("delta")
            if key not in seen:
                seen.add(key)
                if not isinstance(delta, dict) or delta.get("role") != "assistant":
                    role = delta.get("role") if isinstance(delta, dict) else None
                    out.append(
                        Deviation(
                            index, Rule.ROLE, f"role 'assistant' in the first delta of choice {key}, got {role!r}"
                        )
                    )
            if key in finished:
                out.append(
                    Deviation(
                        index,
                        Rule.FINISH,
                        f"nothing more for choice {key} after its finish_reason (event {finished[key]})",
                    )
                )
            if choice.get("finish_reason") is not None:
                finished.setdefault(key, index)
    last = chunks[-1][0] if chunks else 0
    for key in sorted(seen - finished.keys(), key=str):
        out.append(Deviation(last, Rule.FINISH, f"a finish_reason closing choice {key}, which never got one"))


def _usage_rules(chunks: list[tuple[int, dict[str, Any]]], out: list[Deviation]) -> None:
    if not chunks:
        return
    index, final = chunks[-1]
    if not isinstance(final.get("usage"), dict):
        out.append(Deviation(index, Rule.USAGE_CHUNK, f"the last chunk to carry usage, got {final.get('usage')!r}"))
    elif final.get("choices") != []:
        out.append(
            Deviation(index, Rule.USAGE_CHUNK, f"choices: [] on the usage chunk, got {str(final.get('choices'))[:80]}")
        )
    for index, chunk in chunks[:-1]:
        if "usage" not in chunk or chunk["usage"] is not None:
            got = repr(chunk["usage"])[:60] if "usage" in chunk else "no usage key"
            out.append(Deviation(index, Rule.USAGE_NULL, f"usage: null before the usage chunk, got {got}"))


def grammar(events: list[SseEvent], include_usage: bool) -> list[Deviation]:
    """Every deviation of a chat stream from the documented grammar, in event order."""
    out: list[Deviation] = []
    chunks = _chunks(events, out)
    for index, chunk in chunks:
        if chunk.get("object") != CHUNK:
            out.append(Deviation(index, Rule.OBJECT, f"object {CHUNK!r}, got {chunk.get('object')!r}"))
    usage_chunk = chunks[-1:] if include_usage and chunks and _choices(chunks[-1][1]) == [] else []
    _choice_rules([c for c in chunks if c not in usage_chunk], out)
    if include_usage:
        _usage_rules(chunks, out)
    return sorted(out, key=lambda d: d.index)


RULES_OF_FIELD: dict[str, frozenset[Rule]] = {
    "object": frozenset({Rule.JSON, Rule.OBJECT}),
    "data: [DONE]": frozenset({Rule.DONE}),
    "choices[].delta.content": frozenset({Rule.JSON, Rule.ROLE, Rule.FINISH}),
    "stream_options.include_usage": frozenset({Rule.USAGE_CHUNK, Rule.USAGE_NULL}),
    "stream_options": frozenset({Rule.USAGE_CHUNK, Rule.USAGE_NULL}),
    "id": frozenset({Rule.JSON}),
}
"""The grammar rules each stream claim is about (by its field); any other claim on a stream (``stream: true``
itself, the endpoint) is about the whole grammar."""


def _fail_on(deviations: Iterable[Deviation], rules: frozenset[Rule], events: int) -> None:
    found = [d for d in deviations if d.rule in rules]
    if found:
        listed = "; ".join(str(d) for d in found[:4])
        more = f" (and {len(found) - 4} more)" if len(found) > 4 else ""
        fail(f"the stream ({events} events) departs from the chat chunk grammar: {listed}{more}")


def judge_stream(claim: Claim, call: Call) -> list[dict[str, Any]]:
    """The call's stream against the grammar rules of the claim; its JSON chunks."""
    events = require_stream(call)
    include_usage = _include_usage(call)
    rules = RULES_OF_FIELD.get(claim.field, frozenset(Rule))
    if not include_usage:
        rules = rules - {Rule.USAGE_CHUNK, Rule.USAGE_NULL}
    _fail_on(grammar(events, include_usage), rules, len(events))
    chunks: list[dict[str, Any]] = []
    for event in events:
        if event.data.strip() != DONE:
            try:
                data = event.json()
            except ValueError:
                continue
            if isinstance(data, dict):
                chunks.append(data)
    return chunks


_EVERY_CHUNK = ("id", "object", "created", "model")


@register("stream_sse")
def stream_sse(claim: Claim, obs: Observation) -> None:
    """A stream of chat.completion.chunk events in the documented grammar, and the claim's own field in it."""
    chunks = judge_stream(claim, obs.main)
    if not chunks:
        fail("the stream carried no chat.completion.chunk at all")
    field = claim.field
    if claim.location.value != "stream" or field in ("stream", "data: [DONE]") or "usage" in field:
        return
    if field in _EVERY_CHUNK:
        lacking = [i for i, chunk in enumerate(chunks) if chunk.get(field) in (None, "")]
        if lacking:
            fail(f"chunk(s) {lacking[:5]} of {len(chunks)} have no {field}")
        return
    if field.startswith("choices[]"):
        found = [v for c in chunks for v in resolve(c, field) if not is_empty(v)]
        if not found:
            fail(f"no chunk carried {field}")


@register("stream_usage")
def stream_usage(claim: Claim, obs: Observation) -> None:
    """stream_options.include_usage: the grammar's usage chunk (last, ``choices: []``), with non-negative counts."""
    if not _include_usage(obs.main):
        cannot_tell("the stream was not asked for stream_options.include_usage, so no usage chunk is due")
    chunks = judge_stream(claim, obs.main)
    usages: list[dict[str, Any]] = [c["usage"] for c in chunks if isinstance(c.get("usage"), dict)]
    if not usages:
        fail("stream_options.include_usage=true but no chunk carried usage")
    final = usages[-1]
    for key in ("prompt_tokens", "completion_tokens", "total_tokens"):
        if not isinstance(final.get(key), int) or final[key] < 0:
            fail(f"the usage chunk's {key} should be a non-negative integer: {final!r}")
