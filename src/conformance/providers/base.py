"""What every probe gets (a context) and gives back (an observation)."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

from conformance.errors import CheckSignal
from conformance.exchange.model import Attempt, RecordedResponse, Recorder, mask_headers, mask_text, trim
from conformance.exchange.secret import Secret, Secrets, revealed
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


@dataclass
class Call:
    """One SDK call inside a probe: its label, the SDK's result or the SDK's exception."""

    label: str
    result: Any = None
    error: BaseException | None = None
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def response(self) -> RecordedResponse | None:
        for attempt in reversed(self.attempts):
            if attempt.response is not None:
                return attempt.response
        return None

    @property
    def status(self) -> int | None:
        response = self.response
        return response.status if response else None

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 300


@dataclass
class Observation:
    """All a probe saw: its SDK calls (each with its raw attempts) and the values it chose."""

    calls: list[Call] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def call(self, label: str) -> Call:
        for call in self.calls:
            if call.label == label:
                return call
        raise KeyError(label)

    @property
    def main(self) -> Call:
        return self.calls[0]

    def describe(self, secrets: Secrets = ()) -> str:
        """The request(s) sent and what came back, secrets masked, bodies trimmed."""
        secrets = revealed(secrets)
        lines: list[str] = []
        for call in self.calls:
            for attempt in call.attempts:
                req = attempt.request
                lines.append(f"[{call.label}] {req.method} {mask_text(req.url, secrets)}")
                lines.append(f"  request headers: {json.dumps(mask_headers(req.headers, secrets))}")
                if req.body:
                    lines.append(f"  request body: {trim(mask_text(req.body, secrets), 600)}")
                if attempt.response is not None:
                    resp = attempt.response
                    lines.append(f"  -> {resp.status} headers: {json.dumps(mask_headers(resp.headers, secrets))}")
                    lines.append(f"  -> body: {trim(mask_text(resp.body, secrets), 900)}")
                else:
                    lines.append(f"  -> no response: {attempt.error}")
            if call.error is not None and not call.attempts:
                lines.append(f"[{call.label}] SDK raised before sending: {call.error!r}")
        return "\n".join(lines)


def claim_value(claim: Claim, key: str, default: Any = None) -> Any:
    return claim.params.get(key, default)
