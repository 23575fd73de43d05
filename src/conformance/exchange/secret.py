"""API keys as values that never show themselves.

A :class:`Secret` prints as ``Secret('***')`` in every ``repr`` and ``str`` (pytest's tracebacks print the
arguments of each frame, loggers format objects, dataclass reprs nest), so an object holding a key can be shown
anywhere. The one place that sends the key calls :meth:`Secret.reveal`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

MASK = "***"


@dataclass(frozen=True, slots=True, repr=False)
class Secret:
    """An API key; ``reveal()`` is the only way to its text."""

    value: str = field(repr=False)

    def reveal(self) -> str:
        return self.value

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    def __str__(self) -> str:
        return MASK

    def __bool__(self) -> bool:
        return bool(self.value)


Secrets = Iterable["Secret | str"]
"""What masking takes: keys as Secrets, or as plain strings where a test or a recording supplies them."""


def revealed(secrets: Secrets) -> tuple[str, ...]:
    """The plain values of ``secrets``, empty ones left out: what masking compares text against."""
    plain = (s.reveal() if isinstance(s, Secret) else s for s in secrets)
    return tuple(s for s in plain if s)
