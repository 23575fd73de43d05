"""The official SDK clients, retries off, sending through the recorder's ``httpx2`` clients."""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import httpx2

from conformance.exchange.model import trim
from conformance.exchange.retry import malformed, unreachable
from conformance.providers.base import Call, ProbeContext, ProbeError

if TYPE_CHECKING:  # the SDKs are imported when a probe first runs: collecting cases does not need them
    import anthropic
    import openai
    from google import genai


@functools.cache
def status_errors() -> tuple[type[BaseException], ...]:
    """What each SDK raises for an answer it understood as an API error (an HTTP error status is data)."""
    import anthropic
    import openai
    from google.genai import errors as genai_errors

    return (openai.APIStatusError, anthropic.APIStatusError, genai_errors.APIError)


@functools.cache
def connection_errors() -> tuple[type[BaseException], ...]:
    """What the SDKs and the transport raise when nothing usable came back."""
    import anthropic
    import openai

    return (
        openai.APIConnectionError,
        anthropic.APIConnectionError,
        httpx2.TransportError,
        TimeoutError,
        ConnectionError,
    )


def _common(ctx: ProbeContext) -> dict[str, Any]:
    return {"api_key": ctx.api_key.reveal(), "base_url": ctx.base_url, "max_retries": 0, "timeout": ctx.timeout}


def openai_client(ctx: ProbeContext) -> openai.OpenAI:
    import openai

    return openai.OpenAI(**_common(ctx), http_client=ctx.recorder.client(ctx.timeout))


def openai_async_client(ctx: ProbeContext) -> openai.AsyncOpenAI:
    import openai

    return openai.AsyncOpenAI(**_common(ctx), http_client=ctx.recorder.async_client(ctx.timeout))


def _documented_anthropic_auth(ctx: ProbeContext) -> dict[str, Any]:
    """The documented ``x-api-key`` header and no ``Authorization``.

    anthropic 2.13 sends ``api_key=`` as ``Authorization: Bearer`` (checked with a MockTransport; see
    tests/test_probe_pipeline.py), which is not what the API overview documents; ``Omit()`` drops it.
    """
    import anthropic

    return {"default_headers": {"x-api-key": ctx.api_key.reveal(), "Authorization": anthropic.Omit()}}


def anthropic_client(ctx: ProbeContext) -> anthropic.Anthropic:
    import anthropic

    return anthropic.Anthropic(
        **_common(ctx), **_documented_anthropic_auth(ctx), http_client=ctx.recorder.client(ctx.timeout)
    )


def anthropic_async_client(ctx: ProbeContext) -> anthropic.AsyncAnthropic:
    import anthropic

    return anthropic.AsyncAnthropic(
        **_common(ctx), **_documented_anthropic_auth(ctx), http_client=ctx.recorder.async_client(ctx.timeout)
    )


def genai_client(ctx: ProbeContext) -> genai.Client:
    from google import genai
    from google.genai import types as genai_types

    # The docs use v1beta; the SDK would default to v1.
    options = genai_types.HttpOptions(
        base_url=ctx.base_url,
        api_version="v1beta",
        timeout=int(ctx.timeout * 1000),
        retry_options=genai_types.HttpRetryOptions(attempts=1),
        httpx_client=ctx.recorder.client(ctx.timeout),
        httpx_async_client=ctx.recorder.async_client(ctx.timeout),
    )
    return genai.Client(api_key=ctx.api_key.reveal(), http_options=options)


DOCUMENTED_TYPES = ("application/json", "text/event-stream")
"""What the APIs answer a success with: JSON, or server-sent events for a stream (``+json`` types count as JSON)."""


@contextmanager
def _capturing(ctx: ProbeContext, label: str) -> Iterator[Call]:
    """Keep the call's attempts; an HTTP error status is data, a dead network is a ProbeError."""
    start = len(ctx.recorder.attempts)
    call = Call(label)
    try:
        yield call
    except Exception as exc:
        call.attempts = ctx.recorder.attempts[start:]
        _require_documented_type(call, exc)
        if isinstance(exc, status_errors()):
            call.error = exc
        elif isinstance(exc, connection_errors()):
            # Retries exhausted, a timeout, a body cut or stalled: the provider said nothing we can judge.
            raise ProbeError(f"{label}: {unreachable(ctx.base_url, exc)}", label, call.attempts) from exc
        elif isinstance(exc, (ValueError, TypeError, KeyError, AttributeError)):
            _unparsed(ctx, call, exc, label)
        else:
            raise
    finally:
        call.attempts = ctx.recorder.attempts[start:]
    _require_documented_type(call, None)


def _require_documented_type(call: Call, exc: BaseException | None) -> None:
    """A 2xx answer in HTML or plain text (a proxy's or CDN's error page) is no answer from the API: ProbeError."""
    response = call.response
    if response is None or not 200 <= response.status < 300 or not response.body.strip():
        return
    media = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if not media or media in DOCUMENTED_TYPES or media.endswith("+json") or not _is_text(media):
        return
    raise ProbeError(
        f"the server answered {media} (HTTP {response.status}) to {call.label}, where the API documents JSON: "
        f"{trim(response.body, 300)!r}",
        call.label,
        call.attempts,
    ) from exc


def _is_text(media: str) -> bool:
    return media.startswith("text/") or media in ("application/xhtml+xml", "application/xml")


def _unparsed(ctx: ProbeContext, call: Call, exc: Exception, label: str) -> None:
    """An SDK that could not use the answer: kept on the call, or a ProbeError when a 2xx is not JSON at all."""
    # The SDK could not parse what came back: that is an observation, not a crash ...
    call.error = exc
    last = call.response
    if last is not None and malformed(exc, last.status, last.headers.get("content-type", "")):
        # ... unless a success answer is not even JSON: a broken answer, not evidence about the claim.
        raise ProbeError(
            f"{label}: malformed JSON from {ctx.base_url} ({exc}): {trim(last.body, 300)!r}", label, call.attempts
        ) from exc


def perform(ctx: ProbeContext, label: str, fn: Callable[[], Any]) -> Call:
    """Run one SDK call and keep what it sent and got."""
    with _capturing(ctx, label) as call:
        call.result = fn()
    return call


async def perform_async(ctx: ProbeContext, label: str, fn: Callable[[], Awaitable[Any]]) -> Call:
    """:func:`perform` for coroutines."""
    with _capturing(ctx, label) as call:
        call.result = await fn()
    return call


def raw_request(ctx: ProbeContext, method: str, url: str, *, headers: dict[str, str], json_body: Any = None) -> Call:
    """A request the SDK would not send (a header left out on purpose), through the same recorder.

    The body goes out as bytes, so the only ``content-type`` sent is the one in ``headers`` (httpx would add
    ``application/json`` for ``json=``, which would make leaving it out impossible).
    """
    content = None if json_body is None else json.dumps(json_body).encode()

    def send() -> httpx2.Response:
        with ctx.recorder.client(ctx.timeout) as client:
            response: httpx2.Response = client.request(method, url, headers=headers, content=content)
            return response

    return perform(ctx, f"raw {method} {url}", send)
