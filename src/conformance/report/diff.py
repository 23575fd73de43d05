"""What changed between two runs: newly failing / passing claims, status changes, evidence gained or lost,
changed headers and error shapes. ``conformance diff OLD.json NEW.json`` exits 1 when something regressed."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from conformance import bounded
from conformance.report.model import (
    BUCKET_OF,
    UNDOCUMENTED,
    UNDOCUMENTED_LABELS,
    VERDICT_LABELS,
    Bucket,
    Cell,
    Report,
    Verdict,
    load_report,
)

# Locations whose observed shape (status codes, headers, error bodies) is compared between runs.
SHAPE_LOCATIONS = frozenset({"header", "request_header", "error"})
SHAPE_CHARS = 400

Key = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class State:
    """One claim in one column of one run, reduced to what a diff compares."""

    claim: str
    where: str
    location: str
    status: str
    verdict: Verdict
    evidence: tuple[str, ...]
    shape: str

    @property
    def bucket(self) -> Bucket:
        """Undocumented claims never regress the provider: their changes are outcome changes."""
        return Bucket.UNDOCUMENTED if self.status == UNDOCUMENTED else BUCKET_OF[self.verdict]

    def outcome(self) -> str:
        undocumented = self.status == UNDOCUMENTED and self.verdict in UNDOCUMENTED_LABELS
        icon, words = UNDOCUMENTED_LABELS[self.verdict] if undocumented else VERDICT_LABELS[self.verdict]
        return f"{icon} {words}"


@dataclass(frozen=True, slots=True)
class Change:
    claim: str
    where: str
    old: State | None
    new: State | None
    detail: str


@dataclass(slots=True)
class Diff:
    old_paths: list[str]
    new_paths: list[str]
    newly_failing: list[Change] = dataclasses.field(default_factory=list)
    newly_passing: list[Change] = dataclasses.field(default_factory=list)
    outcome_changes: list[Change] = dataclasses.field(default_factory=list)
    status_changes: list[Change] = dataclasses.field(default_factory=list)
    new_evidence: list[Change] = dataclasses.field(default_factory=list)
    lost_evidence: list[Change] = dataclasses.field(default_factory=list)
    shape_changes: list[Change] = dataclasses.field(default_factory=list)
    added: list[Change] = dataclasses.field(default_factory=list)
    removed: list[Change] = dataclasses.field(default_factory=list)

    @property
    def regressed(self) -> bool:
        return bool(self.newly_failing)

    def sections(self) -> list[tuple[str, str, list[Change]]]:
        """(anchor, title, changes), regressions first."""
        return [
            ("newly-failing", "Newly failing", self.newly_failing),
            ("newly-passing", "Newly passing", self.newly_passing),
            ("outcome-changes", "Other outcome changes", self.outcome_changes),
            ("status-changes", "Documented status changes", self.status_changes),
            ("new-evidence", "New evidence", self.new_evidence),
            ("lost-evidence", "Lost evidence", self.lost_evidence),
            ("shape-changes", "Changed headers or error shapes", self.shape_changes),
            ("added", "Claims added", self.added),
            ("removed", "Claims removed", self.removed),
        ]

    def empty(self) -> bool:
        return not any(changes for _, _, changes in self.sections())


def _skeleton(value: object) -> object:
    """A JSON value's shape: keys and types, not values (an error's wording or a request id changes every run)."""
    if isinstance(value, dict):
        return {str(k): _skeleton(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_skeleton(value[0])] if value else []
    return type(value).__name__


def _call_shape(call: object) -> object:
    """Status, response header names and, for an error answer, the body's skeleton."""
    if not isinstance(call, dict):
        return call
    shape: dict[str, object] = {"status": call.get("status"), "sdk_error": call.get("sdk_error")}
    headers = call.get("response_headers")
    if isinstance(headers, dict):
        shape["headers"] = sorted(k.lower() for k in headers)
    status = call.get("status")
    if isinstance(status, int) and status >= 400 and isinstance(call.get("response_body"), str):
        try:
            shape["body"] = _skeleton(bounded.loads(call["response_body"]))
        except ValueError:
            shape["body"] = "not JSON (or trimmed)"
    return shape


def _shape(cell: Cell) -> str:
    if cell.location not in SHAPE_LOCATIONS:
        return ""
    observed: dict[str, object] = {}
    for r in cell.records:
        if r.evidence_kind == "none":
            continue
        seen = dict(r.data.get("observed") or {})
        seen["calls"] = [_call_shape(c) for c in seen.get("calls") or []]
        observed[str(r.data.get("variant", ""))] = seen
    return json.dumps(observed, sort_keys=True, separators=(",", ":"), default=str) if observed else ""


def states(report: Report, keyed_by_column: set[str]) -> dict[Key, State]:
    """Every cell of ``report``; columns are part of the key only for providers in ``keyed_by_column``."""
    result: dict[Key, State] = {}
    for cell in report.cells():
        column = report.columns[cell.column]
        key: Key = (
            (cell.claim, column.model, column.host) if column.provider in keyed_by_column else (cell.claim, "", "")
        )
        result[key] = State(
            claim=cell.claim,
            where=report.column_label(cell.column),
            location=cell.location,
            status=cell.status,
            verdict=cell.verdict,
            evidence=tuple(t for t in cell.evidence_tokens() if t != "none"),
            shape=_shape(cell),
        )
    return result


def _multi_column_providers(*reports: Report) -> set[str]:
    multi: set[str] = set()
    for report in reports:
        seen: dict[str, int] = {}
        for column in report.columns:
            seen[column.provider] = seen.get(column.provider, 0) + 1
        multi.update(p for p, n in seen.items() if n > 1)
    return multi


def _trim(text: str) -> str:
    return text if len(text) <= SHAPE_CHARS else text[:SHAPE_CHARS] + "…"


def diff_reports(old: Report, new: Report) -> Diff:
    multi = _multi_column_providers(old, new)
    before, after = states(old, multi), states(new, multi)
    result = Diff([r.path for r in old.runs], [r.path for r in new.runs])
    for key in sorted(before.keys() | after.keys()):
        a, b = before.get(key), after.get(key)
        claim = key[0]
        if a is None:
            assert b is not None
            where = b.where
            result.added.append(Change(claim, where, None, b, f"{b.status}: {b.outcome()}"))
            if b.bucket is Bucket.FAILING:
                result.newly_failing.append(Change(claim, where, None, b, f"new claim, {b.outcome()}"))
            continue
        where = a.where
        if b is None:
            result.removed.append(Change(claim, where, a, None, f"{a.status}: was {a.outcome()}"))
            continue
        if b.bucket is Bucket.FAILING and a.bucket is not Bucket.FAILING:
            result.newly_failing.append(Change(claim, where, a, b, f"{a.outcome()} → {b.outcome()}"))
        elif b.bucket is Bucket.PASSING and a.bucket in (Bucket.FAILING, Bucket.DEVIATION):
            result.newly_passing.append(Change(claim, where, a, b, f"{a.outcome()} → {b.outcome()}"))
        elif a.verdict is not b.verdict:
            result.outcome_changes.append(Change(claim, where, a, b, f"{a.outcome()} → {b.outcome()}"))
        if a.status != b.status:
            result.status_changes.append(Change(claim, where, a, b, f"documented {a.status} → {b.status}"))
        gained = [k for k in b.evidence if k not in a.evidence]
        lost = [k for k in a.evidence if k not in b.evidence]
        if gained:
            result.new_evidence.append(Change(claim, where, a, b, f"{_kinds(a.evidence)} → {_kinds(b.evidence)}"))
        if lost:
            result.lost_evidence.append(Change(claim, where, a, b, f"{_kinds(a.evidence)} → {_kinds(b.evidence)}"))
        if a.shape and b.shape and a.shape != b.shape:
            result.shape_changes.append(Change(claim, where, a, b, f"{_trim(a.shape)} → {_trim(b.shape)}"))
    return result


def _kinds(tokens: tuple[str, ...]) -> str:
    words = ["another host" if t == "host" else t for t in tokens]
    return ", ".join(words) or "no evidence"


def diff_files(old: list[Path], new: list[Path]) -> Diff:
    return diff_reports(load_report(old), load_report(new))


def render_text(diff: Diff) -> str:
    lines = [f"conformance diff: {', '.join(diff.old_paths)} → {', '.join(diff.new_paths)}"]
    for _, title, changes in diff.sections():
        if not changes:
            continue
        lines.append(f"\n{title} ({len(changes)}):")
        lines.extend(f"  {c.claim} [{c.where}]: {c.detail}" for c in changes)
    lines.append("")
    if diff.empty():
        lines.append("no changes")
    lines.append(
        f"{len(diff.newly_failing)} regression(s): exit 1"
        if diff.regressed
        else "no regressions (nothing newly failing)"
    )
    return "\n".join(lines) + "\n"


def render_markdown(diff: Diff) -> str:
    from conformance.report.markdown import md_code, md_text

    lines = [
        "# Conformance diff",
        "",
        f"{md_text(', '.join(diff.old_paths))} → {md_text(', '.join(diff.new_paths))}",
        "",
        f"**{len(diff.newly_failing)} regression(s)**" if diff.regressed else "**No regressions.**",
    ]
    for _, title, changes in diff.sections():
        if not changes:
            continue
        lines += ["", f"## {title} ({len(changes)})", "", "| claim | provider | change |", "|---|---|---|"]
        lines += [f"| {md_code(c.claim)} | {md_text(c.where)} | {md_text(c.detail, 500)} |" for c in changes]
    return "\n".join(lines) + "\n"


def render_html(diff: Diff) -> str:
    from conformance.report.html import environment

    return environment().get_template("diff.html.j2").render(diff=diff)


def counts(diff: Diff) -> Mapping[str, int]:
    return {anchor: len(changes) for anchor, _, changes in diff.sections()}
