"""The specs against the seeds: quotes are verbatim, and every table row is a claim with the right status.

The expectations below are an independent reading of the tables in ../shared/seeds/,
written from the seed text, not from the specs.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conformance.spec.loader import load_specs
from conformance.spec.model import Claim

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
needs_seeds = pytest.mark.skipif(not SEEDS.is_dir(), reason=f"the seeds are not beside the checkout ({SEEDS})")


def _claims(provider: str) -> list[Claim]:
    return list(load_specs().spec(provider).claims)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@needs_seeds
def test_every_seed_quote_is_verbatim() -> None:
    seeds = {p.name: _norm(p.read_text(encoding="utf-8")) for p in SEEDS.glob("*.txt")}
    checked = 0
    for claim in load_specs().claims():
        if claim.doc.source in seeds:
            assert _norm(claim.doc.quote) in seeds[claim.doc.source], f"{claim.id}: quote not in {claim.doc.source}"
            checked += 1
    assert checked > 200


ANTHROPIC_OPENAI = {
    ("request", "model"): "partial",
    ("request", "max_tokens"): "supported",
    ("request", "max_completion_tokens"): "supported",
    ("request", "stream"): "supported",
    ("request", "stream_options"): "supported",
    ("request", "top_p"): "supported",
    ("request", "parallel_tool_calls"): "supported",
    ("request", "stop"): "partial",
    ("request", "temperature"): "capped",
    ("request", "n"): "must_equal",
    **{
        ("request", f): "ignored"
        for f in [
            "logprobs",
            "metadata",
            "response_format",
            "prediction",
            "presence_penalty",
            "frequency_penalty",
            "seed",
            "service_tier",
            "audio",
            "logit_bias",
            "store",
            "user",
            "modalities",
            "top_logprobs",
            "reasoning_effort",
        ]
    },
    ("tool", "tools[].function.name"): "supported",
    ("tool", "tools[].function.description"): "supported",
    ("tool", "tools[].function.parameters"): "supported",
    ("tool", "tools[].function.strict"): "ignored",
    ("response", "id"): "supported",
    ("response", "choices[]"): "constant",
    ("response", "choices[].finish_reason"): "supported",
    ("response", "choices[].index"): "supported",
    ("response", "choices[].message.role"): "supported",
    ("response", "choices[].message.content"): "supported",
    ("response", "choices[].message.tool_calls"): "supported",
    ("response", "object"): "supported",
    ("response", "created"): "supported",
    ("response", "model"): "supported",
    ("usage", "usage.completion_tokens"): "supported",
    ("usage", "usage.prompt_tokens"): "supported",
    ("usage", "usage.total_tokens"): "supported",
    ("usage", "usage.completion_tokens_details"): "always_empty",
    ("usage", "usage.prompt_tokens_details"): "always_empty",
    ("response", "choices[].message.refusal"): "always_empty",
    ("response", "choices[].message.audio"): "always_empty",
    ("response", "choices[].logprobs"): "always_empty",  # the row "logprobs", where OpenAI puts it (see the claim)
    ("response", "service_tier"): "always_empty",
    ("response", "system_fingerprint"): "always_empty",
    **{
        ("header", h): "supported"
        for h in [
            "x-ratelimit-limit-requests",
            "x-ratelimit-limit-tokens",
            "x-ratelimit-remaining-requests",
            "x-ratelimit-remaining-tokens",
            "x-ratelimit-reset-requests",
            "x-ratelimit-reset-tokens",
            "retry-after",
            "request-id",
        ]
    },
    ("header", "openai-version"): "constant",
    ("header", "openai-processing-ms"): "always_empty",
    ("request_header", "authorization"): "supported",
}


def test_anthropic_openai_tables_are_all_claims() -> None:
    found = {(c.location.value, c.field): c for c in _claims("anthropic-openai")}
    for key, status in ANTHROPIC_OPENAI.items():
        assert key in found, f"no claim for {key}"
        assert found[key].status.value == status, f"{key}: {found[key].status.value} != {status}"
    assert found[("request", "temperature")].params == {"min": 0, "max": 1}
    assert found[("request", "n")].params == {"value": 1}
    assert found[("header", "openai-version")].params == {"value": "2020-10-01"}
    assert found[("response", "choices[]")].params == {"length": 1}


def test_gemini_openai_reasoning_effort_mapping_is_complete() -> None:
    claims = [c for c in _claims("gemini-openai") if c.field == "reasoning_effort" and c.status.value == "mapped"]
    rows = {str(row["from"]): row["to"] for c in claims for row in c.params["mapping"]}
    assert set(rows) >= {"minimal", "low", "medium", "high"}
    budgets = {
        str(row["from"]): row["to"]
        for c in claims
        for row in c.params["mapping"]
        if "thinking_budget" in str(row["to"])
    }
    assert [budgets[k]["thinking_budget"] for k in ("minimal", "low", "medium", "high")] == [1024, 1024, 8192, 24576]
    assert any(c.status.value == "exclusive" for c in _claims("gemini-openai"))


def test_anthropic_native_limits_and_headers() -> None:
    found = {(c.location.value, c.field): c for c in _claims("anthropic")}
    for header in ("x-api-key", "anthropic-version", "content-type"):
        assert found[("request_header", header)].status.value == "required"
    limits = [c for c in _claims("anthropic") if c.status.value == "limited" and c.params.get("unit") == "bytes"]
    assert len(limits) == 3
    assert {c.params.get("error_status") for c in limits} == {413}
    assert {c.params.get("error_type") for c in limits} == {"request_too_large"}
    for header in ("request-id", "anthropic-organization-id"):
        assert found[("header", header)].status.value == "supported"
    temperature = found[("request", "temperature")]
    assert (temperature.status.value, temperature.params["max"], temperature.params["error_status"]) == (
        "limited",
        1,
        400,
    )


def test_gemini_key_precedence() -> None:
    assert load_specs().spec("gemini").provider.api_key_env == ("GOOGLE_API_KEY", "GEMINI_API_KEY")
    assert load_specs().spec("gemini-openai").provider.api_key_env == ("GOOGLE_API_KEY", "GEMINI_API_KEY")
