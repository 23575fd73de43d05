"""The HTML matrix: one self-contained file (CSS and JS inline), rendered with Jinja2 and autoescaping.

The table itself is server-rendered and compact (one ``<details>`` per cell with a one-line summary);
what a cell shows when expanded (doc quote, request, response, evidence) sits in one JSON block that
the inline script turns into DOM nodes with ``textContent`` when the cell is opened, so a 10,000-result
report stays a few megabytes and quick to open. Untrusted text (response bodies, messages, hosts) is
escaped by Jinja in the markup and never goes through ``innerHTML`` in the script.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cache
from typing import Any
from urllib.parse import quote, urlsplit

import jinja2

from conformance import __version__
from conformance.report.model import (
    BUCKET_TITLES,
    RANK,
    VERDICT_LABELS,
    Bucket,
    Cell,
    Rec,
    Report,
    Row,
    Verdict,
)
from conformance.spec.model import STATUS_MEANINGS

MESSAGE_CHARS = 4000
OBSERVED_CHARS = 3000
RECORDS_PER_CELL = 40
BUCKET_COLOURS: dict[Bucket, str] = {
    Bucket.PASSING: "#2e7d32",
    Bucket.FAILING: "#c62828",
    Bucket.DEVIATION: "#ef6c00",
    Bucket.NOT_TESTABLE: "#757575",
    Bucket.NO_EVIDENCE: "#bdbdbd",
    Bucket.UNDOCUMENTED: "#5c6bc0",
}
EVIDENCE_TITLES = {
    "live": "live",
    "replay": "replay",
    "imported": "imported",
    "host": "another host",
    "none": "no evidence",
}


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("conformance.report", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["safe_url"] = safe_url
    env.policies["json.dumps_kwargs"] = {"ensure_ascii": False, "separators": (",", ":"), "default": str}
    return env


def safe_url(url: object) -> str:
    """``url`` if it is an http(s) URL, else ``""`` (a ``javascript:`` doc URL must never become a link)."""
    text = str(url or "")
    try:
        scheme = urlsplit(text).scheme.lower()
    except ValueError:
        return ""
    return text if scheme in ("http", "https") else ""


def trim(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + f"… [{len(text) - limit} more characters]"


def _dump(value: Any, limit: int) -> Any:
    """``value`` itself when its JSON is short (the page pretty-prints it), else its JSON trimmed to ``limit``."""
    if not value:
        return ""
    text = json.dumps(value, ensure_ascii=False, default=str, separators=(",", ":"))
    return value if len(text) <= limit else trim(text, limit)


def source_link(evidence: Mapping[str, Any]) -> str:
    repository, path, commit = evidence.get("repository"), evidence.get("path"), evidence.get("commit")
    if not (repository and path):
        return ""
    return safe_url(
        f"https://github.com/{quote(str(repository))}/blob/{quote(str(commit or 'HEAD'))}/{quote(str(path))}"
    )


@dataclass(frozen=True, slots=True)
class Slot:
    """One rendered cell (attributes, not dict keys: Jinja looks attributes up first)."""

    i: int
    anchor: str
    verdict: str
    bucket: str
    icon: str
    label: str
    status: str
    tokens: str
    badges: list[tuple[str, str]]
    count: str
    reason: str = ""
    span: str = ""  # the days the evidence covers, as months
    drift: str = ""  # a few words when dated records disagree ("changed 2024-04 → 2025-10")
    drift_text: str = ""  # ... in full


@dataclass(frozen=True, slots=True)
class RowView:
    row: Row
    search: str
    slots: list[Slot | None]


class _Interner:
    """Evidence dicts repeat across claims (one recording backs many); store each once."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self._index: dict[Any, int] = {}

    def add(self, evidence: Mapping[str, Any]) -> int:
        try:
            key: Any = tuple(sorted(evidence.items()))
            hash(key)
        except TypeError:  # a nested value: fall back to its JSON
            key = json.dumps(evidence, sort_keys=True, default=str)
        index = self._index.get(key)
        if index is None:
            index = self._index[key] = len(self.items)
            item = {k: v for k, v in evidence.items() if v is not None}
            link = source_link(evidence)
            if link:
                item["link"] = link
            self.items.append(item)
        return index


def _call_line(call: Mapping[str, Any]) -> str:
    """``POST /v1/messages → HTTP 200`` plus retries, the SDK's exception and anything else the call recorded."""
    status = call.get("status")
    line = f"{call.get('label', '')} → " + (f"HTTP {status}" if status is not None else "no response")
    if (call.get("attempts") or 1) > 1:
        line += f" after {call['attempts']} attempts"
    if call.get("sdk_error"):
        line += f"; the SDK raised {call['sdk_error']}"
    extra = {k: v for k, v in call.items() if k not in CALL_KEYS and v is not None}
    if extra:
        line += " " + json.dumps(extra, ensure_ascii=False, default=str, sort_keys=True)
    headers = call.get("response_headers")
    if isinstance(headers, dict) and headers:
        line += "\n" + "\n".join(f"{k}: {v}" for k, v in headers.items())
    for key in ("response_body", "transport_error"):
        if call.get(key):
            line += f"\n\n{call[key]}"
    return line


CALL_KEYS = frozenset({"label", "status", "attempts", "sdk_error", "request", "response_headers", "response_body"})
CALL_KEYS |= {"transport_error"}
"""What a call of ``observed.calls`` holds that :func:`_call_line` lays out itself."""


def _record_data(rec: Rec, evidence: _Interner) -> list[Any]:
    data = rec.data
    observed = dict(data.get("observed") or {})
    calls = observed.pop("calls", [])
    sent = [str(c.get("request") or c.get("label", "")) for c in calls if isinstance(c, dict)]
    came_back = "\n\n".join(_call_line(c) for c in calls if isinstance(c, dict))
    return [
        str(data.get("variant", "")),
        rec.verdict.value,
        trim(str(data.get("message", "")), MESSAGE_CHARS),
        sent,
        _dump(data.get("values"), OBSERVED_CHARS),
        trim(came_back, OBSERVED_CHARS),
        _dump(observed, OBSERVED_CHARS),
        evidence.add(rec.evidence),
        rec.run,
    ]


def _cell_data(report: Report, cell: Cell, evidence: _Interner) -> dict[str, Any]:
    doc = report.claim_docs.get(cell.claim)
    records = sorted(cell.records, key=lambda r: RANK[r.verdict])[:RECORDS_PER_CELL]  # deciding records first
    item: dict[str, Any] = {
        "c": cell.claim,
        "s": cell.status,
        "u": safe_url(cell.doc_url),
        "r": [_record_data(r, evidence) for r in records],
    }
    if len(cell.records) > len(records):
        item["more"] = len(cell.records) - len(records)
    span, drift = cell.span(), cell.drift()
    if span:
        item["w"] = span
    if drift is not None:
        item["dr"] = drift.text
    if doc is not None:
        if doc.quote:
            item["q"] = doc.quote
        if doc.deviations:
            item["d"] = list(doc.deviations)
        if doc.notes:
            item["n"] = doc.notes
    return item


def _chart(counts: Mapping[Bucket, int], width: int = 180) -> list[dict[str, Any]]:
    total = sum(counts.values()) or 1
    segments, x = [], 0.0
    for bucket in counts:
        w = counts[bucket] * width / total
        if w:
            segments.append(
                {"x": round(x, 2), "w": round(w, 2), "colour": BUCKET_COLOURS[bucket], "title": BUCKET_TITLES[bucket]}
                | {"n": counts[bucket]}
            )
        x += w
    return segments


def _untestable_reason(cell: Cell, limit: int = 100) -> str:
    message = next((str(r.data.get("message", "")) for r in cell.records if r.data.get("message")), "")
    return trim(message.removeprefix("not testable: ").strip(), limit)


def _could_not_tell_reason(cell: Cell, limit: int = 100) -> str:
    """Why a cell whose verdict is "could not tell" has none: the message of its deciding could-not-tell record."""
    unknown = [r for r in cell.records if r.verdict is Verdict.UNKNOWN and r.data.get("message")]
    message = str(unknown[0].data["message"]) if unknown else ""
    return trim(message.removeprefix("could not tell: ").strip(), limit)


def _badges(cell: Cell) -> list[tuple[str, str]]:
    badges: list[tuple[str, str]] = []
    for token in cell.evidence_tokens():
        if token == "none" and cell.verdict is Verdict.NO_EVIDENCE:
            continue  # the verdict already says "no evidence"
        if token == "host":
            badges.extend(("host", f"via {host}") for host in cell.hosts_elsewhere())
        else:
            badges.append((token, EVIDENCE_TITLES.get(token, token)))
    return badges


def context(report: Report, generated: str | None = None) -> dict[str, Any]:
    """Everything the template needs, precomputed so the template stays a plain loop."""
    evidence = _Interner()
    cells: list[dict[str, Any]] = []
    groups = []
    seen_anchor: set[str] = set()
    ncols = len(report.columns)
    for group in report.groups:
        rows = []
        for row in group.rows:
            slots: list[Slot | None] = [None] * ncols
            words = {row.key, row.field}
            for index, cell in row.cells.items():
                verdict = cell.verdict
                icon, label = cell.label
                same, total = cell.counts()
                anchor = f"claim-{cell.claim}" if cell.claim not in seen_anchor else ""
                seen_anchor.add(cell.claim)
                words.update((cell.claim, cell.status))
                drift = cell.drift()
                if drift is not None:
                    words.update(("changed", "drift"))
                slots[index] = Slot(
                    i=len(cells),
                    anchor=anchor,
                    verdict=verdict.value,
                    bucket=cell.bucket.value,
                    icon=icon,
                    label=label,
                    status=cell.status,
                    tokens=" ".join(cell.evidence_tokens()),
                    badges=_badges(cell),
                    count=f"{same} of {total} cases" if total > 1 else "",
                    reason=_untestable_reason(cell)
                    if verdict is Verdict.NOT_TESTABLE
                    else _could_not_tell_reason(cell)
                    if verdict is Verdict.UNKNOWN
                    else "",
                    span=cell.span(),
                    drift=drift.short if drift is not None else "",
                    drift_text=drift.text if drift is not None else "",
                )
                cells.append(_cell_data(report, cell, evidence))
            rows.append(RowView(row=row, search=" ".join(sorted(words)).lower(), slots=slots))
        groups.append({"group": group, "rows": rows})
    summary = report.summary()
    columns = [
        {
            "index": i,
            "column": c,
            "label": report.column_label(i),
            "counts": {b.value: n for b, n in summary[i].items()},
            "chart": _chart(summary[i]),
        }
        for i, c in enumerate(report.columns)
    ]
    blob = {
        "cells": cells,
        "evidence": evidence.items,
        "runs": [run.path for run in report.runs],
        "columns": [c["label"] for c in columns],
        "verdicts": {v.value: list(VERDICT_LABELS[v]) for v in Verdict},
        "statuses": {s.value: meaning for s, meaning in STATUS_MEANINGS.items()},
    }
    return {
        "report": report,
        "groups": groups,
        "columns": columns,
        "buckets": [(b.value, BUCKET_TITLES[b], BUCKET_COLOURS[b]) for b in report.buckets()],
        "verdict_labels": [(v.value, *VERDICT_LABELS[v]) for v in Verdict],
        "locations": [(g.location, g.title) for g in report.groups],
        "providers": sorted({c.provider for c in report.columns}),
        "evidence_titles": EVIDENCE_TITLES,
        "blob": blob,
        "generated": generated or datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "harness": __version__,
        "records": report.record_count(),
    }


def render_html(report: Report, generated: str | None = None) -> str:
    return environment().get_template("report.html.j2").render(context(report, generated))
