"""A pytest plugin (``-p tests.blocknet``) that makes every outgoing socket connection fail the run.

Loaded into replay runs to prove that replaying cassettes opens no connection.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest

ATTEMPTS: list[Any] = []


def _refuse(*args: Any, **kwargs: Any) -> Any:
    ATTEMPTS.append(args[1:] if args else kwargs)
    raise OSError(f"network blocked by tests/blocknet.py: attempted connection to {args[1:] or kwargs}")


def pytest_configure(config: pytest.Config) -> None:
    socket.socket.connect = _refuse  # type: ignore[method-assign]
    socket.socket.connect_ex = _refuse  # type: ignore[method-assign]
    socket.create_connection = _refuse


def pytest_sessionfinish(session: pytest.Session) -> None:
    if ATTEMPTS:
        print(f"\nblocknet: {len(ATTEMPTS)} connection attempt(s) refused: {ATTEMPTS[:3]}")
        session.exitstatus = 3
