"""One SDK client and one connection pool per provider and process, while each probe still records its own attempts.

Live cases against the faithful fake through the real runner, probes, SDKs and recorder.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx2
import pytest

from conformance.exchange.recorder import Recorder, current_recorder
from conformance.providers import clients
from conformance.run.ahead import Ahead
from conformance.run.runner import Case, Sent, Session, cases_for
from tests.fakes import FakeServer
from tests.fakes.sessions import SPECS, live_session


@pytest.fixture(autouse=True)
def no_shared_clients() -> None:
    """Each test starts without shared clients (an earlier test of the process may have left some)."""
    clients.close_shared_clients()


def session_for(flavor: str, url: str) -> Session:
    return live_session(flavor, url)


def field_cases(flavor: str, n: int, *, is_async: bool = False) -> list[Case]:
    """Cases whose every request carries their claim's own field (``with_field`` probes of request claims)."""
    chosen = [
        c
        for c in cases_for(SPECS[flavor])
        if c.variant is not None
        and c.variant.probe is not None
        and c.variant.probe.__name__ == "with_field"
        and c.is_async == is_async
        and "expensive" not in c.claim.markers
        and c.claim.field not in ("messages", "model")
    ]
    assert len(chosen) >= n
    return chosen[:n]


def connections(session: Session, provider: str) -> list[Any]:
    transport = session.traffic.provider(provider).pool.transport()
    assert isinstance(transport, httpx2.HTTPTransport)
    return list(transport._pool.connections)


def own_attempts_only(case: Case, sent: Sent) -> None:
    assert sent.ctx is not None, sent
    assert sent.failed is None, sent
    assert sent.raised is None, sent
    attempts = sent.ctx.recorder.attempts
    assert attempts
    for attempt in attempts:
        body = attempt.request.json
        assert isinstance(body, dict), (case.id, attempt.request.body)
        assert case.claim.field.split(".")[0] in body, (case.id, attempt.request.body)


@pytest.mark.parametrize("flavor", ["openai", "anthropic"])
def test_probes_reuse_one_sdk_client_and_one_connection(flavor: str, monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[Any] = []
    real_get = clients.SHARED.get

    def counting(key: Any, build: Any) -> Any:
        client = real_get(key, build)
        built.append(client)
        return client

    monkeypatch.setattr(clients.SHARED, "get", counting)
    chosen = field_cases(flavor, 4)
    with FakeServer(flavor, keep_alive=True) as server:
        session = session_for(flavor, server.base_url)
        sent = [session.send_sync(case.id, case) for case in chosen]
        for case, one in zip(chosen, sent, strict=True):
            own_attempts_only(case, one)
        assert sum(len(s.ctx.recorder.attempts) for s in sent if s.ctx) == len(server.requests)
        assert len(connections(session, flavor)) == 1  # one kept-alive connection served every probe
        session.close()
    assert len(built) >= len(chosen)
    assert len({id(c) for c in built}) == 1  # the same SDK client each time
    assert current_recorder() is None


def test_threads_sending_ahead_record_each_probe_on_its_own_recorder() -> None:
    chosen = field_cases("openai", 12)
    with FakeServer("openai", keep_alive=True) as server:
        session = session_for("openai", server.base_url)
        ahead = Ahead(session, 4)
        ahead.start([(case.id, case) for case in chosen])
        sent = {case.id: future.result(timeout=60) for case in chosen if (future := ahead.take(case.id))}
        ahead.stop()
        for case in chosen:
            own_attempts_only(case, sent[case.id])
        assert sum(len(s.ctx.recorder.attempts) for s in sent.values() if s.ctx) == len(server.requests)
        assert 1 <= len(connections(session, "openai")) <= 4  # at most one per sender thread, all in one pool
        session.close()


def test_async_probes_share_the_sdk_client_and_close_their_own_connections() -> None:
    chosen = [c for c in cases_for(SPECS["openai"]) if c.is_async and not c.untestable][:2]
    assert len(chosen) == 2
    with FakeServer("openai", keep_alive=True) as server:
        session = session_for("openai", server.base_url)
        sent = [asyncio.run(session.send_async(case.id, case)) for case in chosen]  # an event loop each
        for one in sent:
            assert one.ctx is not None, one
            assert one.failed is None, one
            assert one.ctx.recorder.attempts
            assert not one.ctx.recorder.async_own  # closed with the probe, on its loop
        assert sum(len(s.ctx.recorder.attempts) for s in sent if s.ctx) == len(server.requests)
        assert [key[0] for key in clients.SHARED.clients] == ["openai-async"]  # one SDK client for both loops
        session.close()


def test_a_probe_outside_the_session_builds_a_client_of_its_own() -> None:
    with FakeServer("openai", keep_alive=True) as server:
        session = session_for("openai", server.base_url)
        case = field_cases("openai", 1)[0]
        ctx = session.context(case)
        assert current_recorder() is None
        client = clients.openai_client(ctx)
        assert client not in clients.SHARED.clients.values()
        with ctx.recorder.active():
            assert clients.openai_client(ctx) in clients.SHARED.clients.values()
            other = Recorder()
            assert clients.openai_client(ctx) is not clients.openai_client(ctx.with_key("sk-wrong"))
            with other.active():
                assert current_recorder() is other
            assert current_recorder() is ctx.recorder
        ctx.recorder.close()
        session.close()


def test_closing_the_session_closes_the_pool() -> None:
    with FakeServer("openai", keep_alive=True) as server:
        session = session_for("openai", server.base_url)
        case = field_cases("openai", 1)[0]
        own_attempts_only(case, session.send_sync(case.id, case))
        session.close()
        assert not clients.SHARED.clients
        with pytest.raises(httpx2.TransportError, match="connection pool is closed"):
            session.traffic.provider("openai").pool.transport()
