"""The fake provider servers (tests/fakes) answer through the real SDKs as their docs say, and a break flips one claim.

Everything here is a test fixture talking to 127.0.0.1: never a provider's evidence.
"""

from __future__ import annotations

import copy
import json
import re
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import anthropic
import httpx2
import openai
import pytest
from google import genai
from google.genai import errors as genai_errors
from google.genai import types as genai_types

from conformance.checks import prompts
from conformance.data import fixture_json
from conformance.spec.loader import load_specs
from tests.fakes import BREAKABLE, FLAVORS, FakeServer, base_url, claim_of
from tests.fakes.server import Reply, Request

MODELS = {
    "openai": "gpt-4o-mini",
    "anthropic-openai": "claude-haiku-4-5",
    "gemini-openai": "gemini-2.5-flash",
    "anthropic": "claude-haiku-4-5",
    "gemini": "gemini-2.5-flash",
}
OPENAI_FLAVORS = ("openai", "anthropic-openai", "gemini-openai")
BAD_KEY = "invalid-key-for-conformance"
TOOLS = [fixture_json("tools/get_weather.json"), fixture_json("tools/get_time.json")]
RATE_LIMITS = [f"x-ratelimit-{k}-{u}" for k in ("limit", "remaining", "reset") for u in ("requests", "tokens")]
ANTHROPIC_HEADERS = {"x-api-key": "sk-fake", "anthropic-version": "2023-06-01", "content-type": "application/json"}


# --- clients ----------------------------------------------------------------------------------------------------


@contextmanager
def openai_sdk(flavor: str, breaks: frozenset[str] = frozenset(), key: str = "sk-fake") -> Iterator[openai.OpenAI]:
    with (
        FakeServer(flavor, breaks) as server,
        openai.OpenAI(api_key=key, base_url=base_url(flavor, server), max_retries=0, timeout=10) as client,
    ):
        yield client
    assert not server.errors


@contextmanager
def anthropic_sdk(breaks: frozenset[str] = frozenset(), key: str = "sk-fake") -> Iterator[anthropic.Anthropic]:
    with (
        FakeServer("anthropic", breaks) as server,
        anthropic.Anthropic(api_key=key, base_url=base_url("anthropic", server), max_retries=0, timeout=10) as client,
    ):
        yield client
    assert not server.errors


@contextmanager
def genai_sdk(breaks: frozenset[str] = frozenset(), key: str = "sk-fake") -> Iterator[genai.Client]:
    with FakeServer("gemini", breaks) as server:
        options = genai_types.HttpOptions(
            base_url=base_url("gemini", server),
            api_version="v1beta",
            retry_options=genai_types.HttpRetryOptions(attempts=1),
        )
        with genai.Client(api_key=key, http_options=options) as client:
            yield client
    assert not server.errors


def raw(server: FakeServer, method: str, path: str, headers: dict[str, str], body: Any = None) -> httpx2.Response:
    """A request the SDKs would not send (a header left out on purpose)."""
    content = None if body is None else json.dumps(body).encode()
    with httpx2.Client(timeout=10) as client:
        response: httpx2.Response = client.request(method, server.url + path, headers=headers, content=content)
        response.read()
    return response


def ask(text: str, role: str = "user") -> list[Any]:
    return [{"role": role, "content": text}]


# --- the registry -----------------------------------------------------------------------------------------------


def test_every_breakable_id_is_a_claim_of_its_flavors_spec() -> None:
    specs = {spec.provider.id: {c.id for c in spec.claims} for spec in load_specs().specs}
    assert set(BREAKABLE) == set(FLAVORS) <= set(specs)
    for flavor, ids in BREAKABLE.items():
        assert ids, flavor
        claims = {claim_of(break_id) for break_id in ids}
        assert claims <= specs[flavor], sorted(claims - specs[flavor])


def test_unknown_flavor_or_break_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown flavor"):
        FakeServer("mistral")
    with pytest.raises(ValueError, match="cannot break"):
        FakeServer("openai", {"openai.request.no-such-field"})
    with pytest.raises(ValueError, match="cannot break"):
        FakeServer("openai", {"anthropic-openai.request.n"})  # another flavor's claim


def test_server_is_local_records_requests_and_stops() -> None:
    with FakeServer("openai") as server:
        assert server.url.startswith("http://127.0.0.1:")
        assert base_url("openai", server) == server.base_url == server.url + "/v1/"
        response = raw(server, "GET", "/v1/models?x=1", {"authorization": "Bearer k"})
        assert response.status_code == 200
        method, path, headers, body = server.requests[-1]
        assert (method, path, headers["authorization"], body) == ("GET", "/v1/models?x=1", "Bearer k", None)
        port = int(server.url.rsplit(":", 1)[1])
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.url


def test_base_urls() -> None:
    with FakeServer("gemini-openai") as server:
        assert base_url("gemini-openai", server) == server.url + "/v1beta/openai/"
        assert base_url("anthropic", server) == base_url("gemini", server) == server.url


# --- the three OpenAI-format flavors ---------------------------------------------------------------------------


@pytest.mark.parametrize("flavor", OPENAI_FLAVORS)
def test_openai_format_basic_stream_and_errors(flavor: str) -> None:
    model = MODELS[flavor]
    with openai_sdk(flavor) as client:
        reply = client.chat.completions.create(model=model, messages=ask(prompts.BASIC), max_tokens=16)
        assert reply.object == "chat.completion"
        assert reply.model == model
        assert [c.message.content for c in reply.choices] == ["OK"]
        assert reply.choices[0].finish_reason == "stop"
        assert reply.usage is not None
        details = reply.usage.completion_tokens_details
        thought = (details.reasoning_tokens or 0) if details and flavor == "gemini-openai" else 0  # 2.5 Flash thinks
        assert (reply.usage.prompt_tokens, reply.usage.completion_tokens, reply.usage.total_tokens) == (
            6,
            1,
            7 + thought,
        )

        chunks = list(
            client.chat.completions.create(
                model=model,
                messages=ask(prompts.COUNT),
                max_tokens=5,
                stream=True,
                stream_options={"include_usage": True},
            )
        )
        assert {c.object for c in chunks} == {"chat.completion.chunk"}
        assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "1 2 3 4 5"
        assert chunks[-1].choices == []
        assert chunks[-1].usage is not None
        assert chunks[-1].usage.completion_tokens == 5

        with (
            pytest.raises(openai.AuthenticationError) as wrong_key,
            openai.OpenAI(api_key=BAD_KEY, base_url=str(client.base_url), max_retries=0) as bad,
        ):
            bad.chat.completions.create(model=model, messages=ask(prompts.BASIC))
        with pytest.raises(openai.NotFoundError) as unknown_model:
            client.chat.completions.create(model="no-such-model-conformance", messages=ask(prompts.BASIC))
        with pytest.raises(openai.BadRequestError) as invalid:
            client.chat.completions.create(model=model, messages=ask(prompts.BASIC), max_tokens=-1)
    for error, status in ((wrong_key, 401), (unknown_model, 404), (invalid, 400)):
        assert error.value.status_code == status
        body = error.value.response.json()
        assert set(body["error"]) == {"message", "type", "param", "code"}
        assert isinstance(body["error"]["message"], str)
    assert unknown_model.value.response.json()["error"]["code"] == "model_not_found"


@pytest.mark.parametrize("flavor", OPENAI_FLAVORS)
def test_openai_format_stream_ends_with_done(flavor: str) -> None:
    with FakeServer(flavor) as server:
        body = {"model": MODELS[flavor], "messages": ask(prompts.BASIC), "stream": True}
        root = FLAVORS[flavor].root
        response = raw(server, "POST", f"{root}chat/completions", {"authorization": "Bearer k"}, body)
    assert response.headers["content-type"] == "text/event-stream"
    events = [line for line in response.text.split("\n\n") if line]
    assert events[-1] == "data: [DONE]"
    assert all(e.startswith("data: ") for e in events)
    assert "usage" not in json.loads(events[0][6:])  # only with stream_options.include_usage


@pytest.mark.parametrize("flavor", OPENAI_FLAVORS)
def test_openai_format_toy_model(flavor: str) -> None:
    model = MODELS[flavor]

    def chat(client: openai.OpenAI, messages: list[Any], **kwargs: Any) -> Any:
        return client.chat.completions.create(model=model, messages=messages, **kwargs)

    with openai_sdk(flavor) as client:
        limited = chat(client, ask(prompts.COUNT), max_tokens=3)
        assert (limited.choices[0].message.content, limited.choices[0].finish_reason) == ("1 2 3", "length")
        assert limited.usage.completion_tokens == 3
        stopped = chat(client, ask(prompts.COUNT), stop=[prompts.COUNT_STOP], max_tokens=64)
        assert stopped.choices[0].message.content.split() == ["1", "2", "3", "4", "5", "6"]
        assert stopped.choices[0].finish_reason == "stop"
        full = chat(client, ask(prompts.COUNT), max_tokens=64)
        assert full.choices[0].message.content == " ".join(str(i) for i in range(1, 21))

        called = chat(client, ask(prompts.TOOLS), tools=TOOLS, tool_choice="auto", max_tokens=200)
        calls = called.choices[0].message.tool_calls
        assert called.choices[0].finish_reason == "tool_calls"
        assert [(c.id, c.function.name, json.loads(c.function.arguments)) for c in calls] == [
            ("call_1", "get_weather", {"location": "Paris"}),
            ("call_2", "get_time", {"city": "Tokyo"}),
        ]
        one = chat(client, ask(prompts.TOOLS), tools=TOOLS, parallel_tool_calls=False, max_tokens=200)
        assert [c.function.name for c in one.choices[0].message.tool_calls] == ["get_weather"]

        late_system = ask(prompts.SECRET_QUESTION) + ask(prompts.SECRET_SYSTEM, "system")
        assert chat(client, late_system).choices[0].message.content == prompts.SECRET_WORD
        two_systems = (
            ask("Be brief.", "developer") + ask(prompts.SECRET_SYSTEM, "system") + ask(prompts.SECRET_QUESTION)
        )
        assert chat(client, two_systems).choices[0].message.content == prompts.SECRET_WORD
        assert chat(client, ask(prompts.SECRET_QUESTION)).choices[0].message.content == "I don't know"
        assert chat(client, ask(prompts.THINK)).choices[0].message.content == "391"


@pytest.mark.parametrize("flavor", OPENAI_FLAVORS)
def test_openai_format_models_and_embeddings(flavor: str) -> None:
    with openai_sdk(flavor) as client:
        ids = [m.id for m in client.models.list()]
        assert MODELS[flavor] in ids
        assert client.models.retrieve(MODELS[flavor]).id == MODELS[flavor]
        with pytest.raises(openai.NotFoundError):
            client.models.retrieve("no-such-model-conformance")
        model = {"openai": "text-embedding-3-small", "gemini-openai": "gemini-embedding-001"}.get(flavor)
        if model is None:  # Anthropic has no embeddings endpoint
            with pytest.raises(openai.NotFoundError):
                client.embeddings.create(model="claude-haiku-4-5", input=prompts.EMBED)
            return
        floats = client.embeddings.create(model=model, input=prompts.EMBED, encoding_format="float").data[0].embedding
        decoded = client.embeddings.create(model=model, input=prompts.EMBED).data[0].embedding  # base64, decoded
        assert len(floats) == 16
        assert all(isinstance(x, float) for x in floats)
        assert decoded == pytest.approx(floats, abs=1e-6)


def test_openai_specifics() -> None:
    with FakeServer("openai") as server:
        with openai.OpenAI(api_key="sk", base_url=server.base_url, max_retries=0) as client:
            response = client.chat.completions.with_raw_response.create(
                model="gpt-4o-mini",
                messages=ask(prompts.BASIC),
                n=3,
                logprobs=True,
                top_logprobs=2,
                service_tier="auto",
            )
            reply = response.parse()
            for name in [*RATE_LIMITS, "x-request-id", "openai-organization", "openai-processing-ms"]:
                assert response.headers.get(name), name
            assert response.headers["openai-version"] == "2020-10-01"
            assert [c.index for c in reply.choices] == [0, 1, 2]
            logprobs = reply.choices[0].logprobs
            assert logprobs is not None
            assert logprobs.content
            assert logprobs.content[0].token == "OK"
            assert len(logprobs.content[0].top_logprobs) == 2
            assert reply.system_fingerprint
            assert reply.service_tier == "default"
            for name, value in (("n", 129), ("temperature", 2.5), ("top_logprobs", 21), ("stop", list("abcde"))):
                out_of_range: Any = {name: value}
                with pytest.raises(openai.BadRequestError, match=name):
                    client.chat.completions.create(model="gpt-4o-mini", messages=ask(prompts.BASIC), **out_of_range)
            with pytest.raises(openai.BadRequestError, match="Unrecognized request argument supplied: thinking"):
                client.chat.completions.create(model="gpt-4o-mini", messages=ask("x"), extra_body={"thinking": {}})
        body = {"model": "gpt-4o-mini", "messages": ask(prompts.BASIC)}
        plain = raw(server, "POST", "/v1/chat/completions", {"authorization": "Bearer k"}, body).json()
        assert plain["choices"][0]["message"]["refusal"] is None
        assert plain["choices"][0]["logprobs"] is None
        assert "service_tier" not in plain  # "When the service_tier parameter is set, the response ... include[s]" it
        for empty_or_unknown in ({"messages": []}, {"service_tier": "turbo"}, {"model": "o4-mini", "max_tokens": 16}):
            refused = raw(
                server, "POST", "/v1/chat/completions", {"authorization": "Bearer k"}, body | empty_or_unknown
            )
            assert refused.status_code == 400, empty_or_unknown
        assert set(plain["usage"]["completion_tokens_details"]) >= {"reasoning_tokens", "accepted_prediction_tokens"}
        assert raw(server, "POST", "/v1/chat/completions", {}, body).status_code == 401


def test_anthropic_openai_specifics() -> None:
    with (
        FakeServer("anthropic-openai") as server,
        openai.OpenAI(api_key="sk", base_url=server.base_url, max_retries=0) as client,
    ):
        response = client.chat.completions.with_raw_response.create(
            model="claude-haiku-4-5", messages=ask(prompts.BASIC), logprobs=True, temperature=1.5
        )
        for name in [*RATE_LIMITS, "request-id"]:
            assert response.headers.get(name), name
        assert response.headers["openai-version"] == "2020-10-01"
        assert "openai-processing-ms" not in response.headers
        body = json.loads(response.text)
        assert set(body) == {"id", "object", "created", "model", "choices", "usage"}
        assert set(body["choices"][0]) == {"index", "message", "finish_reason"}  # logprobs ignored
        assert set(body["choices"][0]["message"]) == {"role", "content"}
        assert set(body["usage"]) == {"prompt_tokens", "completion_tokens", "total_tokens"}
        with pytest.raises(openai.BadRequestError) as n2:
            client.chat.completions.create(model="claude-haiku-4-5", messages=ask(prompts.BASIC), n=2)
        assert n2.value.response.json()["error"]["param"] == "n"
        assert len(client.chat.completions.create(model="claude-haiku-4-5", messages=ask("x"), n=1).choices) == 1
        with pytest.raises(openai.NotFoundError):
            client.chat.completions.create(model="gpt-4o", messages=ask(prompts.BASIC))
        thought = client.chat.completions.create(
            model="claude-haiku-4-5",
            messages=ask(prompts.THINK),
            max_tokens=2048,
            extra_body={"thinking": {"type": "enabled", "budget_tokens": 1024}},
        )
        assert thought.choices[0].message.content == "391"
        assert not (thought.choices[0].message.model_extra or {}).get("reasoning_content")
        audio: Any = [
            {"type": "text", "text": prompts.AUDIO},
            {"type": "input_audio", "input_audio": {"data": "UklG", "format": "wav"}},
        ]
        dropped = client.chat.completions.create(
            model="claude-haiku-4-5", messages=[{"role": "user", "content": audio}]
        )
        assert dropped.choices[0].message.content == "I hear no audio."


def test_gemini_openai_specifics() -> None:
    with openai_sdk("gemini-openai") as client:
        for effort in ("minimal", "low", "medium", "high", "none"):
            client.chat.completions.create(
                model="gemini-2.5-flash", messages=ask(prompts.THINK), reasoning_effort=effort
            )
        google = {"google": {"thinking_config": {"thinking_budget": 1024}}}
        with pytest.raises(openai.BadRequestError, match="cannot be used together"):
            client.chat.completions.create(
                model="gemini-2.5-flash",
                messages=ask(prompts.THINK),
                reasoning_effort="low",
                extra_body={"extra_body": google},
            )
        thoughts = {"google": {"thinking_config": {"thinking_budget": "low", "include_thoughts": True}}}
        reply = client.chat.completions.create(
            model="gemini-2.5-flash", messages=ask(prompts.THINK), extra_body={"extra_body": thoughts}
        )
        content = reply.choices[0].message.content or ""
        assert content.startswith("<thought>")
        assert content.endswith("</thought>391")
    with FakeServer("gemini-openai") as server:
        body = {"model": "gemini-2.5-flash", "messages": ask(prompts.BASIC)}
        literal = raw(server, "POST", "/v1beta/chat/completions", {"authorization": "Bearer k"}, body)
        assert literal.json()["choices"][0]["message"]["content"] == "OK"


# --- Anthropic's native Messages API ---------------------------------------------------------------------------


def test_anthropic_native() -> None:
    with anthropic_sdk() as client:
        message = client.messages.create(model="claude-haiku-4-5", max_tokens=16, messages=ask(prompts.BASIC))
        assert (message.type, message.role, message.stop_reason) == ("message", "assistant", "end_turn")
        assert message.id.startswith("msg_")
        assert [(b.type, b.text) for b in message.content] == [("text", "OK")]  # type: ignore[union-attr]
        assert (message.usage.input_tokens, message.usage.output_tokens) == (6, 1)

        with client.messages.stream(model="claude-haiku-4-5", max_tokens=5, messages=ask(prompts.COUNT)) as stream:
            final = stream.get_final_message()
        assert final.content[0].text == "1 2 3 4 5"  # type: ignore[union-attr]
        assert final.stop_reason == "max_tokens"

        system = client.messages.create(
            model="claude-haiku-4-5", max_tokens=16, system=prompts.SECRET_SYSTEM, messages=ask(prompts.SECRET_QUESTION)
        )
        assert system.content[0].text == prompts.SECRET_WORD  # type: ignore[union-attr]
        thinking = client.messages.create(
            model="claude-haiku-4-5",
            max_tokens=2048,
            thinking={"type": "enabled", "budget_tokens": 1024},
            messages=ask(prompts.THINK),
        )
        assert [b.type for b in thinking.content] == ["thinking", "text"]
        assert thinking.content[1].text == "391"  # type: ignore[union-attr]
        stopped = client.messages.create(
            model="claude-haiku-4-5", max_tokens=64, stop_sequences=["7"], messages=ask(prompts.COUNT)
        )
        assert (stopped.stop_reason, stopped.stop_sequence) == ("stop_sequence", "7")
        tools: Any = [{"name": t["function"]["name"], "input_schema": t["function"]["parameters"]} for t in TOOLS]
        used = client.messages.create(
            model="claude-haiku-4-5", max_tokens=200, tools=tools, messages=ask(prompts.TOOLS)
        )
        assert used.stop_reason == "tool_use"
        assert [(b.name, b.input) for b in used.content] == [  # type: ignore[union-attr]
            ("get_weather", {"location": "Paris"}),
            ("get_time", {"city": "Tokyo"}),
        ]

        assert client.messages.count_tokens(model="claude-haiku-4-5", messages=ask(prompts.BASIC)).input_tokens == 6
        page = client.models.list()
        assert (page.has_more, page.first_id) == (False, "claude-haiku-4-5")
        with pytest.raises(anthropic.NotFoundError) as unknown:
            client.messages.create(model="no-such-model-conformance", max_tokens=16, messages=ask(prompts.BASIC))
    with pytest.raises(anthropic.AuthenticationError) as wrong_key, anthropic_sdk(key=BAD_KEY) as bad:
        bad.messages.create(model="claude-haiku-4-5", max_tokens=16, messages=ask(prompts.BASIC))
    for error, kind in ((unknown, "not_found_error"), (wrong_key, "authentication_error")):
        body = error.value.response.json()
        assert (body["type"], body["error"]["type"]) == ("error", kind)
        assert isinstance(body["error"]["message"], str)
        assert error.value.response.headers["request-id"]
        assert error.value.response.headers["anthropic-organization-id"]


def test_anthropic_native_headers_and_events() -> None:
    body = {"model": "claude-haiku-4-5", "max_tokens": 16, "messages": ask(prompts.BASIC)}
    with FakeServer("anthropic") as server:
        ok = raw(server, "POST", "/v1/messages", ANTHROPIC_HEADERS, body)
        assert ok.status_code == 200
        assert ok.headers["request-id"]
        assert ok.headers["anthropic-organization-id"]
        for name, status in (("x-api-key", 401), ("anthropic-version", 400), ("content-type", 400)):
            without = {k: v for k, v in ANTHROPIC_HEADERS.items() if k != name}
            answer = raw(server, "POST", "/v1/messages", without, body)
            assert answer.status_code == status, name
            assert answer.json()["type"] == "error"
        streamed = raw(server, "POST", "/v1/messages", ANTHROPIC_HEADERS, {**body, "stream": True})
        names = re.findall(r"^event: (\w+)$", streamed.text, re.MULTILINE)
        assert names == [
            "message_start",
            "ping",
            "content_block_start",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop",
        ]
        huge = server.handle(Request("POST", "/v1/messages", {}, dict(ANTHROPIC_HEADERS), body, 33 * 1024 * 1024))
        assert huge.status == 413
        assert huge.body["error"]["type"] == "request_too_large"


# --- Gemini's native API ----------------------------------------------------------------------------------------


def test_gemini_native() -> None:
    with genai_sdk() as client:
        reply = client.models.generate_content(model="gemini-2.5-flash", contents=prompts.BASIC)
        assert reply.text == "OK"
        assert reply.candidates[0].finish_reason == genai_types.FinishReason.STOP  # type: ignore[index]
        assert reply.usage_metadata is not None
        assert reply.usage_metadata.total_token_count == 7
        config = genai_types.GenerateContentConfig(max_output_tokens=3)
        short = client.models.generate_content(model="gemini-2.5-flash", contents=prompts.COUNT, config=config)
        assert (short.text, short.candidates[0].finish_reason) == ("1 2 3", genai_types.FinishReason.MAX_TOKENS)  # type: ignore[index]
        streamed = client.models.generate_content_stream(model="gemini-2.5-flash", contents=prompts.COUNT)
        assert "".join(chunk.text or "" for chunk in streamed) == " ".join(str(i) for i in range(1, 21))
        thinking = genai_types.ThinkingConfig(include_thoughts=True, thinking_budget=1024)
        thought = client.models.generate_content(
            model="gemini-2.5-flash",
            contents=prompts.THINK,
            config=genai_types.GenerateContentConfig(thinking_config=thinking),
        )
        parts = thought.candidates[0].content.parts  # type: ignore[index, union-attr]
        assert [bool(p.thought) for p in parts] == [True, False]  # type: ignore[union-attr]
        assert parts[-1].text == "391"  # type: ignore[index]
        system = genai_types.GenerateContentConfig(system_instruction=prompts.SECRET_SYSTEM)
        secret = client.models.generate_content(
            model="gemini-2.5-flash", contents=prompts.SECRET_QUESTION, config=system
        )
        assert secret.text == prompts.SECRET_WORD
        assert client.models.count_tokens(model="gemini-2.5-flash", contents=prompts.BASIC).total_tokens == 6
        vectors = client.models.embed_content(model="gemini-embedding-001", contents=prompts.EMBED).embeddings
        assert vectors
        assert vectors[0].values
        assert len(vectors[0].values) == 16
        assert "models/gemini-2.5-flash" in [m.name for m in client.models.list()]
        with pytest.raises(genai_errors.ClientError) as unknown:
            client.models.generate_content(model="no-such-model-conformance", contents=prompts.BASIC)
    with pytest.raises(genai_errors.ClientError) as wrong_key, genai_sdk(key=BAD_KEY) as bad:
        bad.models.generate_content(model="gemini-2.5-flash", contents=prompts.BASIC)
    for error, code, status in ((unknown, 404, "NOT_FOUND"), (wrong_key, 400, "INVALID_ARGUMENT")):
        assert error.value.code == code
        assert error.value.details["error"]["status"] == status
        assert set(error.value.details["error"]) == {"code", "message", "status"}


def test_gemini_native_key_and_stream_wire() -> None:
    body = {"contents": [{"parts": [{"text": prompts.BASIC}]}]}
    path = "/v1beta/models/gemini-2.5-flash:generateContent"
    with FakeServer("gemini") as server:
        assert raw(server, "POST", path, {"x-goog-api-key": "k"}, body).status_code == 200
        assert raw(server, "POST", path + "?key=k", {}, body).status_code == 200
        missing = raw(server, "POST", path, {}, body)
        assert (missing.status_code, missing.json()["error"]["status"]) == (403, "PERMISSION_DENIED")
        stream = raw(
            server,
            "POST",
            path.replace("generateContent", "streamGenerateContent?alt=sse"),
            {"x-goog-api-key": "k"},
            body,
        )
        assert stream.headers["content-type"] == "text/event-stream"
        last = json.loads(stream.text.strip().split("\n\n")[-1][6:])
        assert last["candidates"][0]["finishReason"] == "STOP"
        assert last["usageMetadata"]["totalTokenCount"] == 7


# --- breaks -----------------------------------------------------------------------------------------------------


def _anthropic_openai(breaks: str, **kwargs: Any) -> tuple[Any, dict[str, str]]:
    """One chat completion from the anthropic-openai fake with ``breaks``: the parsed reply and its headers."""
    kwargs.setdefault("messages", ask(prompts.BASIC))
    with openai_sdk("anthropic-openai", frozenset({f"anthropic-openai.{b}" for b in breaks.split()})) as client:
        response = client.chat.completions.with_raw_response.create(model="claude-haiku-4-5", **kwargs)
        return json.loads(response.text), dict(response.headers)


def test_break_openai_version_header() -> None:
    _, headers = _anthropic_openai("header.openai-version")
    assert "openai-version" not in headers
    assert headers["request-id"]
    assert headers["x-ratelimit-limit-requests"]
    _, unbroken = _anthropic_openai("header.request-id")
    assert unbroken["openai-version"] == "2020-10-01"
    assert "request-id" not in unbroken


def test_break_n_must_equal_one() -> None:
    reply, _ = _anthropic_openai("request.n", n=2)
    assert len(reply["choices"]) == 1  # accepted, and still one choice
    capped, _ = _anthropic_openai("request.n", temperature=1.5)
    assert capped["choices"][0]["message"]["content"] == "OK"


def test_break_hoisting_drops_late_system_messages() -> None:
    late = ask(prompts.SECRET_QUESTION) + ask(prompts.SECRET_SYSTEM, "system")
    reply, _ = _anthropic_openai("behavior.system-developer-hoisting", messages=late)
    assert reply["choices"][0]["message"]["content"] == "I don't know"
    early = ask(prompts.SECRET_SYSTEM, "system") + ask(prompts.SECRET_QUESTION)
    reply, _ = _anthropic_openai("behavior.system-developer-hoisting", messages=early)
    assert reply["choices"][0]["message"]["content"] == prompts.SECRET_WORD


CODE_WORD_MESSAGES = [
    *ask(prompts.CODE_WORD_SYSTEM, "system"),
    *ask(prompts.CODE_WORD_DEVELOPER, "developer"),
    *ask(prompts.CODE_WORD_QUESTION),
]


@pytest.mark.parametrize(("breaks", "answer"), [((), " ".join(prompts.CODE_WORDS)), (("join",), prompts.CODE_WORDS[1])])
def test_system_and_developer_messages_are_joined_unless_broken(breaks: tuple[str, ...], answer: str) -> None:
    """The model sees every system/developer message; broken, only the last one (the first code word is lost)."""
    broken = frozenset(f"anthropic-openai.behavior.system-developer-{b}" for b in breaks)
    with openai_sdk("anthropic-openai", broken) as client:
        reply = client.chat.completions.create(model="claude-haiku-4-5", messages=CODE_WORD_MESSAGES, max_tokens=16)
    assert reply.choices[0].message.content == answer


def test_a_repeated_long_prompt_is_cached_only_when_broken() -> None:
    messages: Any = [{"role": "system", "content": prompts.cacheable_text(4096)}, *ask(prompts.BASIC)]
    for breaks, cached in ((frozenset(), None), (frozenset({"anthropic-openai.behavior.prompt-caching"}), True)):
        with openai_sdk("anthropic-openai", breaks) as client:
            first, repeat = (
                client.chat.completions.create(model="claude-haiku-4-5", messages=messages, max_tokens=4)
                for _ in range(2)
            )
            details = [u.prompt_tokens_details for u in (first.usage, repeat.usage) if u is not None]
        if cached is None:
            assert details == [None, None]
        else:
            assert [d.cached_tokens if d else 0 for d in details] == [0, repeat.usage.prompt_tokens]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("model", "thinks"), [("gemini-2.5-flash", False), ("gemini-2.5-pro", True), ("gemini-3-pro-preview", True)]
)
def test_reasoning_effort_none_turns_thinking_off_only_on_2_5_flash(model: str, thinks: bool) -> None:
    with openai_sdk("gemini-openai") as client:
        default = client.chat.completions.create(model=model, messages=ask(prompts.THINK), max_tokens=64)
        off = client.chat.completions.create(
            model=model, messages=ask(prompts.THINK), max_tokens=64, reasoning_effort="none"
        )
    assert default.usage
    assert default.usage.completion_tokens_details
    assert (default.usage.completion_tokens_details.reasoning_tokens or 0) > 0
    details = off.usage.completion_tokens_details if off.usage else None
    assert bool(details and details.reasoning_tokens) is thinks


def test_gemini_3_tool_calls_carry_a_signature_that_must_come_back() -> None:
    asked = ask(prompts.TOOLS)
    with openai_sdk("gemini-openai") as client:
        answer = client.chat.completions.create(model="gemini-3-pro-preview", messages=asked, tools=TOOLS)
        raw_calls = [c.model_dump() for c in answer.choices[0].message.tool_calls or []]
        assert raw_calls[0]["extra_content"]["google"]["thought_signature"]
        assert all("extra_content" not in c for c in raw_calls[1:])  # only the first call of a turn is signed
        results = [{"role": "tool", "tool_call_id": c["id"], "content": "sunny"} for c in raw_calls]
        echoed: Any = [*asked, {"role": "assistant", "tool_calls": raw_calls}, *results]
        follow = client.chat.completions.create(model="gemini-3-pro-preview", messages=echoed, tools=TOOLS)
        assert follow.choices[0].message.content == "It is sunny in Paris and 21:00 in Tokyo."
        unsigned = [{k: v for k, v in c.items() if k != "extra_content"} for c in raw_calls]
        stripped: Any = [*asked, {"role": "assistant", "tool_calls": unsigned}, *results]
        with pytest.raises(openai.BadRequestError, match="thought_signature"):
            client.chat.completions.create(model="gemini-3-pro-preview", messages=stripped, tools=TOOLS)


def test_break_refusal_filled() -> None:
    reply, _ = _anthropic_openai("response.choices.message.refusal")
    message = reply["choices"][0]["message"]
    assert message["refusal"]
    assert message["content"] == "OK"
    assert "audio" not in message


def test_break_total_tokens_off_by_one() -> None:
    reply, _ = _anthropic_openai("usage.total_tokens")
    usage = reply["usage"]
    assert (usage["prompt_tokens"], usage["completion_tokens"], usage["total_tokens"]) == (6, 1, 8)


def test_break_max_tokens_not_applied() -> None:
    reply, _ = _anthropic_openai("request.max_tokens", messages=ask(prompts.COUNT), max_tokens=3)
    assert (len(reply["choices"][0]["message"]["content"].split()), reply["choices"][0]["finish_reason"]) == (
        20,
        "stop",
    )
    other, _ = _anthropic_openai("request.max_tokens", messages=ask(prompts.COUNT), max_completion_tokens=3)
    assert other["choices"][0]["message"]["content"] == "1 2 3"


def test_break_stop_ignored() -> None:
    reply, _ = _anthropic_openai("request.stop", messages=ask(prompts.COUNT), stop=["7"], max_tokens=64)
    assert "7" in reply["choices"][0]["message"]["content"].split()
    limited, _ = _anthropic_openai("request.stop", messages=ask(prompts.COUNT), stop=["7"], max_tokens=3)
    assert limited["choices"][0]["message"]["content"] == "1 2 3"


def test_break_logprobs_returned() -> None:
    reply, _ = _anthropic_openai("request.logprobs", logprobs=True)
    assert reply["choices"][0]["logprobs"]["content"][0]["token"] == "OK"
    plain, _ = _anthropic_openai("request.logprobs")
    assert "logprobs" not in plain["choices"][0]


def test_break_error_shape_keeps_status() -> None:
    with (
        pytest.raises(openai.BadRequestError) as error,
        openai_sdk("anthropic-openai", frozenset({"anthropic-openai.error.openai-format"})) as c,
    ):
        c.chat.completions.create(model="claude-haiku-4-5", messages=ask(prompts.BASIC), max_tokens=-1)
    assert "error" not in error.value.response.json()


def test_breaks_of_other_flavors() -> None:
    with openai_sdk("openai", frozenset({"openai.request.n", "openai.error.invalid-api-key"}), key=BAD_KEY) as client:
        reply = client.chat.completions.create(model="gpt-4o-mini", messages=ask(prompts.BASIC), n=200)
        assert len(reply.choices) == 128  # capped instead of refused; the wrong key is accepted
    with openai_sdk("gemini-openai", frozenset({"gemini-openai.request.reasoning_effort.exclusive"})) as client:
        google = {"extra_body": {"google": {"thinking_config": {"thinking_budget": 1024}}}}
        client.chat.completions.create(
            model="gemini-2.5-flash", messages=ask("x"), reasoning_effort="low", extra_body=google
        )
    with FakeServer("anthropic", {"anthropic.request_header.anthropic-version"}) as server:
        body = {"model": "claude-haiku-4-5", "max_tokens": 16, "messages": ask(prompts.BASIC)}
        no_version = {k: v for k, v in ANTHROPIC_HEADERS.items() if k != "anthropic-version"}
        assert raw(server, "POST", "/v1/messages", no_version, body).status_code == 200
        no_key = {k: v for k, v in ANTHROPIC_HEADERS.items() if k != "x-api-key"}
        assert raw(server, "POST", "/v1/messages", no_key, body).status_code == 401
    with genai_sdk(frozenset({"gemini.request.thinking_config.include_thoughts"})) as genai_client:
        thinking = genai_types.ThinkingConfig(include_thoughts=True)
        config = genai_types.GenerateContentConfig(thinking_config=thinking)
        answer = genai_client.models.generate_content(model="gemini-2.5-flash", contents=prompts.THINK, config=config)
        assert [p.text for p in answer.candidates[0].content.parts] == ["391"]  # type: ignore[index, union-attr]


# --- every break changes something (in process, no sockets) -----------------------------------------------------


def _openai_battery(flavor: str) -> list[Request]:
    root, model = FLAVORS[flavor].root, MODELS[flavor]
    auth = {"authorization": "Bearer sk-fake", "content-type": "application/json"}

    def chat(
        text: str = prompts.BASIC, headers: dict[str, str] = auth, path: str = "chat/completions", **fields: Any
    ) -> Request:
        body = {"model": model, "messages": ask(text), "max_tokens": 16, **fields}
        return Request(
            "POST",
            root + path if not path.startswith("/") else path,
            {},
            headers,
            {k: v for k, v in body.items() if v is not None},
        )

    strict = [{"type": "function", "function": {**TOOLS[0]["function"], "strict": True}}]
    parts = [
        {"type": "text", "text": prompts.IMAGE},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
        {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
    ]
    google = {"thinking_config": {"thinking_budget": "low", "include_thoughts": True}}
    schema = {"type": "json_schema", "json_schema": fixture_json("schemas/calendar_event.json")}
    codes = CODE_WORD_MESSAGES
    cacheable = [{"role": "system", "content": prompts.cacheable_text(1024)}, *ask(prompts.BASIC)]
    return [
        chat(), chat(prompts.COUNT, max_tokens=3), chat(prompts.COUNT, max_tokens=None, max_completion_tokens=3),
        chat(prompts.COUNT, max_tokens=64, stop=["7"]), chat(stop=list("abcde")), chat(n=2), chat(n=129),
        chat(temperature=1.5), chat(temperature=2.5), chat(top_p=0.5), chat(presence_penalty=2.5),
        chat(frequency_penalty=2.5), chat(logprobs=True), chat(logprobs=True, top_logprobs=2),
        chat(logprobs=True, top_logprobs=25), chat(top_logprobs=2), chat(metadata={"a": "b"}), chat(seed=1),
        chat(prediction={"type": "content", "content": "OK"}), chat(service_tier="auto"), chat(store=False),
        chat(audio={"voice": "alloy", "format": "wav"}, modalities=["text", "audio"]), chat(logit_bias={"1000": 1}),
        chat(user="u"), chat(modalities=["text"]), chat(reasoning_effort="low"), chat(reasoning_effort="none"),
        chat(prompts.JSON_EVENT, response_format=schema), chat(response_format={"type": "text"}),
        chat(response_format={"type": "json_object"}), chat(stream=True, stream_options={"include_usage": True}),
        chat(prompts.TOOLS, tools=TOOLS, tool_choice="auto", max_tokens=200),
        chat(prompts.TOOLS, tools=TOOLS, parallel_tool_calls=False), chat(prompts.TOOLS, tools=strict),
        chat(tools=[{"type": "function", "function": {"description": "nameless"}}]),
        chat(messages=ask(prompts.SECRET_QUESTION) + ask(prompts.SECRET_SYSTEM, "system")),
        chat(messages=ask("Be brief.", "developer") + ask("Hi") + ask("Hello!", "assistant") + ask("OK?")),
        chat(messages=[*ask(prompts.TOOLS), {"role": "tool", "tool_call_id": "call_1", "content": "sunny"}]),
        chat(messages=[{"role": "user", "content": parts}]),
        chat(prompts.THINK, max_tokens=2048, thinking={"type": "enabled", "budget_tokens": 1024}),
        chat(prompts.THINK, extra_body={"google": google}), chat(prompts.THINK, google=google),
        chat(model="gemini-3-pro-preview", reasoning_effort="low"),
        chat(reasoning_effort="low", extra_body={"google": {"thinking_config": {"thinking_budget": 1024}}}),
        chat(messages=codes), chat(messages=cacheable), chat(messages=cacheable),
        chat(prompts.THINK, model="gemini-2.5-pro", reasoning_effort="none"),
        chat(prompts.THINK, model="gemini-3-pro-preview", reasoning_effort="none"),
        chat(prompts.TOOLS, model="gemini-3-pro-preview", tools=TOOLS, max_tokens=200),
        chat(foo=1), chat(headers={**auth, "authorization": f"Bearer {BAD_KEY}"}), chat(headers={"content-type": "application/json"}),
        chat(headers={**auth, "openai-organization": "org-x"}), chat(headers={**auth, "openai-project": "proj-x"}),
        chat(headers={"authorization": "Bearer k"}), chat(model="no-such-model-conformance"), chat(model="gpt-4o"),
        chat(max_tokens=-1), chat(model=None), chat(messages=None), chat(path="/v1beta/chat/completions"),
        chat(messages=[]), chat(service_tier="conformance-invalid-value"), chat(reasoning_effort="conformance-invalid"),
        chat(messages=[{"role": "system", "content": [{"type": "text", "text": "x", "cache_control": {"type": "ephemeral"}}]}]),
        Request("GET", root + "models", {}, auth), Request("GET", f"{root}models/{model}", {}, auth),
        Request("POST", root + "embeddings", {}, auth, {"model": model, "input": prompts.EMBED}),
    ]  # fmt: skip


def _anthropic_battery() -> list[Request]:
    def message(text: str = prompts.BASIC, headers: dict[str, str] = ANTHROPIC_HEADERS, **fields: Any) -> Request:
        body = {"model": "claude-haiku-4-5", "max_tokens": 16, "messages": ask(text), **fields}
        return Request("POST", "/v1/messages", {}, headers, body)

    tools = [{"name": t["function"]["name"], "input_schema": t["function"]["parameters"]} for t in TOOLS]
    cached = [{"type": "text", "text": prompts.SECRET_SYSTEM, "cache_control": {"type": "ephemeral"}}]
    return [
        message(), message(prompts.COUNT, max_tokens=3), message(prompts.COUNT, max_tokens=64, stop_sequences=["7"]),
        message(prompts.SECRET_QUESTION, system=prompts.SECRET_SYSTEM), message(prompts.SECRET_QUESTION, system=cached),
        message(prompts.THINK, max_tokens=2048, thinking={"type": "enabled", "budget_tokens": 1024}),
        message(prompts.TOOLS, tools=tools), message(stream=True),
        message(headers={k: v for k, v in ANTHROPIC_HEADERS.items() if k != "x-api-key"}),
        message(headers={**{k: v for k, v in ANTHROPIC_HEADERS.items() if k != "x-api-key"}, "authorization": "Bearer k"}),
        message(headers={k: v for k, v in ANTHROPIC_HEADERS.items() if k != "anthropic-version"}),
        message(headers={k: v for k, v in ANTHROPIC_HEADERS.items() if k != "content-type"}),
        message(headers={**ANTHROPIC_HEADERS, "x-api-key": BAD_KEY}), message(model="no-such-model-conformance"),
        Request("POST", "/v1/messages", {}, ANTHROPIC_HEADERS, {"model": "claude-haiku-4-5", "max_tokens": 16, "messages": ask("x")}, 33 << 20),
        Request("POST", "/v1/messages/count_tokens", {}, ANTHROPIC_HEADERS, {"model": "claude-haiku-4-5", "messages": ask("x")}),
        Request("GET", "/v1/models", {}, ANTHROPIC_HEADERS), Request("GET", "/v1/models/claude-haiku-4-5", {}, ANTHROPIC_HEADERS),
    ]  # fmt: skip


def _gemini_battery() -> list[Request]:
    key = {"x-goog-api-key": "k", "content-type": "application/json"}

    def generate(
        text: str = prompts.BASIC, method: str = "generateContent", headers: dict[str, str] = key, **config: Any
    ) -> Request:
        body: dict[str, Any] = {"contents": [{"parts": [{"text": text}]}], "generationConfig": config}
        return Request("POST", f"/v1beta/models/gemini-2.5-flash:{method}", {}, headers, body)

    return [
        generate(), generate(prompts.COUNT, maxOutputTokens=3), generate(prompts.COUNT, stopSequences=["7"]),
        generate(prompts.THINK, thinkingConfig={"includeThoughts": True}), generate(thinkingConfig={"thinkingLevel": "low"}),
        generate(thinkingConfig={"thinkingBudget": 1024}), generate(method="streamGenerateContent"),
        generate(method="countTokens"), generate(headers={"content-type": "application/json"}),
        generate(headers={"x-goog-api-key": "k"}), generate(headers={**key, "x-goog-api-key": BAD_KEY}),
        Request("POST", "/v1beta/models/no-such-model-conformance:generateContent", {}, key, {"contents": []}),
        Request("POST", "/v1beta/models/gemini-embedding-001:embedContent", {}, key, {"content": {"parts": [{"text": "x"}]}}),
        Request("GET", "/v1beta/models", {}, key), Request("GET", "/v1beta/models/gemini-2.5-flash", {}, key),
        *_gemini_reference_battery(key),
    ]  # fmt: skip


def _gemini_reference_battery(key: dict[str, str]) -> list[Request]:
    """Requests for the claims taken from the API reference (ranges, tools, parts, embeddings, streams)."""
    path = "/v1beta/models/gemini-2.5-flash:generateContent"
    functions = [
        {"name": "get_weather", "parameters": {"type": "OBJECT", "properties": {"location": {"type": "STRING"}}}},
        {"name": "get_time", "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING"}}}},
    ]
    tools = [{"functionDeclarations": functions}]
    user = {"role": "user", "parts": [{"text": prompts.TOOLS}]}
    called = {"role": "model", "parts": [{"functionCall": {"name": "get_weather", "args": {"location": "Paris"}}}]}
    answered = {"role": "user", "parts": [{"functionResponse": {"name": "get_weather", "response": {"r": "sun"}}}]}
    image = {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}}

    def post(body: Any, method: str = "generateContent", model: str = "gemini-2.5-flash") -> Request:
        return Request("POST", f"/v1beta/models/{model}:{method}", {}, key, body)

    def ask(text: str, **fields: Any) -> Request:
        return post({"contents": [{"parts": [{"text": text}]}], **fields})

    def calling(mode: str, allowed: list[str] | None = None) -> Request:
        config: dict[str, Any] = {"mode": mode, **({"allowedFunctionNames": allowed} if allowed else {})}
        return ask(prompts.TOOLS, tools=tools, toolConfig={"functionCallingConfig": config})

    schema = {"type": "OBJECT", "properties": {"name": {"type": "STRING"}}, "required": ["name"]}
    return [
        post({"generationConfig": {"maxOutputTokens": 5}}), Request("POST", path, {}, key, None),
        ask(prompts.SECRET_QUESTION, systemInstruction={"parts": [{"text": prompts.SECRET_SYSTEM}]}),
        ask(prompts.BASIC, safetySettings=[{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_ONLY_HIGH"}]),
        ask(prompts.BASIC, generationConfig={"temperature": 2.5}), ask(prompts.BASIC, generationConfig={"topP": 0.5}),
        ask(prompts.BASIC, generationConfig={"topK": 20}), ask(prompts.BASIC, generationConfig={"candidateCount": 2}),
        ask(prompts.BASIC, generationConfig={"stopSequences": list("ABCDEF")}),
        ask(prompts.JSON_EVENT, generationConfig={"responseMimeType": "application/json"}),
        ask(prompts.JSON_EVENT, generationConfig={"responseMimeType": "application/json", "responseSchema": schema}),
        calling("ANY"), calling("NONE"), calling("ANY", ["get_time"]),
        post({"contents": [{"role": "user", "parts": [image, {"text": prompts.IMAGE}]}]}),
        post({"contents": [user, called, answered], "tools": tools}),
        post({"contents": [{"parts": [{"text": prompts.COUNT}]}]}, "streamGenerateContent"),
        post({"requests": [{"content": {"parts": [{"text": t}]}} for t in ("a", "b")]}, "batchEmbedContents",
             "gemini-embedding-001"),
    ]  # fmt: skip


# --- the job endpoints: steps that need an earlier answer (an uploaded file's id, a created batch's id) ----------

Step = Callable[[FakeServer], list[Reply]]
"""A battery step over several requests, each built from the answers before it."""


def _multipart(headers: dict[str, str], fields: dict[str, str], files: list[tuple[str, str, bytes]]) -> Request:
    """A multipart Request (path set by the caller): form fields, then (field, filename, bytes) file parts."""
    boundary = "fake-boundary"
    chunks = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields.items()
    ]
    for name, filename, data in files:
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        chunks.append(head.encode() + b"Content-Type: text/plain\r\n\r\n" + data + b"\r\n")
    raw = b"".join(chunks) + f"--{boundary}--\r\n".encode()
    content_type = f"multipart/form-data; boundary={boundary}"
    return Request("POST", "", {}, {**headers, "content-type": content_type}, None, len(raw), raw)


def _at(request: Request, path: str, size: int | None = None) -> Request:
    request.path = path
    if size is not None:
        request.size = size
    return request


def _id(reply: Reply, key: str = "id") -> str:
    value = reply.body.get(key) if isinstance(reply.body, dict) else None
    return str(value) if value else "none"


def _openai_job_steps(flavor: str) -> list[Request | Step]:
    root, model = FLAVORS[flavor].root, MODELS[flavor]
    auth = {"authorization": "Bearer sk-fake", "content-type": "application/json"}
    image_model = "imagen-3.0-generate-002" if flavor == "gemini-openai" else "gpt-image-1-mini"
    image = {"model": image_model, "prompt": "A red dot.", "n": 1, "response_format": "b64_json"}

    def line(endpoint: str) -> bytes:
        body = (
            {"model": model, "input": "x"}
            if endpoint.endswith("embeddings")
            else {"model": model, "messages": ask("x")}
        )
        return json.dumps({"custom_id": "c1", "method": "POST", "url": endpoint, "body": body}).encode() + b"\n"

    def upload(server: FakeServer, data: bytes) -> tuple[list[Reply], str]:
        if flavor != "gemini-openai":
            reply = server.handle(
                _at(_multipart(auth, {"purpose": "batch"}, [("file", "b.jsonl", data)]), root + "files")
            )
            return [reply], _id(reply)
        start = {
            "x-goog-api-key": "k",
            "x-goog-upload-protocol": "resumable",
            "x-goog-upload-command": "start",
            "host": "h",
        }
        first = server.handle(Request("POST", "/upload/v1beta/files", {}, start, {"file": {"mime_type": "jsonl"}}))
        upload_id = first.headers.get("x-goog-upload-url", "upload_id=none").rsplit("upload_id=", 1)[-1]
        finish = {**start, "x-goog-upload-command": "upload, finalize"}
        second = server.handle(
            Request("POST", "/upload/v1beta/files", {"upload_id": upload_id}, finish, None, len(data), data)
        )
        return [first, second], _id(Reply(body=(second.body or {}).get("file")), "name")

    def batch(endpoint: str, window: str = "24h") -> Step:
        def step(server: FakeServer) -> list[Reply]:
            replies, file_id = upload(server, line(endpoint))
            body = {"input_file_id": file_id, "endpoint": endpoint, "completion_window": window}
            created = server.handle(Request("POST", root + "batches", {}, auth, body))
            return [*replies, created, server.handle(Request("GET", f"{root}batches/{_id(created)}", {}, auth))]

        return step

    return [
        Request("POST", root + "images/generations", {}, auth, image),
        _at(_multipart(auth, {"purpose": "batch"}, [("file", "b.jsonl", line("/v1/chat/completions"))]), root + "files"),
        batch("/v1/chat/completions"), batch("/v1/embeddings"), batch("/v1/chat/completions", "48h"),
    ]  # fmt: skip


def _anthropic_job_steps() -> list[Request | Step]:
    files = {**ANTHROPIC_HEADERS, "anthropic-beta": "files-api-2025-04-14"}
    skills = {**ANTHROPIC_HEADERS, "anthropic-beta": "skills-2025-10-02"}
    params = {"model": "claude-haiku-4-5", "max_tokens": 16, "messages": ask("x")}
    skill_md = b"---\nname: probe\ndescription: d\n---\nSay OK.\n"

    def batch(server: FakeServer) -> list[Reply]:
        body = {"requests": [{"custom_id": "c1", "params": params}]}
        created = server.handle(Request("POST", "/v1/messages/batches", {}, ANTHROPIC_HEADERS, body))
        return [created, server.handle(Request("GET", f"/v1/messages/batches/{_id(created)}", {}, ANTHROPIC_HEADERS))]

    return [
        batch,
        _at(_multipart(files, {}, [("file", "a.txt", b"hello")]), "/v1/files"),
        Request("GET", "/v1/files", {}, files),
        _at(_multipart(skills, {"display_name": "probe"}, [("files[]", "probe/SKILL.md", skill_md)]), "/v1/skills"),
        Request("GET", "/v1/skills", {}, skills),
        Request("POST", "/v1/messages/batches", {}, ANTHROPIC_HEADERS, {"requests": [{"custom_id": "c", "params": params}]}, 257 << 20),
        _at(_multipart(files, {}, [("file", "big.txt", b"a")]), "/v1/files", 501 << 20),
    ]  # fmt: skip


BATTERIES: dict[str, Callable[[], list[Request | Step]]] = {
    "openai": lambda: [*_openai_battery("openai"), *_openai_job_steps("openai")],
    "anthropic-openai": lambda: list(_openai_battery("anthropic-openai")),
    "gemini-openai": lambda: [*_openai_battery("gemini-openai"), *_openai_job_steps("gemini-openai")],
    "anthropic": lambda: [*_anthropic_battery(), *_anthropic_job_steps()],
    "gemini": lambda: list(_gemini_battery()),
}
VOLATILE = re.compile(r'[0-9a-f]{12}|"created": \d+')


def _snapshot(server: FakeServer, battery: list[Request | Step]) -> list[str]:
    def seen(reply: Reply) -> str:
        data = {"status": reply.status, "headers": reply.headers, "body": reply.body, "events": reply.events}
        return VOLATILE.sub("#", json.dumps(data, sort_keys=True))

    def replies(step: Request | Step) -> list[Reply]:
        return [server.handle(copy.deepcopy(step))] if isinstance(step, Request) else step(server)

    return [seen(reply) for step in battery for reply in replies(step)]


@pytest.mark.parametrize("flavor", sorted(FLAVORS))
def test_every_break_changes_some_answer(flavor: str) -> None:
    battery = BATTERIES[flavor]()
    baseline = _snapshot(FakeServer(flavor), battery)
    assert all('"status": 500' not in seen for seen in baseline)
    inert = [
        claim for claim in sorted(BREAKABLE[flavor]) if _snapshot(FakeServer(flavor, {claim}), battery) == baseline
    ]
    assert inert == []
