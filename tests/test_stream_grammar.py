"""The OpenAI chat stream grammar: each rule names the event that breaks it, and real recorded streams obey it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conformance.audit.core import deviations_bearing_on
from conformance.checks.stream import Rule, grammar
from conformance.exchange.model import SseEvent
from conformance.recordings.attribution import read_sources
from conformance.recordings.reader import find_recordings, read_all
from conformance.spec.loader import load_specs

ROOT = Path(__file__).resolve().parents[1]


def chunk(delta: dict[str, Any] | None = None, finish: str | None = None, **extra: Any) -> dict[str, Any]:
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": choices,
        **extra,
    }


def events(*chunks: dict[str, Any] | str) -> list[SseEvent]:
    return [SseEvent(c if isinstance(c, str) else json.dumps(c)) for c in chunks]


USAGE = {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}
GOOD = [
    chunk({"role": "assistant", "content": ""}, usage=None),
    chunk({"content": "OK"}, usage=None),
    chunk({}, "stop", usage=None),
    chunk(None, usage=USAGE),
    "[DONE]",
]


def test_a_documented_stream_has_no_deviation() -> None:
    assert grammar(events(*GOOD), include_usage=True) == []
    plain = [{k: v for k, v in c.items() if k != "usage"} if isinstance(c, dict) else c for c in GOOD]
    assert grammar(events(*plain[:3], "[DONE]"), include_usage=False) == []


@pytest.mark.parametrize(
    ("stream", "rule", "index", "expected"),
    [
        ([*GOOD[:4]], Rule.DONE, 3, "data: [DONE] as the last event"),
        (["[DONE]", *GOOD], Rule.DONE, 0, "only as the last event"),
        ([{**GOOD[0], "object": "chat.completion"}, *GOOD[1:]], Rule.OBJECT, 0, "object 'chat.completion.chunk'"),
        ([chunk({"content": ""}, usage=None), *GOOD[1:]], Rule.ROLE, 0, "role 'assistant' in the first delta"),
        ([GOOD[0], GOOD[1], chunk({}, None, usage=None), GOOD[3], "[DONE]"], Rule.FINISH, 2, "never got one"),
        (
            [GOOD[0], chunk({"content": "OK"}, "stop", usage=None), *GOOD[2:]],
            Rule.FINISH,
            2,
            "nothing more for choice 0",
        ),
        (
            [*GOOD[:3], {**GOOD[3], "choices": [{"index": 0, "delta": {}}]}, "[DONE]"],
            Rule.USAGE_CHUNK,
            3,
            "choices: []",
        ),
        ([*GOOD[:3], "[DONE]"], Rule.USAGE_CHUNK, 2, "the last chunk to carry usage"),
        ([chunk({"role": "assistant", "content": ""}), *GOOD[1:]], Rule.USAGE_NULL, 0, "usage: null before"),
        ([GOOD[0], "not json", *GOOD[1:]], Rule.JSON, 1, "a JSON chunk object"),
    ],
    ids=[
        "no-done",
        "done-first",
        "object",
        "role",
        "no-finish",
        "two-finish",
        "usage-choice",
        "no-usage",
        "usage-null",
        "json",
    ],
)
def test_each_rule_names_the_event_and_what_was_expected(
    stream: list[dict[str, Any] | str], rule: Rule, index: int, expected: str
) -> None:
    found = [d for d in grammar(events(*stream), include_usage=True) if d.rule is rule]
    assert found, grammar(events(*stream), include_usage=True)
    assert found[0].index == index
    assert expected in str(found[0])
    assert str(found[0]).startswith(f"event {index}: expected ")


def test_the_real_recorded_chat_streams_obey_the_grammar() -> None:
    """Every 2xx chat stream of cassettes/imported (OpenAI's and Gemini's OpenAI layer) has no deviation, except
    the exchanges a spec records a stream deviation for (evidence kind imported naming that exchange), which must
    then depart from the grammar (a strict xfail, like the conformance cases)."""
    recordings, _ = read_all(find_recordings([ROOT / "cassettes" / "imported"]))
    sources = read_sources(ROOT / "cassettes" / "imported" / "SOURCES.md")
    stream_claims = [c for c in load_specs(()).claims() if c.id.endswith(".stream.stream")]
    judged = []
    recorded_deviating = []
    for recording in recordings:
        for interaction in recording.interactions:
            request, response = interaction.attempt.request, interaction.attempt.response
            body = request.json if isinstance(request.json, dict) else {}
            if not request.path.endswith("/chat/completions") or not body.get("stream") or response is None:
                continue
            if not 200 <= response.status < 300:
                continue
            include_usage = (body.get("stream_options") or {}).get("include_usage") is True
            deviations = [str(d) for d in grammar(response.events, include_usage)]
            source = sources.get(recording.path.name)
            evidence = {
                "file": recording.path.name,
                "interaction": interaction.index,
                "source": f"{source.repository}/{source.path}@{source.commit}" if source else None,
            }
            if any(c.recorded_deviations and deviations_bearing_on(c, evidence) for c in stream_claims):
                recorded_deviating.append((recording.path.name, deviations))
            else:
                judged.append((recording.path.name, deviations))
    assert len(judged) >= 3
    assert all(not deviations for _, deviations in judged), judged
    assert all(deviations for _, deviations in recorded_deviating), recorded_deviating
