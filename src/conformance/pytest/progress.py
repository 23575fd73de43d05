"""How far a live run is, per provider, and what its traffic cost: plain functions the plugin prints."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

CASE_FUNCTIONS = ("::test_claim[", "::test_claim_async[", "::test_imported[")
PROGRESS_SECONDS = 5.0


def provider_of(nodeid: str) -> str | None:
    """``tests/test_conformance.py::test_claim[openai.response.id@async]`` -> ``openai``; None for other tests."""
    if not any(marker in nodeid for marker in CASE_FUNCTIONS):
        return None
    param = nodeid.rsplit("[", 1)[1]
    provider, dot, _ = param.partition(".")
    return provider if dot else None


class Progress:
    """Cases collected and finished per provider; a line at most every PROGRESS_SECONDS."""

    def __init__(self) -> None:
        self.total: Counter[str] = Counter()
        self.done: Counter[str] = Counter()
        self.seen: set[str] = set()
        self.last = time.monotonic()

    def collected(self, nodeids: Iterable[str]) -> None:
        """Items of one collection (each xdist worker reports the same ones: counted once)."""
        for nodeid in nodeids:
            provider = provider_of(nodeid)
            if provider is not None and nodeid not in self.seen:
                self.seen.add(nodeid)
                self.total[provider] += 1
        self.last = time.monotonic()

    def finished(self, nodeid: str) -> bool:
        """Count one finished case; True when it is time to print a progress line."""
        provider = provider_of(nodeid)
        if provider is None:
            return False
        self.done[provider] += 1
        now = time.monotonic()
        if now - self.last >= PROGRESS_SECONDS:
            self.last = now
            return True
        return False

    def line(self) -> str:
        parts = []
        for provider in sorted(self.total):
            done, total = self.done[provider], self.total[provider]
            parts.append(f"{provider} {done}/{total} ({100 * done // max(1, total)}%)")
        return "conformance: " + " · ".join(parts)


def summary_lines(usage: Mapping[str, Mapping[str, Any]], limits: Mapping[str, int | None]) -> list[str]:
    """One line per provider: requests sent, retries, tokens used, wall time (and the budgets, if any)."""
    lines = []
    for provider, used in sorted(usage.items()):
        budget = [f"{name.removeprefix('max_')} budget {value}" for name, value in limits.items() if value is not None]
        extra = f" ({', '.join(budget)})" if budget else ""
        lines.append(
            f"{provider}: {used.get('requests', 0)} requests sent, {used.get('retries', 0)} retries, "
            f"{used.get('tokens', 0)} tokens used, wall {float(used.get('wall_seconds') or 0):.1f} s{extra}"
        )
    return lines
