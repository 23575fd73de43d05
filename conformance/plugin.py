"""The pytest plugin: options and hooks only; the logic lives in plain modules."""

from __future__ import annotations

import pytest

from conformance.options import add_options


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)
