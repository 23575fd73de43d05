"""Values for probed fields, drawn from hypothesis strategies with a fixed seed.

A run is reproducible (and so replayable): the same claim always gets the same
value, and the value is recorded in the result.
"""

from __future__ import annotations

import fnmatch
import json
import string
from functools import cache
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from conformance.data import fixture_json
from conformance.spec.model import Claim, Status

_WORDS = st.lists(st.sampled_from(string.ascii_lowercase), min_size=3, max_size=10).map("".join)
"""Lower-case words, drawn letter by letter: `st.text` would have hypothesis cache its Unicode table in a
`.hypothesis/` folder of the user's working directory."""


def _response_format() -> dict[str, Any]:
    return {"type": "json_schema", "json_schema": fixture_json("schemas/calendar_event.json")}


# Valid values for OpenAI-style request fields (what a request that uses the field would send).
OPENAI_FIELD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "temperature": st.floats(min_value=0.0, max_value=1.0, allow_nan=False).map(lambda v: round(v, 2)),
    "top_p": st.floats(min_value=0.1, max_value=1.0, allow_nan=False).map(lambda v: round(v, 2)),
    "seed": st.integers(min_value=0, max_value=2**31 - 1),
    "user": _WORDS,
    "metadata": st.dictionaries(st.sampled_from(["purpose", "team"]), _WORDS, min_size=1, max_size=2),
    "presence_penalty": st.floats(min_value=-2.0, max_value=2.0, allow_nan=False).map(lambda v: round(v, 2)),
    "frequency_penalty": st.floats(min_value=-2.0, max_value=2.0, allow_nan=False).map(lambda v: round(v, 2)),
    "logit_bias": st.dictionaries(st.sampled_from(["1000", "2000"]), st.integers(-100, 100), min_size=1, max_size=2),
    "store": st.booleans(),
    "service_tier": st.sampled_from(["auto", "default"]),
    "logprobs": st.just(True),
    "top_logprobs": st.integers(min_value=1, max_value=5),
    "modalities": st.just(["text"]),
    "audio": st.just({"voice": "alloy", "format": "wav"}),
    "prediction": st.just({"type": "content", "content": "OK"}),
    "response_format": st.builds(_response_format),
    "reasoning_effort": st.sampled_from(["low", "medium", "high"]),
    "parallel_tool_calls": st.just(False),
    "max_tokens": st.integers(min_value=3, max_value=5),
    "max_completion_tokens": st.integers(min_value=3, max_value=5),
    "stop": st.just(["END"]),  # one sequence, within every limit (the stop probe sends its own)
    "stream": st.just(True),
    "stream_options": st.just({"include_usage": True}),
    "n": st.just(1),
}


def _draw(strategy: st.SearchStrategy[Any], label: str) -> Any:
    found: list[Any] = []

    @settings(
        derandomize=True,
        max_examples=1,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        deadline=None,
    )
    @given(strategy)
    def pick(value: Any) -> None:
        if not found:
            found.append(value)

    pick.hypothesis.inner_test.__qualname__ = f"draw[{label}]"  # type: ignore[attr-defined]
    pick()
    return found[0]


def _over_limit(within: Any, limit: float) -> st.SearchStrategy[Any]:
    """Values just beyond a documented maximum, of the same kind as a valid value: more items, a bigger number."""
    if isinstance(within, list):
        return st.lists(_WORDS, min_size=int(limit) + 1, max_size=int(limit) + 2, unique=True)
    if isinstance(within, int) and not isinstance(within, bool):
        return st.integers(min_value=int(limit) + 1, max_value=int(limit) + 5)
    return st.floats(min_value=limit + 0.05, max_value=limit + 1.0, allow_nan=False).map(lambda v: round(v, 2))


@cache
def _draw_cached(key: str) -> str:
    kind, _, name = key.partition(":")
    if kind == "over-cap":
        cap = float(name)
        return json.dumps(
            _draw(st.floats(min_value=cap + 0.05, max_value=max(cap + 0.05, 2.0)).map(lambda v: round(v, 2)), key)
        )
    if kind == "not-equal":
        return json.dumps(_draw(st.integers(min_value=2, max_value=4), key))
    if kind == "over-limit":
        field, _, limit = name.partition(":")
        return json.dumps(_draw(_over_limit(json.loads(_draw_cached(f"field:{field}")), float(limit)), key))
    return json.dumps(_draw(OPENAI_FIELD_VALUES[name], key))


def value_for(claim: Claim, field: str) -> Any:
    """The value a probe sends for ``field`` given the claim's status (fixed per claim and field)."""
    if claim.status is Status.CAPPED and "max" in claim.params:
        return json.loads(_draw_cached(f"over-cap:{claim.params['max']}"))
    if claim.status is Status.MUST_EQUAL and isinstance(claim.params.get("value"), int):
        return json.loads(_draw_cached("not-equal:int"))
    if field not in OPENAI_FIELD_VALUES:
        raise KeyError(field)
    return json.loads(_draw_cached(f"field:{field}"))


def over_limit_value(claim: Claim) -> Any:
    """A value beyond a ``limited`` claim's ``max`` (more list items, or a larger number)."""
    if claim.field not in OPENAI_FIELD_VALUES:
        raise KeyError(claim.field)
    return json.loads(_draw_cached(f"over-limit:{claim.field}:{claim.params['max']}"))


def under_limit_value(claim: Claim) -> Any:
    """A value below a ``limited`` claim's ``min``: one less for an integer minimum, half a unit less otherwise."""
    low = claim.params["min"]
    within = value_for(claim, claim.field)
    if isinstance(within, int) and not isinstance(within, bool) and isinstance(low, int):
        return low - 1
    return round(float(low) - 0.5, 2)


CACHEABLE_MINIMUM_TOKENS: tuple[tuple[str, int], ...] = (
    ("claude-haiku-4-5*", 4096),
    ("claude-opus-4-5*", 4096),
    ("claude-opus-4-6*", 4096),
    ("claude-sonnet-4-6*", 2048),
    ("claude-3-5-haiku*", 2048),
    ("claude-3-haiku*", 2048),
)
"""The shortest prompt Anthropic caches, per model (https://docs.claude.com/en/docs/build-with-claude/prompt-caching,
"Cache limitations"; not in the seeds); every other model: :data:`CACHEABLE_MINIMUM_DEFAULT`."""
CACHEABLE_MINIMUM_DEFAULT = 1024
"""Claude Sonnet 4.5, Opus 4.1, Opus 4, Sonnet 4, Sonnet 3.7; also OpenAI's automatic-caching minimum."""


def cacheable_minimum(model: str) -> int:
    """The documented minimum number of prompt tokens a prompt needs before ``model`` can cache it."""
    for pattern, tokens in CACHEABLE_MINIMUM_TOKENS:
        if fnmatch.fnmatchcase(model, pattern):
            return tokens
    return CACHEABLE_MINIMUM_DEFAULT
