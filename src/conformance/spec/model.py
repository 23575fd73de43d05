"""The data model for specs: providers, claims and the closed vocabularies they use.

Every enum here is mirrored in ``specs/schema.json``; ``tests/test_schema_enums.py``
checks that the two agree.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass
from typing import Any


class Location(str, enum.Enum):
    """Where in the API a claim lives."""

    REQUEST = "request"  # a top-level request body field (incl. extra_body fields)
    MESSAGE = "message"  # a field or content part inside messages[] / contents[]
    TOOL = "tool"  # a field of a tool / function declaration, or tool_choice
    RESPONSE = "response"  # a field of the (non-streamed) response body
    STREAM = "stream"  # the streamed (SSE) form of a response
    USAGE = "usage"  # token accounting fields
    REQUEST_HEADER = "request_header"  # a header the client sends
    HEADER = "header"  # a response header
    ERROR = "error"  # error status codes and body shapes
    ENDPOINT = "endpoint"  # an HTTP endpoint (method + path)
    BEHAVIOR = "behavior"  # a documented behaviour spanning several fields
    AUTH = "auth"  # API keys: where they come from and how they are sent
    LIMIT = "limit"  # rate limits and request-size limits
    PLATFORM = "platform"  # SDK and console facts that no HTTP probe can observe


class Status(str, enum.Enum):
    """What the doc says about a claim. Each value has exactly one meaning (docs/spec-format.md)."""

    SUPPORTED = "supported"
    PARTIAL = "partial"
    IGNORED = "ignored"
    CAPPED = "capped"
    MUST_EQUAL = "must_equal"
    CONSTANT = "constant"
    ALWAYS_EMPTY = "always_empty"
    UNSUPPORTED = "unsupported"
    REQUIRED = "required"
    MAPPED = "mapped"
    LIMITED = "limited"
    EXCLUSIVE = "exclusive"
    BETA = "beta"
    UNDOCUMENTED = "undocumented"


STATUS_MEANINGS: dict[Status, str] = {
    Status.SUPPORTED: "Accepted and works as the reference API documents it; its effect is visible where the doc implies one.",
    Status.PARTIAL: "Works, but only within the restriction written in params.restriction.",
    Status.IGNORED: "Accepted without an error, and has no effect on the response.",
    Status.CAPPED: "Values beyond params.max (or below params.min) are accepted and behave as the cap.",
    Status.MUST_EQUAL: "Only params.value is accepted; any other value is rejected with a 4xx error.",
    Status.CONSTANT: "Always has the value params.value (or, for an array, the length params.length).",
    Status.ALWAYS_EMPTY: "Always absent, null, or empty.",
    Status.UNSUPPORTED: "Not available; params.effect says what happens instead (dropped, rejected or unspecified).",
    Status.REQUIRED: "Must be sent; leaving it out gives a 4xx error.",
    Status.MAPPED: "Translated to the provider's own parameter as in the table params.mapping.",
    Status.LIMITED: "Bounded by params.max (in params.unit); exceeding it gives params.error_status / params.error_type.",
    Status.EXCLUSIVE: "Cannot be combined with the fields in params.with; sending both gives a 4xx error.",
    Status.BETA: "Available as a beta only (params.beta_header names the opt-in header where there is one).",
    Status.UNDOCUMENTED: (
        "Not addressed by this API's own doc; run as its reference spec documents it. The outcome says "
        "'behaves as <reference>' or 'differs from <reference>: ...', never that the provider fails its docs."
    ),
}


class EvidenceKind(str, enum.Enum):
    """Where the evidence for a result or a deviation came from."""

    LIVE = "live"
    REPLAY = "replay"
    IMPORTED = "imported"


class Sdk(str, enum.Enum):
    """The official SDK that talks to a provider API."""

    OPENAI = "openai"
    ANTHROPIC = "anthropic"
    GOOGLE_GENAI = "google-genai"


@dataclass(frozen=True, slots=True)
class DocSource:
    """One document a spec was read from."""

    url: str
    title: str
    read_on: str
    seed: str | None = None


@dataclass(frozen=True, slots=True)
class Provider:
    """The header of a spec: which API, which SDK, where and with which key."""

    id: str
    title: str
    sdk: Sdk
    base_url: str
    api_key_env: tuple[str, ...]
    default_model: str
    sources: tuple[DocSource, ...]
    description: str = ""


@dataclass(frozen=True, slots=True)
class Doc:
    """Where a claim is written down, with a short verbatim quote."""

    url: str
    quote: str
    source: str


@dataclass(frozen=True, slots=True)
class Evidence:
    """Where an observation came from."""

    kind: EvidenceKind
    source: str
    repository: str | None = None
    commit: str | None = None
    license: str | None = None


@dataclass(frozen=True, slots=True)
class Deviation:
    """Observed behaviour that contradicts the doc; the claim then runs as strict xfail (one seen in an imported
    recording: that recording's findings only, see ``Claim.recorded_deviations``)."""

    summary: str
    evidence: Evidence


@dataclass(frozen=True, slots=True)
class Claim:
    """One documented statement about one provider API."""

    id: str
    provider: str
    location: Location
    field: str
    status: Status
    doc: Doc
    params: dict[str, Any] = dataclasses.field(default_factory=dict)
    notes: str = ""
    deviations: tuple[Deviation, ...] = ()  # seen live or in a replay: expected of every run
    recorded_deviations: tuple[Deviation, ...] = ()  # seen in one imported recording: expected of it only
    models: tuple[str, ...] = ()
    markers: tuple[str, ...] = ()
    check: str | None = None
    probe: str | None = None  # a registered probe name (conformance.providers.registry), e.g. openai.stop
    origin: str = ""  # "file:line" of the claim in its spec, for messages
    reference: str | None = None  # for status undocumented: the reference claim's id (e.g. openai.request.n)
    reference_status: Status | None = None  # ... and its documented status, which the probe and check follow

    @property
    def as_documented(self) -> Claim:
        """The claim as its reference documents it (an undocumented claim is probed and checked that way)."""
        if self.status is Status.UNDOCUMENTED and self.reference_status is not None:
            return dataclasses.replace(self, status=self.reference_status)
        return self

    @property
    def reference_spec(self) -> str | None:
        return self.reference.split(".", 1)[0] if self.reference else None

    def export(self) -> dict[str, Any]:
        """The stable JSON form of ``conformance specs --json`` (docs/spec-format.md)."""
        return {
            "id": self.id,
            "provider": self.provider,
            "location": self.location.value,
            "field": self.field,
            "status": self.status.value,
            "params": self.params,
            "doc": {"url": self.doc.url, "quote": self.doc.quote, "source": self.doc.source},
            "notes": self.notes,
        }


def behaves_as(claim: Claim) -> str:
    """The message of an undocumented claim whose check passed."""
    return f"behaves as {claim.reference_spec} documents it ({claim.reference})"


def differs_from(claim: Claim, how: str) -> str:
    """The message of an undocumented claim whose check failed: a difference, never the provider failing its docs."""
    return f"differs from {claim.reference_spec}: {how}"


@dataclass(frozen=True, slots=True)
class Spec:
    """A resolved spec: its provider header and all its claims (inherited ones included)."""

    spec_version: int
    provider: Provider
    claims: tuple[Claim, ...]
    path: str
    extends: str | None = None

    def reading_key_from(self, env_var: str) -> Spec:
        """This spec with its key read from ``env_var`` (``--conformance-key-env``), e.g. a gateway's own key."""
        provider = dataclasses.replace(self.provider, api_key_env=(env_var,))
        return dataclasses.replace(self, provider=provider)
