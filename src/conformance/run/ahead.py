"""Live probes sent ahead of their test items, so a plain ``pytest --live`` keeps the provider busy.

pytest runs items one after another; a live case spends nearly all its time waiting for the provider. Once
collection is final (``-k``, ``-m``, ``--lf`` and deselection applied), the probes of the selected live cases are
sent in that order by a pool of threads per provider, at most ``--conformance-concurrency`` at a time (the same
bound the traffic slots keep, across xdist workers too); budgets are checked as each probe starts. The test items
still judge their cases one by one, in order, each waiting for its own probe. When the run stops early (``-x``,
Ctrl-C), probes not yet started are cancelled; those in flight finish and are dropped.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conformance.run.runner import Case, Sent, Session


@dataclass
class Ahead:
    """One pool of sender threads per provider; one future per case sent ahead, taken by its test item."""

    session: Session
    concurrency: int
    pools: dict[str, ThreadPoolExecutor] = field(default_factory=dict)
    futures: dict[str, Future[Sent]] = field(default_factory=dict)

    def start(self, cases: list[tuple[str, Case]]) -> None:
        """Send the probes of ``cases`` (node id, case), in their order."""
        for nodeid, case in cases:
            provider = case.spec.provider.id
            pool = self.pools.get(provider)
            if pool is None:
                pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix=f"conformance-{provider}")
                self.pools[provider] = pool
            self.futures[nodeid] = pool.submit(self._send, nodeid, case)

    def _send(self, nodeid: str, case: Case) -> Sent:
        if case.is_async:
            return asyncio.run(self.session.send_async(nodeid, case))
        return self.session.send_sync(nodeid, case)

    def take(self, nodeid: str) -> Future[Sent] | None:
        """The case's probe, if it was sent ahead (each is taken once)."""
        return self.futures.pop(nodeid, None)

    def stop(self) -> None:
        """Cancel what has not started; let what is in flight finish on its own."""
        for pool in self.pools.values():
            pool.shutdown(wait=False, cancel_futures=True)
        self.futures.clear()
