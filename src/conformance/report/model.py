"""Results files in, one merged matrix out: rows are claims (grouped by location), columns are provider/model/host.

Everything here reads the results JSON written by the plugin (``--conformance-json``) or by
``conformance audit --json``; nothing looks at live objects. The only optional extra is a map of
claim id → doc quote / deviation notes taken from the specs, because the results file carries the
doc URL but not the quote.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

from conformance import bounded
from conformance.bounded import clip
from conformance.errors import UserInputError
from conformance.results.model import RESULTS_VERSION, Outcome, Provenance, results_schema

LOCATION_TITLES: dict[str, str] = {
    "request": "Request fields",
    "message": "Message fields",
    "tool": "Tool fields",
    "response": "Response fields",
    "stream": "Streaming",
    "usage": "Usage",
    "request_header": "Request headers",
    "header": "Response headers",
    "error": "Errors",
    "endpoint": "Endpoints",
    "behavior": "Behaviour",
    "auth": "Authentication",
    "limit": "Limits",
    "platform": "Platform (SDK and console facts)",
    "sdk": "SDK replay of recordings",
}


class ReportError(UserInputError):
    """A results file that cannot be read; the message names the file and says what to do."""


class Verdict(str, enum.Enum):
    """What one cell (one claim in one column) shows, worst first."""

    FAIL = "fail"
    ERROR = "error"
    XPASS = "xpass"
    XFAIL = "xfail"
    PASS = "pass"
    UNKNOWN = "unknown"
    NO_EVIDENCE = "no-evidence"
    NOT_TESTABLE = "not-testable"


class Bucket(str, enum.Enum):
    """The summary's counts; claims the provider's own doc does not address (status undocumented) have their own."""

    PASSING = "passing"
    FAILING = "failing"
    DEVIATION = "deviation"
    NOT_TESTABLE = "not-testable"
    NO_EVIDENCE = "no-evidence"
    UNDOCUMENTED = "undocumented"


BUCKET_OF: dict[Verdict, Bucket] = {
    Verdict.FAIL: Bucket.FAILING,
    Verdict.ERROR: Bucket.FAILING,
    Verdict.XPASS: Bucket.PASSING,
    Verdict.XFAIL: Bucket.DEVIATION,
    Verdict.PASS: Bucket.PASSING,
    Verdict.UNKNOWN: Bucket.NO_EVIDENCE,
    Verdict.NO_EVIDENCE: Bucket.NO_EVIDENCE,
    Verdict.NOT_TESTABLE: Bucket.NOT_TESTABLE,
}

BUCKET_TITLES: dict[Bucket, str] = {
    Bucket.PASSING: "passing",
    Bucket.FAILING: "failing",
    Bucket.DEVIATION: "known deviations",
    Bucket.NOT_TESTABLE: "not testable",
    Bucket.NO_EVIDENCE: "no evidence",
    Bucket.UNDOCUMENTED: "not in the docs",
}

# Icon and words for each verdict: the page never relies on colour alone.
VERDICT_LABELS: dict[Verdict, tuple[str, str]] = {
    Verdict.FAIL: ("✘", "fails"),
    Verdict.ERROR: ("⚠", "error"),
    Verdict.XPASS: ("✔", "passes; known deviation gone"),
    Verdict.XFAIL: ("≠", "known deviation"),
    Verdict.PASS: ("✔", "passes"),
    Verdict.UNKNOWN: ("?", "could not tell"),
    Verdict.NO_EVIDENCE: ("○", "no evidence"),
    Verdict.NOT_TESTABLE: ("∅", "not testable"),
}
RANK = {v: i for i, v in enumerate(Verdict)}
UNDOCUMENTED = "undocumented"
UNDOCUMENTED_LABELS: dict[Verdict, tuple[str, str]] = {
    Verdict.PASS: ("≈", "behaves as the reference"),
    Verdict.FAIL: ("↯", "differs from the reference"),
}


@dataclass(frozen=True, slots=True)
class ClaimDoc:
    """What the specs add to a claim: the doc quote and known deviations (the results file has only the URL)."""

    quote: str = ""
    deviations: tuple[str, ...] = ()
    notes: str = ""


@dataclass(frozen=True, slots=True)
class RunInfo:
    """The ``run`` block of one results file."""

    path: str
    started: str
    finished: str | None
    mode: str
    harness: str
    python: str
    platform: str
    sdks: Mapping[str, str]
    providers: Mapping[str, Mapping[str, Any]]
    records: int
    incomplete: bool = False  # the run was interrupted (Ctrl-C, crash, time-out) before it wrote its last results


@dataclass(frozen=True, slots=True)
class Column:
    """One matrix column: a provider API, as run against one model at one host."""

    provider: str
    model: str
    host: str
    official: bool

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.provider, self.model, self.host)


def verdict_of(record: Mapping[str, Any]) -> Verdict:
    """A record's verdict: skips split into not testable, no evidence, and could-not-tell (evidence without a verdict)."""
    outcome = Outcome(record["outcome"])
    if outcome is Outcome.SKIP:
        if not record.get("testable", True):
            return Verdict.NOT_TESTABLE
        kind = (record.get("evidence") or {}).get("kind", Provenance.NONE)
        return Verdict.NO_EVIDENCE if kind == Provenance.NONE else Verdict.UNKNOWN
    return Verdict(outcome.value)


@dataclass(frozen=True, slots=True)
class Rec:
    """One result record, with the run it came from and the day its evidence shows (``YYYY-MM-DD``: an imported
    recording's ``recorded_on``, a live run's start; "" when nothing dates it)."""

    data: Mapping[str, Any]
    run: int
    verdict: Verdict
    day: str = ""

    @property
    def evidence(self) -> Mapping[str, Any]:
        evidence: Mapping[str, Any] = self.data.get("evidence") or {}
        return evidence

    @property
    def evidence_kind(self) -> str:
        return str(self.evidence.get("kind", Provenance.NONE))

    @property
    def elsewhere(self) -> str | None:
        """The host a record was made against when that is not the provider's own (``official: false``)."""
        ev = self.evidence
        if ev.get("kind", Provenance.NONE) != Provenance.NONE and ev.get("official") is False:
            return str(ev.get("host") or "another host")
        return None


HOLDS = frozenset({Verdict.PASS, Verdict.XPASS})
BREAKS = frozenset({Verdict.FAIL, Verdict.XFAIL})
"""The provider behaviour a dated record shows: the claim held, or it did not (a known deviation is a break too).
Errors of ours, unknowns and skips show no behaviour."""


def _month_or_day(earlier: str, later: str) -> tuple[str, str]:
    """Two days as months (``2024-06``), or as days when they fall in one month."""
    return (earlier[:7], later[:7]) if earlier[:7] != later[:7] else (earlier, later)


def day_span(days: Iterable[str]) -> str:
    """``2024-04 to 2026-08``, or one month when all days fall in it; "" for no days."""
    ordered = sorted(d for d in days if d)
    if not ordered:
        return ""
    first, last = ordered[0][:7], ordered[-1][:7]
    return first if first == last else f"{first} to {last}"


@dataclass(frozen=True, slots=True)
class Drift:
    """Dated records of one cell that disagree: the claim held on some days and not on others."""

    held: tuple[str, ...]  # the days (sorted) whose records show the claim holding
    broke: tuple[str, ...]  # ... and not holding

    @property
    def short(self) -> str:
        """A few words for the cell's one-line summary."""
        if self.broke[-1] < self.held[0]:
            before, after = _month_or_day(self.broke[-1], self.held[0])
            return f"changed {before} → {after}"
        if self.held[-1] < self.broke[0]:
            before, after = _month_or_day(self.held[-1], self.broke[0])
            return f"changed {before} → {after}"
        return f"recordings disagree over {day_span(self.held + self.broke)}"

    @property
    def text(self) -> str:
        if self.broke[-1] < self.held[0]:
            before, after = _month_or_day(self.broke[-1], self.held[0])
            return f"changed between {before} and {after}: failed until {before}, passes from {after}"
        if self.held[-1] < self.broke[0]:
            before, after = _month_or_day(self.held[-1], self.broke[0])
            return f"changed between {before} and {after}: passed until {before}, fails from {after}"
        return (
            f"recordings disagree over {day_span(self.held + self.broke)}: passes on "
            f"{_days(self.held)}, fails on {_days(self.broke)}"
        )


def _days(days: tuple[str, ...], shown: int = 3) -> str:
    text = ", ".join(days[:shown])
    return text + (f" and {len(days) - shown} more day(s)" if len(days) > shown else "")


@dataclass(slots=True)
class Cell:
    """One claim in one column: every record of it (variants, recordings, runs) and their combined verdict."""

    claim: str
    column: int
    location: str
    status: str
    doc_url: str
    records: list[Rec] = dataclasses.field(default_factory=list)
    _verdict: Verdict | None = None

    def add(self, rec: Rec) -> None:
        self.records.append(rec)
        if self._verdict is None or RANK[rec.verdict] < RANK[self._verdict]:
            self._verdict = rec.verdict

    @property
    def verdict(self) -> Verdict:
        assert self._verdict is not None, "a cell has at least one record"
        return self._verdict

    @property
    def bucket(self) -> Bucket:
        """Undocumented claims count apart, whatever they showed: they are never the provider failing its docs."""
        return Bucket.UNDOCUMENTED if self.status == UNDOCUMENTED else BUCKET_OF[self.verdict]

    @property
    def label(self) -> tuple[str, str]:
        """Icon and words of the cell: an undocumented claim behaves as its reference documents it, or differs."""
        if self.status == UNDOCUMENTED and self.verdict in (Verdict.PASS, Verdict.FAIL):
            return UNDOCUMENTED_LABELS[self.verdict]
        return VERDICT_LABELS[self.verdict]

    def evidence_tokens(self) -> list[str]:
        """Badges: each evidence kind that decided something, ``host`` if any came from another host, else ``none``."""
        kinds = sorted({r.evidence_kind for r in self.records if r.evidence_kind != Provenance.NONE})
        if any(r.elsewhere for r in self.records):
            kinds.append("host")
        return kinds or [Provenance.NONE.value]

    def hosts_elsewhere(self) -> list[str]:
        return sorted({h for r in self.records if (h := r.elsewhere)})

    def counts(self) -> tuple[int, int]:
        """(records sharing the cell's verdict, all records)."""
        verdict = self.verdict
        return sum(1 for r in self.records if r.verdict is verdict), len(self.records)

    def span(self) -> str:
        """The days the cell's evidence covers, as months: ``2024-04 to 2026-08`` ("" when nothing is dated)."""
        return day_span(r.day for r in self.records)

    def drift(self) -> Drift | None:
        """The cell's dated records disagree (held on some days, not on others), or None."""
        held = sorted({r.day for r in self.records if r.day and r.verdict in HOLDS})
        broke = sorted({r.day for r in self.records if r.day and r.verdict in BREAKS})
        return Drift(tuple(held), tuple(broke)) if held and broke else None


@dataclass(slots=True)
class Row:
    """Claims of several providers that make the same statement (same id after the provider prefix)."""

    key: str
    location: str
    field: str
    cells: dict[int, Cell] = dataclasses.field(default_factory=dict)


@dataclass(slots=True)
class Group:
    location: str
    title: str
    rows: list[Row]


@dataclass(slots=True)
class Report:
    """Results files merged into one matrix."""

    runs: list[RunInfo]
    columns: list[Column]
    groups: list[Group]
    claim_docs: Mapping[str, ClaimDoc] = dataclasses.field(default_factory=dict)

    def cells(self) -> Iterable[Cell]:
        for group in self.groups:
            for row in group.rows:
                yield from row.cells.values()

    def buckets(self) -> list[Bucket]:
        """The buckets this report's summary has."""
        summary = self.summary()
        return list(summary[0]) if summary else [b for b in Bucket if b is not Bucket.UNDOCUMENTED]

    def summary(self) -> list[dict[Bucket, int]]:
        """Per column: how many claims fall in each bucket (the undocumented bucket only where a run has one)."""
        counts = [dict.fromkeys(Bucket, 0) for _ in self.columns]
        for cell in self.cells():
            counts[cell.column][cell.bucket] += 1
        if not any(c[Bucket.UNDOCUMENTED] for c in counts):
            for c in counts:
                del c[Bucket.UNDOCUMENTED]
        return counts

    def column_label(self, index: int) -> str:
        column = self.columns[index]
        parts = [column.provider]
        same_provider = [c for c in self.columns if c.provider == column.provider]
        if len(same_provider) > 1 and column.model:
            parts.append(column.model)
        if not column.official or len({c.host for c in same_provider}) > 1:
            parts.append(f"@ {column.host or 'unknown host'}")
        return " · ".join(parts)

    def record_count(self) -> int:
        return sum(len(c.records) for c in self.cells())


def row_key(claim: str, provider: str) -> str:
    """``openai.request.temperature`` → ``request.temperature``: the same statement across providers."""
    prefix = provider + "."
    return claim[len(prefix) :] if claim.startswith(prefix) else claim


HINT = "write one with `pytest -m conformance --conformance-json PATH` or `conformance audit PATH --json OUT`"
SHOWN_PROBLEMS = 5


@functools.cache
def _validator() -> Any:
    """The results schema's validator, built once per process (no format checks)."""
    schema = results_schema()
    return jsonschema.validators.validator_for(schema)(schema, format_checker=None)


def _sort_key(error: jsonschema.ValidationError) -> tuple[str, ...]:
    return tuple(f"{p:012d}" if isinstance(p, int) else str(p) for p in error.absolute_path)


def _where(path: Sequence[str | int]) -> str:
    """``results[2].outcome`` → ``record 3: outcome``; ``run.providers`` stays as it is."""
    if len(path) >= 2 and path[0] == "results" and isinstance(path[1], int):
        rest = ".".join(str(p) for p in path[2:])
        return f"record {path[1] + 1}: " + (f"{rest} " if rest else f"results[{path[1]}] ")
    return (".".join(str(p) for p in path) or "the file") + " "


def _schema_problem(error: jsonschema.ValidationError) -> str:
    """One schema error in words, where it is first (``record 3: outcome``), its JSON path last (``at
    $.results[2].outcome``)."""
    return _problem_text(error) + (f" (at {error.json_path})" if error.absolute_path else "")


def _problem_text(error: jsonschema.ValidationError) -> str:
    where = _where(list(error.absolute_path))
    value: Any = error.validator_value
    if error.validator == "enum":
        return f"{where}{clip(repr(error.instance), 60)} is not one of {', '.join(map(str, value))}"
    if error.validator == "required" and isinstance(error.instance, dict):
        return f"{where}lacks {', '.join(k for k in value if k not in error.instance)}"
    if error.validator == "type":
        expected = value if isinstance(value, str) else " or ".join(value)
        return f"{where}is {clip(repr(error.instance), 60)}, not of type {expected}"
    return f"{where.rstrip()}: {clip(error.message, 200)}"


def _read(path: Path) -> dict[str, Any]:
    try:
        data = bounded.loads(path.read_bytes(), "the results file")
    except FileNotFoundError:
        raise ReportError(f"{path}: no such results file; {HINT}") from None
    except IsADirectoryError:
        raise ReportError(f"{path}: is a folder, not a results file; {HINT}") from None
    except OSError as exc:
        raise ReportError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    except json.JSONDecodeError as exc:
        raise ReportError(f"{path}:{exc.lineno}:{exc.colno}: not JSON ({exc.msg}); {HINT}") from None
    except ValueError as exc:  # too deep (bounded.LimitExceeded), or not UTF-8
        raise ReportError(f"{path}: {clip(str(exc))}; {HINT}") from None
    if not isinstance(data, dict) or not isinstance(data.get("results"), list) or not isinstance(data.get("run"), dict):
        raise ReportError(f"{path}: not a conformance results file (needs 'run' and 'results'); {HINT}")
    version = data.get("results_version")
    if version != RESULTS_VERSION:
        raise ReportError(
            f"{path}: results_version {version!r}, this harness reads {RESULTS_VERSION}; "
            "render it with the conformance version that wrote it, or re-run"
        )
    errors = sorted(_validator().iter_errors(data), key=_sort_key)
    if errors:
        found = list(dict.fromkeys(_schema_problem(e) for e in errors))  # one per missing key says them all: once
        problems = [f"{path}: {problem}" for problem in found[:SHOWN_PROBLEMS]]
        if len(found) > SHOWN_PROBLEMS:
            problems.append(f"{path}: … and {len(found) - SHOWN_PROBLEMS} more")
        problems.append(
            f"{path}: does not match the results schema (conformance/schemas/results.schema.json); "
            "fix those values or write the file again"
        )
        raise ReportError("\n".join(problems))
    return data


def _run_info(path: Path, data: Mapping[str, Any]) -> RunInfo:
    run = data["run"]
    return RunInfo(
        path=str(path),
        started=str(run.get("started", "")),
        finished=run.get("finished"),
        mode=str(run.get("mode", "")),
        harness=str(run.get("harness", "")),
        python=str(run.get("python", "")),
        platform=str(run.get("platform", "")),
        sdks=dict(run.get("sdks") or {}),
        providers=dict(run.get("providers") or {}),
        records=len(data["results"]),
        incomplete=bool(run.get("incomplete", False)),
    )


def _column_of(run: RunInfo, record: Mapping[str, Any]) -> Column:
    provider = str(record["provider"])
    meta = run.providers.get(provider) or {}
    host = str(meta.get("base_url_host", ""))
    official = bool(meta.get("official", True))
    return Column(provider=provider, model=str(meta.get("model", "")), host=host, official=official)


def _day_of(run: RunInfo, record: Mapping[str, Any]) -> str:
    """The day a record's evidence shows: an imported recording's ``recorded_on``; a live run's start day."""
    evidence = record.get("evidence") or {}
    day = evidence.get("recorded_on")
    if isinstance(day, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
        return day
    if evidence.get("kind") == Provenance.LIVE and re.match(r"\d{4}-\d{2}-\d{2}", run.started):
        return run.started[:10]
    return ""


def _location_order(location: str) -> tuple[int, str]:
    order = list(LOCATION_TITLES)
    return (order.index(location), "") if location in order else (len(order), location)


def load_report(
    paths: Sequence[Path],
    claim_docs: Mapping[str, ClaimDoc] | None = None,
    on_bad_file: Callable[[ReportError], None] | None = None,
) -> Report:
    """Read and merge results files. Raises ``ReportError`` naming the first bad file; with ``on_bad_file``, a bad
    file is handed to it and left out instead (``ReportError`` only when no file is readable)."""
    if not paths:
        raise ReportError("no results file given; pass one or more RESULTS.json")
    runs: list[RunInfo] = []
    columns: dict[tuple[str, str, str], int] = {}
    column_list: list[Column] = []
    rows: dict[tuple[str, str], Row] = {}
    readable: list[tuple[Path, dict[str, Any]]] = []
    for path in paths:
        try:
            readable.append((path, _read(path)))
        except ReportError as exc:
            if on_bad_file is None:
                raise
            on_bad_file(exc)
    if not readable:
        raise ReportError("no readable results file: nothing to render")
    for path, data in readable:
        run = _run_info(path, data)
        run_index = len(runs)
        runs.append(run)
        for record in data["results"]:
            column = _column_of(run, record)
            index = columns.get(column.key)
            if index is None:
                index = columns[column.key] = len(column_list)
                column_list.append(column)
            claim, location = str(record["claim"]), str(record["location"])
            key = row_key(claim, column.provider)
            row = rows.get((location, key))
            if row is None:
                row = rows[(location, key)] = Row(key=key, location=location, field=str(record["field"]))
            cell = row.cells.get(index)
            if cell is None:
                cell = row.cells[index] = Cell(
                    claim=claim,
                    column=index,
                    location=location,
                    status=str(record["status"]),
                    doc_url=str(record["doc_url"]),
                )
            elif cell.claim != claim:  # two claims mapping to one row in one column: keep them apart
                alt = rows.setdefault((location, claim), Row(key=claim, location=location, field=str(record["field"])))
                cell = alt.cells.setdefault(
                    index,
                    Cell(
                        claim=claim,
                        column=index,
                        location=location,
                        status=str(record["status"]),
                        doc_url=str(record["doc_url"]),
                    ),
                )
            cell.add(Rec(record, run_index, verdict_of(record), _day_of(run, record)))
    order = sorted(range(len(column_list)), key=lambda i: _column_sort(column_list[i]))
    remap = {old: new for new, old in enumerate(order)}
    by_location: dict[str, list[Row]] = {}
    for row in rows.values():
        row.cells = {remap[i]: cell for i, cell in sorted(row.cells.items(), key=lambda item: remap[item[0]])}
        for index, cell in row.cells.items():
            cell.column = index
        by_location.setdefault(row.location, []).append(row)
    groups = [
        Group(
            location, LOCATION_TITLES.get(location, location.replace("_", " ").capitalize()), sorted(rs, key=_row_sort)
        )
        for location, rs in sorted(by_location.items(), key=lambda item: _location_order(item[0]))
    ]
    return Report(runs=runs, columns=[column_list[i] for i in order], groups=groups, claim_docs=dict(claim_docs or {}))


def _column_sort(column: Column) -> tuple[str, bool, str, str]:
    return (column.provider, not column.official, column.model, column.host)


def _row_sort(row: Row) -> tuple[str, str]:
    return (row.field.lower(), row.key)


def claim_docs_from_specs(specs: Iterable[Any]) -> dict[str, ClaimDoc]:
    """Doc quotes, deviation summaries and notes of every claim of ``specs`` (``conformance.spec.model.Spec``)."""
    docs: dict[str, ClaimDoc] = {}
    for spec in specs:
        for claim in spec.claims:
            docs[claim.id] = ClaimDoc(
                quote=claim.doc.quote,
                deviations=tuple(d.summary for d in (*claim.deviations, *claim.recorded_deviations)),
                notes=claim.notes,
            )
    return docs
