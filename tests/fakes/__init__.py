"""Fake provider servers that follow the docs, for the harness's own tests. Their output is never evidence.

``with FakeServer("anthropic-openai") as server: base_url("anthropic-openai", server)`` gives a real HTTP server
on 127.0.0.1 whose answers follow ``specs/anthropic-openai.yaml`` and the provider's wire format, from a toy
model keyed on ``conformance/checks/prompts.py``. ``FakeServer(flavor, breaks={claim_id, ...})`` breaks exactly
those claims; ``BREAKABLE[flavor]`` lists the claim ids a flavor can break. Standalone:
``python -m tests.fakes FLAVOR --port 8123 [--break CLAIM_ID ...]``.
"""

from __future__ import annotations

from collections.abc import Iterable

from . import anthropic_native, gemini_native, openai_compat
from .faults import Config, Fault, Flavor, fresh_id
from .server import LOCALHOST, HttpServer, Recorded, Reply, Request

__all__ = ["BREAKABLE", "FLAVORS", "FakeServer", "Recorded", "base_url", "claim_of", "expected_outcome"]

FLAVORS: dict[str, Flavor] = {**openai_compat.FLAVORS, **anthropic_native.FLAVORS, **gemini_native.FLAVORS}
BREAKABLE: dict[str, frozenset[str]] = {
    name: frozenset(f"{name}.{suffix}" for suffix in flavor.faults) for name, flavor in FLAVORS.items()
}
"""Flavor -> the break ids: the claim ids whose documented behaviour the fake implements and can break, and
``<claim id>#<variant>`` where one claim has several breaks."""


def claim_of(break_id: str) -> str:
    """The claim a break id breaks (``openai.request.stop#one-sequence-refused`` -> ``openai.request.stop``)."""
    return break_id.partition("#")[0]


def expected_outcome(flavor: str, break_id: str) -> str:
    """What the claim's check must say about the break: ``fail`` or ``could not tell``."""
    return FLAVORS[flavor].faults[break_id.removeprefix(f"{flavor}.")].expect


class FakeServer(HttpServer):
    """A fake of one provider API on 127.0.0.1 (port 0: a free port), optionally with some claims broken."""

    def __init__(
        self,
        flavor: str,
        breaks: Iterable[str] = frozenset(),
        *,
        host: str = LOCALHOST,
        port: int = 0,
        keep_alive: bool = False,
    ) -> None:
        if flavor not in FLAVORS:
            raise ValueError(f"unknown flavor {flavor!r}; choose one of {', '.join(sorted(FLAVORS))}")
        self.flavor = FLAVORS[flavor]
        self.breaks = frozenset(breaks)
        unknown = sorted(self.breaks - BREAKABLE[flavor])
        if unknown:
            raise ValueError(f"{flavor} cannot break {', '.join(unknown)}; the breakable ids are BREAKABLE[{flavor!r}]")
        self.config: Config = self.flavor.config()
        self.faults: list[Fault] = [
            self.flavor.faults[claim.removeprefix(f"{flavor}.")] for claim in sorted(self.breaks)
        ]
        for fault in self.faults:
            if fault.config is not None:
                fault.config(self.config)
        super().__init__(self.handle, host, port, keep_alive=keep_alive)

    def handle(self, request: Request) -> Reply:
        """The whole fake, without sockets: the flavor's app, its headers, then the faults' edits."""
        reply = self.flavor.app(self.config, request)
        request_id = fresh_id()
        for name, value in self.config.headers.items():
            reply.headers.setdefault(name, value.replace("{id}", request_id))
        for fault in self.faults:
            if fault.reply is not None:
                fault.reply(reply)
        return reply

    @property
    def base_url(self) -> str:
        return base_url(self.flavor.name, self)


def base_url(flavor: str, server: HttpServer) -> str:
    """The base URL the flavor's SDK is pointed at, e.g. http://127.0.0.1:PORT/v1beta/openai/ for gemini-openai."""
    return server.url + FLAVORS[flavor].root
