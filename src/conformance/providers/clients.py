"""The official SDK clients, retries off, sending through the recorder's ``httpx2`` clients.

A probe running under :meth:`Recorder.active <conformance.exchange.recorder.Recorder.active>` (every probe the session
sends) gets an SDK client built once per process for its SDK, base URL, key, timeout and sync or async, reused by
every later probe like it; its ``httpx2`` client records each request on the running probe's recorder and sends
it through that recorder's transport (the provider's shared connection pool, live). Anywhere else (a probe called
directly, with a recorder of its own), each call builds a client of the probe's own, as before.
"""

from __future__ import annotations

import functools
import inspect
import json
import sys
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar, cast

import httpx2

from conformance.exchange.model import Call, trim
from conformance.exchange.recorder import current_recorder, routed_async_client, routed_client
from conformance.exchange.retry import malformed, unreachable
from conformance.providers.base import ProbeContext, ProbeError

if TYPE_CHECKING:  # the SDKs are imported when a probe first runs: collecting cases does not need them
    import anthropic
    import openai
    from google import genai


def status_errors() -> tuple[type[BaseException], ...]:
    """What each SDK raises for an answer it understood as an API error (an HTTP error status is data).

    Only the SDKs already imported: an SDK's exception cannot be raised before its SDK is, and importing the
    others here (``google.genai`` and ``anthropic`` take seconds) would hold the import lock while every other
    probe of the run waits for it.
    """
    return _status_errors(_loaded("openai", "anthropic", "google.genai.errors"))


def connection_errors() -> tuple[type[BaseException], ...]:
    """What the SDKs and the transport raise when nothing usable came back (of the SDKs already imported)."""
    return _connection_errors(_loaded("openai", "anthropic"))


def _loaded(*names: str) -> tuple[str, ...]:
    return tuple(name for name in names if name in sys.modules)


@functools.cache
def _status_errors(loaded: tuple[str, ...]) -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = []
    if "openai" in loaded:
        import openai

        errors.append(openai.APIStatusError)
    if "anthropic" in loaded:
        import anthropic

        errors.append(anthropic.APIStatusError)
    if "google.genai.errors" in loaded:
        from google.genai import errors as genai_errors

        errors.append(genai_errors.APIError)
    return tuple(errors)


@functools.cache
def _connection_errors(loaded: tuple[str, ...]) -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [httpx2.TransportError, TimeoutError, ConnectionError]
    if "openai" in loaded:
        import openai

        errors.insert(0, openai.APIConnectionError)
    if "anthropic" in loaded:
        import anthropic

        errors.insert(len(errors) - 3, anthropic.APIConnectionError)
    return tuple(errors)


T = TypeVar("T")

SHARED_CLIENTS = 64
"""How many shared SDK clients a process keeps (one per SDK, base URL, key, timeout, sync or async; a probe with
a deliberately wrong key adds one); the least recently used is dropped beyond that (it holds no connection)."""


class SharedClients:
    """The process's SDK clients, keyed by what they were built with; the key stays a :class:`Secret` in the key."""

    def __init__(self, size: int = SHARED_CLIENTS) -> None:
        self.size = size
        self.clients: OrderedDict[Hashable, Any] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], Any]) -> Any:
        with self.lock:
            client = self.clients.get(key)
            if client is not None:
                self.clients.move_to_end(key)
                return client
        client = build()  # outside the lock: building one imports and sets up the SDK
        with self.lock:
            kept = self.clients.setdefault(key, client)
            self.clients.move_to_end(key)
            while len(self.clients) > self.size:
                _, dropped = self.clients.popitem(last=False)
                _close(dropped)
        if kept is not client:
            _close(client)
        return kept

    def close(self) -> None:
        """Drop every shared client (the end of the run); the next probe builds new ones."""
        with self.lock:
            dropped, self.clients = list(self.clients.values()), OrderedDict()
        for client in dropped:
            _close(client)


def _close(client: Any) -> None:
    """Close a shared sync SDK client; an async one is dropped (its close needs an event loop, and a routed
    client holds no connection: they are the recorders' and the pools')."""
    close = getattr(client, "close", None)
    if callable(close) and not inspect.iscoroutinefunction(close):
        close()


SHARED = SharedClients()


def close_shared_clients() -> None:
    """Close the process's shared SDK clients (called when the run ends)."""
    SHARED.close()


def _shared(ctx: ProbeContext, kind: str, build: Callable[[], T]) -> T | None:
    """The process's client of this kind for ``ctx``, built once; None when ``ctx`` is not the running probe's."""
    if current_recorder() is not ctx.recorder:
        return None
    return cast(T, SHARED.get((kind, ctx.base_url, ctx.api_key, ctx.timeout), build))


def _sdk_kwargs(api_key: str, base_url: str, timeout: float) -> dict[str, Any]:
    return {"api_key": api_key, "base_url": base_url, "max_retries": 0, "timeout": timeout}


def _documented_anthropic_auth(api_key: str) -> dict[str, Any]:
    """The documented ``x-api-key`` header and no ``Authorization``.

    anthropic 2.13 sends ``api_key=`` as ``Authorization: Bearer`` (checked with a MockTransport; see
    tests/test_probe_pipeline.py), which is not what the API overview documents; ``Omit()`` drops it.
    """
    import anthropic

    return {"default_headers": {"x-api-key": api_key, "Authorization": anthropic.Omit()}}


# --- the one place each SDK's client is built (probes, live or replayed from cassettes, and the SDK replay) -----


def new_openai(api_key: str, base_url: str, timeout: float, http_client: httpx2.Client) -> openai.OpenAI:
    import openai

    return openai.OpenAI(**_sdk_kwargs(api_key, base_url, timeout), http_client=http_client)


def new_openai_async(
    api_key: str, base_url: str, timeout: float, http_client: httpx2.AsyncClient
) -> openai.AsyncOpenAI:
    import openai

    return openai.AsyncOpenAI(**_sdk_kwargs(api_key, base_url, timeout), http_client=http_client)


def new_anthropic(api_key: str, base_url: str, timeout: float, http_client: httpx2.Client) -> anthropic.Anthropic:
    import anthropic

    kwargs = _sdk_kwargs(api_key, base_url, timeout)
    return anthropic.Anthropic(**kwargs, **_documented_anthropic_auth(api_key), http_client=http_client)


def new_anthropic_async(
    api_key: str, base_url: str, timeout: float, http_client: httpx2.AsyncClient
) -> anthropic.AsyncAnthropic:
    import anthropic

    kwargs = _sdk_kwargs(api_key, base_url, timeout)
    return anthropic.AsyncAnthropic(**kwargs, **_documented_anthropic_auth(api_key), http_client=http_client)


def new_genai(
    api_key: str,
    base_url: str,
    http_client: httpx2.Client,
    async_client: httpx2.AsyncClient,
    *,
    timeout: float | None = None,
    api_version: str = "v1beta",  # the docs use v1beta; the SDK would default to v1
    async_client_args: dict[str, Any] | None = None,
) -> genai.Client:
    from google import genai
    from google.genai import types as genai_types

    options = genai_types.HttpOptions(
        base_url=base_url,
        api_version=api_version,
        timeout=None if timeout is None else int(timeout * 1000),
        retry_options=genai_types.HttpRetryOptions(attempts=1),
        httpx_client=http_client,
        httpx_async_client=async_client,
        async_client_args=async_client_args,
    )
    return genai.Client(api_key=api_key, http_options=options)


# --- a probe's clients: the process's shared one while the probe runs under its recorder, else its own ---------


def _probe_client(ctx: ProbeContext, kind: str, new: Callable[[str, str, float, httpx2.Client], T]) -> T:
    """``new`` built for ``ctx``: the process's shared one (routed through the running probe's recorder), else the
    probe's own on its recorder's client."""

    def build(http_client: httpx2.Client) -> T:
        return new(ctx.api_key.reveal(), ctx.base_url, ctx.timeout, http_client)

    shared = _shared(ctx, kind, lambda: build(routed_client(ctx.timeout)))
    return shared if shared is not None else build(ctx.recorder.client(ctx.timeout))


def _probe_async_client(ctx: ProbeContext, kind: str, new: Callable[[str, str, float, httpx2.AsyncClient], T]) -> T:
    """:func:`_probe_client` for the SDKs' async clients."""

    def build(http_client: httpx2.AsyncClient) -> T:
        return new(ctx.api_key.reveal(), ctx.base_url, ctx.timeout, http_client)

    shared = _shared(ctx, kind, lambda: build(routed_async_client(ctx.timeout)))
    return shared if shared is not None else build(ctx.recorder.async_client(ctx.timeout))


def openai_client(ctx: ProbeContext) -> openai.OpenAI:
    return _probe_client(ctx, "openai", new_openai)


def openai_async_client(ctx: ProbeContext) -> openai.AsyncOpenAI:
    return _probe_async_client(ctx, "openai-async", new_openai_async)


def anthropic_client(ctx: ProbeContext) -> anthropic.Anthropic:
    return _probe_client(ctx, "anthropic", new_anthropic)


def anthropic_async_client(ctx: ProbeContext) -> anthropic.AsyncAnthropic:
    return _probe_async_client(ctx, "anthropic-async", new_anthropic_async)


def genai_client(ctx: ProbeContext) -> genai.Client:
    def build(http_client: httpx2.Client, async_client: httpx2.AsyncClient) -> genai.Client:
        return new_genai(ctx.api_key.reveal(), ctx.base_url, http_client, async_client, timeout=ctx.timeout)

    shared = _shared(ctx, "genai", lambda: build(routed_client(ctx.timeout), routed_async_client(ctx.timeout)))
    if shared is not None:
        return shared
    return build(ctx.recorder.client(ctx.timeout), ctx.recorder.async_client(ctx.timeout))


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
        shared = _shared(ctx, "httpx2", lambda: routed_client(ctx.timeout))
        if shared is not None:
            answer: httpx2.Response = shared.request(method, url, headers=headers, content=content)
            return answer
        with ctx.recorder.client(ctx.timeout) as client:
            response: httpx2.Response = client.request(method, url, headers=headers, content=content)
            return response

    return perform(ctx, f"raw {method} {url}", send)
