"""``summary.md``: the summary table and the failing claims, as Markdown for a CI job summary.

GitHub renders HTML inside job summaries, so every piece of recorded text is escaped here.
"""

from __future__ import annotations

import re

from conformance.report.model import BUCKET_TITLES, Bucket, Cell, Report, Verdict

MAX_FAILING = 200
MESSAGE_CHARS = 300
_SPECIALS = re.compile(r"([\\`*_\[\]|~])")


def md_text(value: object, limit: int = MESSAGE_CHARS) -> str:
    """One line of plain text, safe inside a Markdown table cell (no HTML, no links, no formatting)."""
    text = " ".join(str(value).split())
    if len(text) > limit:
        text = text[:limit] + "…"
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return _SPECIALS.sub(r"\\\1", text)


def md_code(value: object) -> str:
    text = " ".join(str(value).split()).replace("`", "'")
    return f"`{text}`"


def _first_message(cell: Cell, verdicts: tuple[Verdict, ...]) -> str:
    for rec in cell.records:
        if rec.verdict in verdicts and rec.data.get("message"):
            return str(rec.data["message"]).strip().splitlines()[0]
    return ""


def _evidence(cell: Cell) -> str:
    hosts = cell.hosts_elsewhere()
    kinds = [t for t in cell.evidence_tokens() if t != "host"]
    words = [k if k != "none" else "no evidence" for k in kinds] + [f"via {h} (not the provider)" for h in hosts]
    span = cell.span()
    return md_text(", ".join(words) + (f" ({span})" if span else ""))


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def render_markdown(report: Report) -> str:
    lines = ["# Conformance report", ""]
    for run in report.runs:
        sdks = ", ".join(f"{k} {v}" for k, v in sorted(run.sdks.items()))
        lines.append(
            f"* {md_code(run.path)}: {md_text(run.mode)} run started {md_text(run.started)}, "
            f"harness {md_text(run.harness)}, Python {md_text(run.python)}, {md_text(sdks)}, {run.records} results"
            + (" — **incomplete run** (interrupted before the end)" if run.incomplete else "")
        )
        for name, meta in sorted(run.providers.items()):
            where = md_text(meta.get("base_url_host", "?"))
            note = " (not the provider's host)" if meta.get("official") is False else ""
            lines.append(f"  * {md_text(name)}: model {md_text(meta.get('model', '?'))} @ {where}{note}")
    lines.append("")
    summary = report.summary()
    buckets = report.buckets()
    header = ["provider", *(f"{_icon(b)} {BUCKET_TITLES[b]}" for b in buckets), "claims"]
    rows = [
        [md_text(report.column_label(i)), *(str(counts[b]) for b in buckets), str(sum(counts.values()))]
        for i, counts in enumerate(summary)
    ]
    lines += _table(header, rows)
    failing = [c for c in report.cells() if c.bucket is Bucket.FAILING]
    lines += ["", f"## Failing claims ({len(failing)})", ""]
    if failing:
        lines += _table(
            ["claim", "provider", "documented", "observed", "evidence", "message"],
            [
                [
                    md_code(c.claim),
                    md_text(report.column_label(c.column)),
                    md_text(c.status),
                    " ".join(c.label),
                    _evidence(c),
                    md_text(_first_message(c, (Verdict.FAIL, Verdict.ERROR))),
                ]
                for c in failing[:MAX_FAILING]
            ],
        )
        if len(failing) > MAX_FAILING:
            lines += ["", f"… and {len(failing) - MAX_FAILING} more; see index.html."]
    else:
        lines.append("None.")
    changed = [(c, drift) for c in report.cells() if (drift := c.drift()) is not None]
    if changed:
        lines += ["", f"## Changed over time ({len(changed)}): recordings of different days disagree", ""]
        lines += _table(
            ["claim", "provider", "observed", "evidence", "what changed"],
            [
                [
                    md_code(c.claim),
                    md_text(report.column_label(c.column)),
                    " ".join(c.label),
                    _evidence(c),
                    md_text(drift.text),
                ]
                for c, drift in changed[:MAX_FAILING]
            ],
        )
    gone = [c for c in report.cells() if c.verdict is Verdict.XPASS]
    if gone:
        lines += ["", f"## Known deviations that now pass ({len(gone)}): update the spec", ""]
        lines += [f"* {md_code(c.claim)} ({md_text(report.column_label(c.column))})" for c in gone[:MAX_FAILING]]
    return "\n".join(lines) + "\n"


def _icon(bucket: Bucket) -> str:
    return {
        Bucket.PASSING: "✔",
        Bucket.FAILING: "✘",
        Bucket.DEVIATION: "≠",
        Bucket.NOT_TESTABLE: "∅",
        Bucket.NO_EVIDENCE: "○",
        Bucket.UNDOCUMENTED: "≈",
    }[bucket]
