"""Audit recordings of real traffic against the specs: which claims each exchange bears on, and the verdicts;
and what the official SDK makes of each recorded answer (:mod:`conformance.audit.replay`).

Shared by ``conformance audit`` (no pytest) and the plugin's imported cases. Evidence is ``imported``: the
exchange was recorded by someone else, and its source (repository, path, commit, licence) and the day it was
recorded (:func:`recorded_on`) go with every result. A deviation a spec found in one imported recording is
expected of that recording's findings only (:func:`deviations_bearing_on`): other recordings, made on other days,
are judged on their own.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from conformance.audit.passive import Judged, Verdict, judge
from conformance.bounded import clip
from conformance.exchange.model import attempt_summary
from conformance.recordings import (
    Interaction,
    Recording,
    Source,
    api_of,
    find_recordings,
    on_loopback,
    read_all,
    read_sources,
)
from conformance.results.model import Outcome, Provenance, Record, Subject, build_record
from conformance.run.outcomes import HarnessBug
from conformance.spec.model import Claim, Deviation, Spec, Status, behaves_as, differs_from

if TYPE_CHECKING:  # the SDKs load when recordings are replayed, not when this module is imported
    from conformance.audit.replay import ReplayResult

SOURCE_FILES = ("SOURCES.md", "ATTRIBUTION.md")


@dataclass(frozen=True, slots=True)
class Finding:
    """One claim judged on one recorded exchange."""

    claim: Claim
    spec: Spec
    recording: Recording
    interaction: Interaction
    verdict: Verdict
    source: Source | None

    @property
    def case_id(self) -> str:
        return f"{self.claim.id}@{_where_id(self.recording, self.interaction)}"

    def evidence(self) -> dict[str, Any]:
        return _evidence(self.recording, self.interaction, self.source)

    def describe(self) -> str:
        """Where the evidence comes from, for failure messages and skip reasons."""
        return _describe(self.recording, self.interaction, self.source)


@dataclass(frozen=True, slots=True)
class Replayed:
    """One recorded exchange re-issued through its API's official SDK and answered from the recording."""

    api: str
    recording: Recording
    interaction: Interaction
    result: ReplayResult
    source: Source | None

    @property
    def case_id(self) -> str:
        return f"{self.api}.sdk-replay@{_where_id(self.recording, self.interaction)}"

    def evidence(self) -> dict[str, Any]:
        return _evidence(self.recording, self.interaction, self.source)

    def describe(self) -> str:
        return _describe(self.recording, self.interaction, self.source)


class DatedBy(str, enum.Enum):
    """Where an imported result's date comes from."""

    DATE_HEADER = "date-header"  # the recorded response's Date header
    COMMIT = "commit"  # the source commit that last changed the file (SOURCES.md): recorded on or before it


def recorded_on(interaction: Interaction, source: Source | None) -> tuple[str, DatedBy] | None:
    """The day (``YYYY-MM-DD``, UTC) an exchange was recorded: its response's ``Date`` header, else the date of the
    source commit that last changed the file; None when neither says."""
    response = interaction.attempt.response
    header = response.headers.get("date") if response is not None else None
    if header:
        try:
            when = parsedate_to_datetime(header)
        except (TypeError, ValueError, IndexError):
            when = None
        if when is not None and when.year >= 2000:  # a placeholder (``Thu, 01 Jan 1970 …``) dates nothing
            if when.tzinfo is not None:
                when = when.astimezone(timezone.utc)
            return when.date().isoformat(), DatedBy.DATE_HEADER
    if source is not None and source.committed:
        return source.committed, DatedBy.COMMIT
    return None


def deviations_bearing_on(claim: Claim, evidence: Mapping[str, Any] | None) -> tuple[Deviation, ...]:
    """The claim's known deviations that a result with ``evidence`` is expected to show.

    Deviations seen live or in a replay (``claim.deviations``) bear on every result. One seen in an imported
    recording (``claim.recorded_deviations``: evidence ``kind: imported``, whose ``source`` names the recording as
    ``repository/path@commit`` or by file name, ``#N`` after it for exchange N alone) bears on that recording's findings only, since other recordings
    were made on other days, and never on a live run (``evidence`` None), which shows the provider as it is now."""
    names: tuple[object, ...] = ()
    if evidence is not None:  # the recording, or one exchange of it (``...#N``)
        plain = (evidence.get("source"), evidence.get("file"))
        names = (*plain, *(f"{name}#{evidence.get('interaction')}" for name in plain if name))
    return claim.deviations + tuple(d for d in claim.recorded_deviations if d.evidence.source in names)


def _bearing_on(claim: Claim, evidence: Mapping[str, Any]) -> Claim:
    """``claim`` whose ``deviations`` are those that bear on a result with ``evidence`` (the claim itself when no
    recorded deviation names it)."""
    kept = deviations_bearing_on(claim, evidence)
    return claim if kept == claim.deviations else dataclasses.replace(claim, deviations=kept)


def _where_id(recording: Recording, interaction: Interaction) -> str:
    digest = hashlib.sha1(str(recording.path.name).encode()).hexdigest()[:8]
    return f"imported-{digest}#{interaction.index}"


def _evidence(recording: Recording, interaction: Interaction, source: Source | None) -> dict[str, Any]:
    evidence: dict[str, Any] = {
        "kind": Provenance.IMPORTED,
        "host": interaction.attempt.request.host,
        "official": True,
        "file": recording.path.name,
        "interaction": interaction.index,
        "format": recording.format,
    }
    if source is not None:
        evidence["source"] = f"{source.repository}/{source.path}@{source.commit}"
        evidence["repository"] = source.repository
        evidence["path"] = source.path
        evidence["commit"] = source.commit
        evidence["license"] = source.license
    dated = recorded_on(interaction, source)
    if dated is not None:
        evidence["recorded_on"], evidence["recorded_on_from"] = dated[0], dated[1].value
    return evidence


def _describe(recording: Recording, interaction: Interaction, source: Source | None) -> str:
    where = f"{recording.path.name} #{interaction.index}"
    if source is not None:
        where += f" (from {source.repository}, {source.license})"
    return where


@dataclass
class Audit:
    findings: list[Finding] = field(default_factory=list)
    replays: list[Replayed] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unknown_hosts: list[str] = field(default_factory=list)
    local_servers: list[str] = field(default_factory=list)
    """Exchanges with a server on this machine that no spec names (a test's own server, a local gateway)."""
    exchanges: int = 0
    unreadable: int = 0
    by_api: dict[str, int] = field(default_factory=dict)


def _sources_near(path: Path, cache: dict[Path, dict[str, Source]], warnings: list[str]) -> Source | None:
    """The attribution row for a recording, from a SOURCES.md / ATTRIBUTION.md in its folder or a parent."""
    for folder in [path.parent, *path.parent.parents]:
        if folder not in cache:
            table: dict[str, Source] = {}
            for name in SOURCE_FILES:
                if (folder / name).is_file():
                    try:
                        table.update(read_sources(folder / name))
                    except (OSError, UnicodeDecodeError, ValueError) as exc:
                        warnings.append(f"{folder / name}: attribution not read ({clip(str(exc), 200)}); fix the table")
            cache[folder] = table
        if path.name in cache[folder]:
            return cache[folder][path.name]
    return None


def audit(paths: Iterable[Path], specs: Iterable[Spec], sdk_replay: bool = True) -> Audit:
    """Every claim of every spec judged on every exchange of the recordings under ``paths``; with ``sdk_replay``,
    each exchange of a known API also re-issued through its official SDK (in process, no network)."""
    by_id = {spec.provider.id: spec for spec in specs}
    recordings, warnings = read_all(find_recordings(list(paths)))
    result = Audit(warnings=list(warnings))
    cache: dict[Path, dict[str, Source]] = {}
    for recording in recordings:
        source = _sources_near(recording.path, cache, result.warnings)
        unreadable = [i for i in recording.interactions if i.unreadable is not None]
        if unreadable:
            result.warnings.append(_unreadable_warning(recording, unreadable))
        for interaction in recording.interactions:
            result.exchanges += 1
            if interaction.unreadable is not None:
                result.unreadable += 1
                continue
            request = interaction.attempt.request
            api = api_of(request, by_id.values())
            if api is None or api not in by_id:
                where = f"{recording.path}: #{interaction.index} {request.method} {request.url}"
                (result.local_servers if on_loopback(request) else result.unknown_hosts).append(where)
                continue
            result.by_api[api] = result.by_api.get(api, 0) + 1
            spec = by_id[api]
            repository = source.repository if source is not None else None
            try:
                evidence = _evidence(recording, interaction, source)
                findings = [
                    Finding(_bearing_on(claim, evidence), spec, recording, interaction, verdict, source)
                    for claim in spec.claims
                    if (verdict := _judged(claim, spec, interaction, repository)) is not None
                ]
                replayed = _replay(interaction, api, spec.provider.sdk.value) if sdk_replay else None
            except Exception as exc:  # a bug of ours on one exchange must not cost the others
                where = f"{recording.path}:{interaction.line}" if interaction.line is not None else str(recording.path)
                result.warnings.append(
                    f"{where}: interaction {interaction.index + 1} not audited: {type(exc).__name__}: "
                    f"{clip(str(exc), 200)} (a bug in conformance: please report it with this file)"
                )
                continue
            result.findings.extend(findings)
            if replayed is not None:
                result.replays.append(Replayed(api, recording, interaction, replayed, source))
    return result


def _replay(interaction: Interaction, api: str, sdk: str) -> ReplayResult | None:
    """The SDK replay of one exchange of ``api`` (through ``sdk``); the SDKs are imported on the first (an audit of
    nothing they answer, or of a bad file, never loads them, so it stays small)."""
    from conformance.audit.replay import replay

    return replay(interaction, api, sdk)


def _judged(claim: Claim, spec: Spec, interaction: Interaction, repository: str | None) -> Verdict | None:
    """The claim's verdict on one exchange; a check (or planner) that crashes is that finding's ``error`` with
    ``harness bug: …`` and where, and the audit goes on with the other claims and exchanges."""
    try:
        return judge(claim, spec.provider.sdk, interaction.attempt, repository)
    except Exception as exc:
        return Verdict(Judged.ERROR, "harness", HarnessBug(exc).args[0])


def _unreadable_warning(recording: Recording, unreadable: list[Interaction]) -> str:
    """One warning per file for its exchanges whose recorded answer cannot be read (they are not audited)."""
    first = unreadable[0]
    where = f"{recording.path}:{first.line}" if first.line is not None else str(recording.path)
    numbers = ", ".join(str(i.index + 1) for i in unreadable)
    why = str(first.unreadable).split(";")[0].strip()
    return (
        f"{where}: interaction {numbers} not audited: the recorded {why}; the file's other exchanges are audited "
        "(re-record it with a recorder that keeps the body as text, or decode the body)"
    )


def outcome_of(finding: Finding | Replayed) -> tuple[Outcome, str]:
    """The results-file outcome and message of a finding (known deviations fail as expected: xfail) or of a
    replay (:func:`conformance.audit.replay.judged`)."""
    if isinstance(finding, Replayed):
        from conformance.audit.replay import judged

        return judged(finding.result)
    verdict = finding.verdict
    if verdict.outcome == Judged.ERROR:
        return Outcome.ERROR, verdict.message
    if verdict.outcome == Judged.UNKNOWN:
        return Outcome.SKIP, f"unknown from this recording: {verdict.message}"
    if finding.claim.status is Status.UNDOCUMENTED:
        if verdict.outcome == Judged.FAIL:
            return Outcome.FAIL, differs_from(finding.claim, verdict.message)
        return Outcome.PASS, behaves_as(finding.claim)
    if finding.claim.deviations:
        if verdict.outcome == Judged.FAIL:
            return Outcome.XFAIL, verdict.message
        return Outcome.XPASS, "a known deviation passed"
    return Outcome(verdict.outcome), verdict.message


def record_of(finding: Finding | Replayed, outcome: Outcome | str, message: str) -> Record:
    """A finding's or a replay's result record (:func:`conformance.results.model.build_record`)."""
    if isinstance(finding, Replayed):
        return _replay_record(finding, outcome, message)
    claim, attempt = finding.claim, finding.interaction.attempt
    if claim.status is Status.UNDOCUMENTED and outcome == Outcome.PASS:  # pytest passed it; the record says how
        outcome, message = outcome_of(finding)
    return build_record(
        claim,
        variant=f"imported#{finding.interaction.index}",
        outcome=outcome,
        message=message,
        observed={
            "calls": [
                {
                    "label": f"{attempt.request.method} {attempt.request.path}",
                    "status": attempt.response.status if attempt.response else None,
                    "attempts": 1,
                    "sdk_error": None,
                }
                | attempt_summary(attempt)
            ],
            "check": finding.verdict.check,
        },
        evidence=finding.evidence(),
    )


def _replay_record(replayed: Replayed, outcome: Outcome | str, message: str) -> Record:
    """A replay as a result record: no spec claim, so the claim id is ``<api>.sdk-replay`` and the field is the SDK
    call; ``observed.sdk_replay`` holds what the SDK did (schema: ``$defs.sdk_replay``)."""
    from conformance.audit.replay import SDK_DOCS, facts

    result = replayed.result
    kept = facts(result)
    about = Subject(
        claim=f"{replayed.api}.sdk-replay",
        provider=replayed.api,
        location="sdk",
        field=result.call,
        status=result.outcome,
        doc_url=SDK_DOCS[result.sdk],
    )
    return build_record(
        about,
        variant=f"sdk-replay#{replayed.interaction.index}",
        outcome=outcome,
        message=message,
        observed={
            "calls": [
                {
                    "label": result.call,
                    "status": result.status,
                    "attempts": 1,
                    "sdk_error": kept.get("exception"),
                }
            ],
            "check": "sdk_replay",
            "sdk_replay": kept,
        },
        evidence=replayed.evidence(),
        values={"sdk": result.sdk},
    )
