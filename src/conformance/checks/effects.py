"""Checks that a request field had its documented effect: limits, system prompts, thinking, reasoning off."""

from __future__ import annotations

import fnmatch
from typing import Any

from conformance.checks import prompts
from conformance.checks.registry import fail, is_empty, register, require_ok, resolve
from conformance.exchange.model import Observation
from conformance.spec.model import Claim

THINKS_BY_DEFAULT = ("gemini-2.5-pro*", "gemini-2.5-flash", "gemini-2.5-flash-0*", "gemini-2.5-flash-preview*",
                     "gemini-3-*", "gemini-3.*")  # fmt: skip
"""Gemini models whose default thinking level or budget is not zero (https://ai.google.dev/gemini-api/docs/thinking:
Gemini 3 defaults to the high level, 2.5 Pro and 2.5 Flash to a dynamic budget; 2.5 Flash-Lite and 2.0 do not
think by default)."""


def thinks_by_default(model: str) -> bool:
    bare = model.removeprefix("models/")
    return any(fnmatch.fnmatchcase(bare, pattern) for pattern in THINKS_BY_DEFAULT)


def _texts(body: dict[str, Any]) -> str:
    """Every answer text of an OpenAI, Anthropic or Gemini body, joined."""
    found = [
        *resolve(body, "choices[].message.content"),
        *[b.get("text") for b in body.get("content", []) if isinstance(b, dict) and b.get("type") == "text"],
        *resolve(body, "candidates[].content.parts[].text"),
    ]
    return " ".join(t for t in found if isinstance(t, str))


@register("native_max_tokens")
def native_max_tokens(claim: Claim, obs: Observation) -> None:
    """Messages API: a tiny max_tokens stops a long answer (stop_reason max_tokens, output within the limit)."""
    body = require_ok(obs.main, "a request with a small max_tokens")
    limit = obs.values["max_tokens"]
    used = body.get("usage", {}).get("output_tokens")
    if isinstance(used, int) and used > limit:
        fail(f"max_tokens={limit} but usage.output_tokens={used}")
    if body.get("stop_reason") != "max_tokens":
        fail(f"max_tokens={limit} on a 20-number count should stop with 'max_tokens', got {body.get('stop_reason')!r}")


@register("system_reaches_model")
def system_reaches_model(claim: Claim, obs: Observation) -> None:
    """The system prompt is used: asked for the secret word it holds, the model answers it."""
    body = require_ok(obs.main, "a request with a system prompt")
    text = _texts(body)
    if prompts.SECRET_WORD.lower() not in text.lower():
        fail(f"the system prompt did not reach the model: asked for the secret word, got {text[:120]!r}")


@register("native_thinking")
def native_thinking(claim: Claim, obs: Observation) -> None:
    """Messages API with thinking enabled: a thinking content block comes back before the answer."""
    body = require_ok(obs.main, "a request with thinking enabled")
    kinds = [b.get("type") for b in body.get("content", []) if isinstance(b, dict)]
    if "thinking" not in kinds and "redacted_thinking" not in kinds:
        fail(f"thinking was enabled but no thinking block came back (content block types: {kinds})")


@register("gemini_thoughts")
def gemini_thoughts(claim: Claim, obs: Observation) -> None:
    """generateContent with include_thoughts: a part marked ``thought: true`` comes back."""
    body = require_ok(obs.main, "a request with include_thoughts")
    if not any(p is True for p in resolve(body, "candidates[].content.parts[].thought")):
        fail("include_thoughts=true but no part is marked thought: true")


@register("thoughts_visible")
def thoughts_visible(claim: Claim, obs: Observation) -> None:
    """OpenAI-compatible layer with include_thoughts: thought summaries come back somewhere in the message.

    The doc does not say where; accepted places: ``<thought>`` tags in the content, or a reasoning field.
    """
    body = require_ok(obs.main, "a request with include_thoughts")
    if "<thought>" in _texts(body):
        return
    for key in ("reasoning_content", "reasoning", "thinking"):
        if any(isinstance(v, str) and v for v in resolve(body, f"choices[].message.{key}")):
            return
    fail("include_thoughts=true but no thought summary came back (no <thought> tag, no reasoning field)")


@register("reasoning_off")
def reasoning_off(claim: Claim, obs: Observation) -> None:
    """reasoning_effort "none" is accepted and no reasoning tokens are spent."""
    body = require_ok(obs.main, 'a request with reasoning_effort "none"')
    spent = [v for v in resolve(body, "usage.completion_tokens_details.reasoning_tokens") if not is_empty(v)]
    if any(isinstance(v, int) and v > 0 for v in spent):
        fail(f'reasoning_effort "none" should turn thinking off, but reasoning_tokens={spent[0]}')


def reasoning_spent(body: dict[str, Any]) -> int:
    """Reasoning tokens an OpenAI-shaped answer reports: ``completion_tokens_details.reasoning_tokens``, or else the
    tokens ``total_tokens`` counts beyond prompt and completion (where a layer bills thinking without naming it)."""
    found = body.get("usage")
    usage: dict[str, Any] = found if isinstance(found, dict) else {}
    named = resolve(usage, "completion_tokens_details.reasoning_tokens")[0]
    counts = [usage.get(k) for k in ("total_tokens", "prompt_tokens", "completion_tokens")]
    total, prompt, completion = (c if isinstance(c, int) else None for c in counts)
    hidden = total - prompt - completion if total is not None and prompt is not None and completion is not None else 0
    return max(named if isinstance(named, int) else 0, hidden)


@register("reasoning_stays_on")
def reasoning_stays_on(claim: Claim, obs: Observation) -> None:
    """reasoning_effort "none" cannot turn reasoning off on this model: refused with a 4xx, or reasoning still spent."""
    call = obs.main
    if call.status is not None and 400 <= call.status < 500:
        return
    body = require_ok(call, f'reasoning_effort "none" on {obs.values.get("model")}')
    if reasoning_spent(body) <= 0:
        fail(
            f'reasoning cannot be turned off on {obs.values.get("model")}, but reasoning_effort "none" was accepted '
            f"and no reasoning tokens were spent (usage: {body.get('usage')})"
        )


@register("default_reasoning")
def default_reasoning(claim: Claim, obs: Observation) -> None:
    """No reasoning_effort: accepted, and a model whose documented default thinks spends reasoning tokens."""
    model = str(obs.values.get("model"))
    body = require_ok(obs.main, "a request without reasoning_effort")
    if thinks_by_default(model) and reasoning_spent(body) <= 0:
        fail(
            f"without reasoning_effort {model} should think at its default level or budget, but no reasoning "
            f"tokens were spent (usage: {body.get('usage')})"
        )
