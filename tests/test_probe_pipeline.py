"""Probe → exchange → check through the real openai SDK, answered in-process by httpx2.MockTransport.

These answers are test fixtures, never a provider's evidence.
"""

from __future__ import annotations

import json
from typing import Any

import httpx2
import pytest

from conformance.checks import CHECKS, ConformanceFailure
from conformance.exchange.model import Observation, parse_sse
from conformance.exchange.recorder import Recorder
from conformance.providers.base import ProbeContext
from conformance.providers.openai import probes as oai
from conformance.spec.loader import load_specs
from conformance.spec.model import Claim

SPEC = load_specs().spec("anthropic-openai")
CLAIMS = {c.id: c for c in SPEC.claims}


def completion(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "claude-haiku-4-5",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "OK"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 6, "completion_tokens": 1, "total_tokens": 7},
    }
    body.update(overrides)
    return body


def run(claim_id: str, probe: Any, handler: Any) -> tuple[Claim, Observation]:
    recorder = Recorder(transport=httpx2.MockTransport(handler))
    ctx = ProbeContext(SPEC.provider, "http://fake.invalid/v1/", "sk-test", "claude-haiku-4-5", 5.0, recorder)
    claim = CLAIMS[claim_id]
    obs = probe(ctx, claim)
    obs.values.setdefault("sdk", "openai")
    return claim, obs


def answer(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Any:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(status, json=body, headers={"openai-version": "2020-10-01", **(headers or {})})

    return handler


def test_header_constant_passes_and_fails() -> None:
    claim, obs = run("anthropic-openai.header.openai-version", oai.basic, answer(completion()))
    CHECKS["header_constant"](claim, obs)
    claim, obs = run(
        "anthropic-openai.header.openai-version",
        oai.basic,
        answer(completion(), headers={"openai-version": "2024-01-01"}),
    )
    with pytest.raises(ConformanceFailure, match="should always be '2020-10-01'"):
        CHECKS["header_constant"](claim, obs)


def test_always_empty_response_field() -> None:
    claim, obs = run("anthropic-openai.response.system_fingerprint", oai.basic, answer(completion()))
    CHECKS["response_empty"](claim, obs)
    claim, obs = run(
        "anthropic-openai.response.system_fingerprint", oai.basic, answer(completion(system_fingerprint="fp_1"))
    )
    with pytest.raises(ConformanceFailure, match="always empty"):
        CHECKS["response_empty"](claim, obs)


def test_usage_total_must_add_up() -> None:
    claim, obs = run("anthropic-openai.usage.total_tokens", oai.basic, answer(completion()))
    CHECKS["usage_field"](claim, obs)
    bad = completion(usage={"prompt_tokens": 6, "completion_tokens": 1, "total_tokens": 8})
    claim, obs = run("anthropic-openai.usage.total_tokens", oai.basic, answer(bad))
    with pytest.raises(ConformanceFailure, match="total_tokens 8"):
        CHECKS["usage_field"](claim, obs)


def test_must_equal_n() -> None:
    def faithful(request: httpx2.Request) -> httpx2.Response:
        n = json.loads(request.content).get("n", 1)
        if n != 1:
            return httpx2.Response(400, json={"error": {"type": "invalid_request_error", "message": "n must be 1"}})
        return httpx2.Response(200, json=completion())

    claim, obs = run("anthropic-openai.request.n", oai.with_field, faithful)
    assert obs.values["n"] != 1  # the drawn value is recorded
    CHECKS["must_equal"](claim, obs)
    claim, obs = run("anthropic-openai.request.n", oai.with_field, answer(completion()))
    with pytest.raises(ConformanceFailure, match="should be rejected"):
        CHECKS["must_equal"](claim, obs)


def test_error_shape_and_list_bodies() -> None:
    error = {"error": {"type": "authentication_error", "message": "invalid x-api-key", "param": None, "code": None}}
    claim, obs = run("anthropic-openai.error.openai-format", oai.wrong_key, answer(error, 401))
    CHECKS["error_shape"](claim, obs)
    # "formatos de error consistentes con la API de OpenAI": the reference's error object has param and code
    native = {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}
    claim, obs = run("anthropic-openai.error.openai-format", oai.wrong_key, answer(native, 401))
    with pytest.raises(ConformanceFailure, match=r"lacks \['param', 'code'\]"):
        CHECKS["error_shape"](claim, obs)
    # a Google-style list body: the raw exchange shows it even though the SDK maps it to code/type None
    claim, obs = run("anthropic-openai.error.openai-format", oai.wrong_key, answer([error], 401))
    with pytest.raises(ConformanceFailure, match="JSON list"):
        CHECKS["error_shape"](claim, obs)


def test_stream_is_recorded_as_sse_events() -> None:
    chunks = [
        {
            "id": "c",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "m",
            "choices": [{"index": 0, "delta": {"role": "assistant", "content": "OK"}, "finish_reason": "stop"}],
            "usage": None,
        },
        {
            "id": "c",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "m",
            "choices": [],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        },
    ]
    text = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"

    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, content=text.encode(), headers={"content-type": "text/event-stream"})

    claim, obs = run("anthropic-openai.request.stream", oai.stream, handler)
    assert len(obs.main.result) == 2  # the SDK parsed both chunks
    CHECKS["stream_sse"](claim, obs)
    CHECKS["stream_usage"](CLAIMS["anthropic-openai.request.stream_options"], obs)
    assert [e.data for e in parse_sse(text)][-1] == "[DONE]"


def test_failure_description_masks_the_key() -> None:
    _, obs = run("anthropic-openai.header.openai-version", oai.basic, answer(completion()))
    text = obs.describe(("sk-test",))
    assert "sk-test" not in text
    assert "***" in text


def test_anthropic_probes_send_the_documented_x_api_key_and_no_bearer() -> None:
    """anthropic 2.13 would send ``Authorization: Bearer``; the probes send the documented ``x-api-key`` only."""
    from conformance.providers.anthropic import probes as anth

    seen: list[httpx2.Headers] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request.headers)
        message = {"id": "msg_1", "type": "message", "role": "assistant", "model": "m", "stop_reason": "end_turn"}
        message |= {"content": [{"type": "text", "text": "OK"}], "usage": {"input_tokens": 1, "output_tokens": 1}}
        return httpx2.Response(200, json=message)

    native = load_specs().spec("anthropic")
    recorder = Recorder(transport=httpx2.MockTransport(handler))
    ctx = ProbeContext(native.provider, "http://fake.invalid", "sk-ant-test-key", "claude-haiku-4-5", 5.0, recorder)
    anth.basic(ctx, native.claims[0])
    assert seen[0]["x-api-key"] == "sk-ant-test-key"
    assert "authorization" not in seen[0]


@pytest.mark.parametrize(
    ("secret", "text", "masked"),
    [
        ("sk-live-0123456789", "key sk-live-0123456789 here", "key *** here"),
        ("x", "max_tokens index x-stainless", "max_tokens index x-stainless"),  # too short to mask inside text
    ],
)
def test_mask_text_masks_real_keys_and_leaves_text_readable(secret: str, text: str, masked: str) -> None:
    from conformance.exchange.model import mask_headers, mask_text

    assert mask_text(text, (secret,)) == masked
    assert mask_headers({"authorization": "Bearer x", "x-os": "Linux", "k": secret}, (secret,)) == {
        "authorization": "***",
        "x-os": "Linux",
        "k": "***",
    }
