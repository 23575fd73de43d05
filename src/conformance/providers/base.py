"""What every probe gets (a context) and raises when it has no answer; what it gives back, an
:class:`~conformance.exchange.model.Observation`, is the exchange model that checks read."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from conformance.errors import CheckSignal
from conformance.exchange.recorder import Recorder
from conformance.exchange.secret import Secret
from conformance.run.outcomes import AttemptsError
from conformance.spec.model import Claim, Provider


class ProbeError(AttemptsError):
    """The provider gave no usable answer (retries exhausted, a timeout, a broken or non-JSON body, an HTML page
    where JSON is documented): the outcome is ``error``, not ``fail``. Carries the call's label and attempts."""


class NotTestable(CheckSignal):
    """No probe can show this claim true or false yet; the reason is reported, never a pass."""


@dataclass
class ProbeContext:
    """Where and how to send: the provider, the server actually used, the key and the model.

    The key and every other known key are :class:`~conformance.exchange.secret.Secret` s: the context's repr (which pytest
    and loggers print) never shows them. A plain string given here is wrapped.
    """

    provider: Provider
    base_url: str
    api_key: Secret
    model: str
    timeout: float
    recorder: Recorder
    secrets: tuple[Secret, ...] = ()

    def __post_init__(self) -> None:
        key: Secret | str = self.api_key
        self.api_key = key if isinstance(key, Secret) else Secret(key)
        self.secrets = tuple(s if isinstance(s, Secret) else Secret(s) for s in self.secrets)

    def with_key(self, key: str) -> ProbeContext:
        """The same context with another key (a deliberately invalid one, for authentication claims)."""
        return dataclasses.replace(self, api_key=Secret(key))

    @property
    def official(self) -> bool:
        """True when the base URL is the spec's own (the provider's official host)."""
        return self.base_url.rstrip("/") == self.provider.base_url.rstrip("/")


def claim_value(claim: Claim, key: str, default: Any = None) -> Any:
    return claim.params.get(key, default)
