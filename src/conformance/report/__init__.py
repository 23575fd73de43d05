"""Reports rendered from results files: the HTML matrix, the Markdown summary, and the diff of two runs."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from conformance.report.model import ClaimDoc, Report, ReportError, load_report

__all__ = ["ClaimDoc", "Rendered", "Report", "ReportError", "load_report", "render_report"]


@dataclass(frozen=True, slots=True)
class Rendered:
    """What ``render_report`` wrote."""

    html: Path
    markdown: Path
    report: Report


def render_report(
    results_paths: Sequence[Path | str],
    out_dir: Path | str,
    claim_docs: Mapping[str, ClaimDoc] | None = None,
    on_bad_file: Callable[[ReportError], None] | None = None,
) -> Rendered:
    """Merge ``results_paths`` and write ``out_dir/index.html`` and ``out_dir/summary.md``.

    ``claim_docs`` (claim id → doc quote and deviations, e.g. from ``model.claim_docs_from_specs``) adds
    what the results file does not carry; without it the cells link to the doc instead of quoting it. With
    ``on_bad_file``, a results file that cannot be read is handed to it and left out (see ``load_report``).
    """
    from conformance.report.html import render_html
    from conformance.report.markdown import render_markdown

    report = load_report([Path(p) for p in results_paths], claim_docs, on_bad_file)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    html, markdown = out / "index.html", out / "summary.md"
    html.write_text(render_html(report), encoding="utf-8")
    markdown.write_text(render_markdown(report), encoding="utf-8")
    return Rendered(html=html, markdown=markdown, report=report)
