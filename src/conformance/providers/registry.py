"""Probes by name: ``@probe("openai.stop")`` registers a probe function under a stable dotted name.

A name is ``<api>.<probe>``: the API the probe talks to (``openai`` for the OpenAI SDK, chat-compatible layers and
their jobs; ``anthropic`` for the native Messages API and its jobs; ``gemini`` for the native Gemini API), then the
probe. Sync and async probes each have their own name (``openai.stream`` and ``openai.stream_async``). A spec claim
names one with its ``probe:`` key (docs/spec-format.md); :mod:`conformance.run.plan` and :mod:`conformance.audit.passive` know
probes by these names.

This module imports no probe module when it is imported: :func:`load_all` imports them (and so registers their
probes), and every lookup calls it first.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from conformance.errors import UserInputError
from conformance.exchange.model import Observation
from conformance.providers.base import ProbeContext
from conformance.spec.model import Claim

SyncProbe = Callable[[ProbeContext, Claim], Observation]
AsyncProbe = Callable[[ProbeContext, Claim], Awaitable[Observation]]
ProbeFunction = TypeVar("ProbeFunction", bound=Callable[..., Any])

APIS = ("openai", "anthropic", "gemini")
"""The first part of every probe name: the API the probe talks to."""
NAME = re.compile(r"^(?:" + "|".join(APIS) + r")\.[a-z][a-z0-9_]*$")
PROBE_MODULES = (
    "conformance.providers.openai.probes",
    "conformance.providers.openai.jobs",
    "conformance.providers.anthropic.probes",
    "conformance.providers.anthropic.jobs",
    "conformance.providers.gemini.probes",
)
"""The modules whose probes :func:`load_all` registers."""


@dataclass(frozen=True, slots=True)
class RegisteredProbe:
    """One registered probe: its name, and its function (``sync`` or ``async_``, by what the function is)."""

    name: str
    sync: SyncProbe | None = None
    async_: AsyncProbe | None = None

    @property
    def is_async(self) -> bool:
        return self.async_ is not None

    @property
    def api(self) -> str:
        return self.name.split(".", 1)[0]


class UnknownProbe(UserInputError, LookupError):
    """No probe is registered under this name; the message lists the known ones (:func:`known_like`)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown probe {name!r} (known: {', '.join(known_like(name))})")
        self.name = name


_BY_NAME: dict[str, RegisteredProbe] = {}
_BY_FUNCTION: dict[Callable[..., Any], str] = {}


def probe(name: str) -> Callable[[ProbeFunction], ProbeFunction]:
    """Register the decorated sync or async probe ``(ctx, claim) -> Observation`` under ``name``."""
    if not NAME.fullmatch(name):
        raise ValueError(f"probe name {name!r} is not <api>.<probe> with api one of {', '.join(APIS)}")

    def decorate(function: ProbeFunction) -> ProbeFunction:
        if name in _BY_NAME:
            raise ValueError(f"probe {name!r} registered twice")
        if function in _BY_FUNCTION:
            raise ValueError(f"{function.__qualname__} is already registered as {_BY_FUNCTION[function]!r}")
        if inspect.iscoroutinefunction(function):
            _BY_NAME[name] = RegisteredProbe(name, async_=cast("AsyncProbe", function))
        else:
            _BY_NAME[name] = RegisteredProbe(name, sync=cast("SyncProbe", function))
        _BY_FUNCTION[function] = name
        return function

    return decorate


def load_all() -> None:
    """Import every probe module, which registers its probes (imports are cached: cheap after the first call)."""
    for module in PROBE_MODULES:
        importlib.import_module(module)


def get(name: str) -> RegisteredProbe:
    """The probe registered under ``name``; :class:`UnknownProbe` when there is none."""
    load_all()
    try:
        return _BY_NAME[name]
    except KeyError:
        raise UnknownProbe(name) from None


def names() -> list[str]:
    """Every registered probe name, sorted."""
    load_all()
    return sorted(_BY_NAME)


def known_like(name: str) -> list[str]:
    """The registered names to show for a mistaken ``name``: those closest to it first, then the others of its API
    (every name when its API is none of :data:`APIS`), so a message stays short enough to read."""
    every = names()
    api = name.split(".", 1)[0]
    same_api = [n for n in every if n.startswith(f"{api}.")] or every
    close = difflib.get_close_matches(name, same_api, n=3, cutoff=0.6)
    return close + [n for n in same_api if n not in close]


def name_of(function: Callable[..., Any]) -> str:
    """The name a probe function is registered under; :class:`LookupError` for an unregistered function."""
    try:
        return _BY_FUNCTION[function]
    except KeyError:
        raise LookupError(f"{function.__module__}.{function.__qualname__} is not a registered probe") from None
