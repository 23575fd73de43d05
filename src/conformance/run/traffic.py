"""Live traffic per provider: in-flight slots (concurrency), budgets (requests, tokens), what was used, and the
provider's one shared connection pool.

One :class:`Traffic` per process. Under pytest-xdist the controller hands each worker a folder of slot lock files
(so ``--conformance-concurrency`` bounds the in-flight requests of all workers together) and the worker count
(each worker gets its share of the budgets, rounded down, so the total never exceeds them).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest

from conformance.defaults import DEFAULT_CONCURRENCY, DEFAULT_RETRIES, DEFAULT_RETRY_CAP
from conformance.exchange.model import Attempt
from conformance.exchange.recorder import Pool, Recorder
from conformance.exchange.retry import RetryPolicy
from conformance.run.budget import tokens_of

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: slots are per process there
    fcntl = None  # type: ignore[assignment]

POLL_SECONDS = 0.005


@dataclass
class Usage:
    """What one provider's sends used in this process (summed over workers by :func:`merge_usage`)."""

    requests: int = 0
    retries: int = 0
    tokens: int = 0
    first: float | None = None  # wall-clock time.time() of the first send
    last: float | None = None  # ... and of the end of the last one

    def to_json(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "retries": self.retries,
            "tokens": self.tokens,
            "first": self.first,
            "last": self.last,
        }


def merge_usage(parts: list[dict[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Per-provider usage of several processes: counts added, the wall time spans all of them."""
    merged: dict[str, dict[str, Any]] = {}
    for part in parts:
        for provider, usage in part.items():
            into = merged.setdefault(provider, {"requests": 0, "retries": 0, "tokens": 0, "first": None, "last": None})
            for key in ("requests", "retries", "tokens"):
                into[key] += int(usage.get(key) or 0)
            for key, pick in (("first", min), ("last", max)):
                values = [v for v in (into[key], usage.get(key)) if v is not None]
                into[key] = pick(values) if values else None
    return merged


def wall_seconds(usage: dict[str, Any]) -> float:
    first, last = usage.get("first"), usage.get("last")
    return round(float(last) - float(first), 3) if first is not None and last is not None else 0.0


class Slots:
    """At most ``size`` holders at once: a thread semaphore, or lock files shared by processes when a folder is given."""

    def __init__(self, size: int, folder: Path | None = None) -> None:
        self.size = max(1, size)
        self.folder = folder if fcntl is not None else None
        self._local = threading.BoundedSemaphore(self.size)
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)

    def _try(self) -> IO[bytes] | bool:
        if self.folder is None:
            return self._local.acquire(blocking=False)
        for index in range(self.size):
            handle = (self.folder / f"slot-{index}.lock").open("ab")
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                continue
            return handle
        return False

    def _release(self, held: IO[bytes] | bool) -> None:
        if isinstance(held, bool):
            self._local.release()
        else:
            fcntl.flock(held.fileno(), fcntl.LOCK_UN)
            held.close()

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        held = self._try()
        while held is False:
            time.sleep(POLL_SECONDS)
            held = self._try()
        try:
            yield
        finally:
            self._release(held)

    @contextlib.asynccontextmanager
    async def hold_async(self) -> AsyncIterator[None]:
        held = self._try()
        while held is False:
            await asyncio.sleep(POLL_SECONDS)
            held = self._try()
        try:
            yield
        finally:
            self._release(held)


@dataclass
class ProviderTraffic:
    """One provider's gate: checked before every attempt, told about every response."""

    provider: str
    slots: Slots
    max_requests: int | None = None
    max_tokens: int | None = None
    usage: Usage = field(default_factory=Usage)
    lock: threading.Lock = field(default_factory=threading.Lock)
    pool: Pool = field(default_factory=Pool)  # the provider's one connection pool in this process

    def spent(self) -> str | None:
        """'budget spent: ...' once a budget is used up, else None."""
        used = self.usage
        if self.max_requests is not None and used.requests >= self.max_requests:
            return (
                f"budget spent: {used.requests} of --conformance-max-requests {self.max_requests} for {self.provider}"
            )
        if self.max_tokens is not None and used.tokens >= self.max_tokens:
            return (
                f"budget spent: {used.tokens} of --conformance-max-tokens {self.max_tokens} tokens for {self.provider}"
            )
        return None

    def admit(self, attempt: int) -> None:
        """Count one attempt, or skip the case when a budget is spent (the request is then not sent)."""
        with self.lock:
            reason = self.spent()
            if reason is not None:
                raise pytest.skip.Exception(reason)
            self.usage.requests += 1
            self.usage.retries += attempt > 1
            if self.usage.first is None:
                self.usage.first = time.time()

    def answered(self, attempt: Attempt) -> None:
        with self.lock:
            if attempt.response is not None:
                self.usage.tokens += tokens_of(attempt.response)
            self.usage.last = time.time()

    def hold(self) -> contextlib.AbstractContextManager[None]:
        return self.slots.hold()

    def hold_async(self) -> contextlib.AbstractAsyncContextManager[None]:
        return self.slots.hold_async()


@dataclass
class Traffic:
    """Every provider's gate, the retry policy, and how the budgets are shared among xdist workers."""

    policy: RetryPolicy = field(default_factory=RetryPolicy)
    concurrency: int = DEFAULT_CONCURRENCY
    max_requests: int | None = None
    max_tokens: int | None = None
    workers: int = 1
    slot_folder: Path | None = None
    providers: dict[str, ProviderTraffic] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _share(self, total: int | None) -> int | None:
        return None if total is None else math.floor(total / max(1, self.workers))

    def provider(self, provider: str) -> ProviderTraffic:
        with self.lock:
            if provider not in self.providers:
                folder = self.slot_folder / provider if self.slot_folder is not None else None
                self.providers[provider] = ProviderTraffic(
                    provider,
                    Slots(self.concurrency, folder),
                    self._share(self.max_requests),
                    self._share(self.max_tokens),
                )
            return self.providers[provider]

    def recorder(self, provider: str) -> Recorder:
        """A live probe's recorder: retries, this provider's slots, budget and counters."""
        gate = self.provider(provider)
        return Recorder(policy=self.policy, gate=gate, pool=gate.pool)

    def replay_recorder(self, transport: Any, async_transport: Any) -> Recorder:
        """A replay's recorder: the same retries as live (a cassette keeps the 429 and what followed), no waits."""
        policy = RetryPolicy(self.policy.retries, self.policy.cap, self.policy.base, wait=False)
        return Recorder(transport=transport, async_transport=async_transport, policy=policy)

    def spent(self, provider: str) -> str | None:
        return self.provider(provider).spent()

    def close(self) -> None:
        """Close every provider's connection pool (the end of the run)."""
        with self.lock:
            for provider in self.providers.values():
                provider.pool.close()

    def usage(self) -> dict[str, dict[str, Any]]:
        return {name: p.usage.to_json() for name, p in sorted(self.providers.items()) if p.usage.requests}

    def limits(self) -> dict[str, int | None]:
        return {"max_requests": self.max_requests, "max_tokens": self.max_tokens}


def traffic_for(
    retries: int = DEFAULT_RETRIES,
    retry_cap: float = DEFAULT_RETRY_CAP,
    concurrency: int = DEFAULT_CONCURRENCY,
    max_requests: int | None = None,
    max_tokens: int | None = None,
    workers: int = 1,
    slot_folder: Path | None = None,
) -> Traffic:
    return Traffic(
        RetryPolicy(retries=retries, cap=retry_cap),
        concurrency,
        max_requests,
        max_tokens,
        workers,
        slot_folder,
    )


def usage_report(usage: dict[str, dict[str, Any]], limits: dict[str, int | None]) -> dict[str, dict[str, Any]]:
    """The results file's ``run.usage``: per provider what was sent and used, and the budgets it ran under."""
    report: dict[str, dict[str, Any]] = {}
    for provider, used in sorted(usage.items()):
        spent = any(
            limit is not None and int(used.get(key) or 0) >= limit
            for key, limit in (("requests", limits.get("max_requests")), ("tokens", limits.get("max_tokens")))
        )
        report[provider] = {
            "requests": int(used.get("requests") or 0),
            "retries": int(used.get("retries") or 0),
            "tokens": int(used.get("tokens") or 0),
            "wall_seconds": wall_seconds(used),
            "max_requests": limits.get("max_requests"),
            "max_tokens": limits.get("max_tokens"),
            "budget_spent": spent,
        }
    return report
