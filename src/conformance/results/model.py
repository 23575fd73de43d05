"""The versioned results file: run metadata plus one record per conformance case."""

from __future__ import annotations

import dataclasses
import enum
import json
import platform
import sys
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from conformance import __version__
from conformance.data import package_data
from conformance.results.outputs import write_text

if TYPE_CHECKING:
    from conformance.spec.model import Claim

if sys.version_info >= (3, 11):
    from enum import StrEnum
else:

    class StrEnum(str, enum.Enum):
        """``enum.StrEnum`` of Python 3.11: ``str()``, ``format()`` and JSON give the value."""

        def __str__(self) -> str:
            return str(self.value)

        def __format__(self, spec: str) -> str:
            return str(self.value).__format__(spec)


RESULTS_VERSION = 1


class Outcome(StrEnum):
    """A record's outcome (``results[].outcome`` in the results schema)."""

    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"  # not testable, no evidence, or evidence that cannot tell (the report splits them)
    XFAIL = "xfail"  # a known deviation, seen again
    XPASS = "xpass"  # a known deviation that did not show
    ERROR = "error"  # no verdict: the probe got no usable answer, or a bug of ours


class Provenance(StrEnum):
    """Where a record's evidence comes from (``results[].evidence.kind``): the kinds a spec's deviation may name
    (:class:`conformance.spec.model.EvidenceKind`), and ``none`` when nothing came back."""

    LIVE = "live"
    REPLAY = "replay"  # our cassette of the real provider
    IMPORTED = "imported"  # someone else's recording
    NONE = "none"


class ReplayOutcome(StrEnum):
    """What an official SDK made of a recorded answer (``$defs.sdk_replay.outcome``; :mod:`conformance.audit.replay`)."""

    PARSED = "parsed"
    RAISED = "raised"
    SDK_FAILED = "sdk-failed"
    NOT_REISSUABLE = "not-reissuable"


OUTCOMES = tuple(o.value for o in Outcome)
SDKS = ("openai", "anthropic", "google-genai", "httpx2", "pytest")


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def sdk_versions() -> dict[str, str]:
    versions: dict[str, str] = {}
    for name in SDKS:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def results_schema() -> dict[str, Any]:
    text = package_data("schemas", "results.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@dataclass
class Record:
    """One case's result: what was claimed, what happened, and where the evidence came from."""

    claim: str
    provider: str
    location: str
    field: str
    status: str
    variant: str
    outcome: Outcome
    message: str
    testable: bool
    observed: dict[str, Any]
    evidence: dict[str, Any]
    duration_ms: float
    doc_url: str
    values: dict[str, Any] = dataclasses.field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Record:
        """A record read back from its JSON (an xdist worker's part file); ``ValueError`` / ``TypeError`` for one
        that is not a record."""
        return cls(**{**data, "outcome": Outcome(data["outcome"])})


@dataclass(frozen=True, slots=True)
class Subject:
    """What a record is about when it is not a spec claim: an SDK replay (claim ``<api>.sdk-replay``)."""

    claim: str
    provider: str
    location: str
    field: str
    status: str
    doc_url: str


def build_record(
    about: Claim | Subject,
    *,
    variant: str,
    outcome: Outcome | str,
    message: str,
    observed: dict[str, Any],
    evidence: dict[str, Any],
    testable: bool = True,
    duration_ms: float = 0.0,
    values: dict[str, Any] | None = None,
) -> Record:
    """The one place a :class:`Record` is made from a case, a finding or a replay (the runner, the audit).

    The outcome and the evidence's kind are checked against their closed vocabularies (a ``ValueError`` names a
    value outside them); the claim's id, provider, location, status and doc URL come from ``about``."""
    if isinstance(about, Subject):
        subject = about
    else:
        subject = Subject(
            about.id, about.provider, about.location.value, about.field, about.status.value, about.doc.url
        )
    evidence = {**evidence, "kind": Provenance(evidence["kind"])}
    return Record(
        claim=subject.claim,
        provider=subject.provider,
        location=subject.location,
        field=subject.field,
        status=subject.status,
        variant=variant,
        outcome=Outcome(outcome),
        message=message,
        testable=testable,
        observed=observed,
        evidence=evidence,
        duration_ms=round(duration_ms, 2),
        doc_url=subject.doc_url,
        values={} if values is None else values,
    )


@dataclass
class Run:
    """Metadata of one run and its records, written as JSON."""

    mode: str
    providers: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    started: str = dataclasses.field(default_factory=now)
    finished: str | None = None
    records: list[Record] = dataclasses.field(default_factory=list)
    incomplete: bool | None = None  # True until the run ends normally (Ctrl-C, a crash, a CI time-out leave it)
    usage: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)  # live traffic per provider

    def to_json(self) -> dict[str, Any]:
        return {
            "results_version": RESULTS_VERSION,
            "run": {
                "started": self.started,
                "finished": self.finished,
                "harness": __version__,
                "python": platform.python_version(),
                "platform": sys.platform,
                "sdks": sdk_versions(),
                "mode": self.mode,
                "providers": self.providers,
                **({} if self.incomplete is None else {"incomplete": self.incomplete}),
                **({"usage": self.usage} if self.usage else {}),
            },
            "results": [asdict(r) for r in self.records],
        }

    def write(self, path: Path) -> None:
        """Atomically for a regular file (temporary file + rename), in place for ``/dev/stdout`` and other special
        files (:func:`conformance.results.outputs.write_text`)."""
        write_text(path, json.dumps(self.to_json(), indent=2, ensure_ascii=False, default=str) + "\n")
