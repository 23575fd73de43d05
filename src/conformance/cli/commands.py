"""The ``conformance`` command: ``lint``, ``specs``, ``init``, ``audit``, ``report``, ``diff`` and ``check``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from conformance import __version__
from conformance.pytest.config import ConfigError, load_tool_config
from conformance.results.outputs import OutputError, check_file, check_folder, same_as_stdout, write_text
from conformance.spec.loader import LoadResult, load_specs
from conformance.spec.template import render_template


def _spec_paths(args: argparse.Namespace) -> list[Path]:
    configured = list(load_tool_config().specs)
    return configured + [Path(p) for p in args.specs]


def _load(args: argparse.Namespace) -> LoadResult:
    return load_specs(_spec_paths(args))


def _print_problems(result: LoadResult) -> None:
    for problem in sorted(result.problems, key=lambda p: (p.path, p.line, p.col)):
        print(problem, file=sys.stderr)


def cmd_lint(args: argparse.Namespace) -> int:
    extra = _spec_paths(args) + [Path(p) for p in args.paths]
    result = load_specs(extra)
    _print_problems(result)
    if result.problems:
        print(f"{len(result.problems)} problem(s) in {len(result.files)} spec file(s)", file=sys.stderr)
        return 1
    print(f"{len(result.files)} spec file(s), {len(result.claims())} claim(s): no problems")
    return 0


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows)


def cmd_specs(args: argparse.Namespace) -> int:
    result = _load(args)
    if result.problems:
        _print_problems(result)
        print("fix the problems above (conformance lint shows them all)", file=sys.stderr)
        return 1
    known = {s.provider.id for s in result.specs}
    unknown = [p for p in args.provider if p not in known]
    if unknown:
        print(f"unknown provider {', '.join(unknown)}; known: {', '.join(sorted(known))}", file=sys.stderr)
        return 2
    claims = [c for c in result.claims() if not args.provider or c.provider in args.provider]
    if args.json:
        json.dump([c.export() for c in claims], sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    rows = [["ID", "LOCATION", "FIELD", "STATUS", "PARAMS"]]
    for claim in claims:
        params = json.dumps(claim.params, ensure_ascii=False, separators=(",", ":")) if claim.params else ""
        rows.append([claim.id, claim.location.value, claim.field, claim.status.value, params[:60]])
    print(_table(rows))
    by_provider: dict[str, int] = {}
    for claim in claims:
        by_provider[claim.provider] = by_provider.get(claim.provider, 0) + 1
    print()
    print(", ".join(f"{p}: {n} claims" for p, n in by_provider.items()))
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    target = Path(args.output or f"{args.name}.yaml")
    check_file(target, "-o")
    if target.exists() and not args.force:
        print(f"{target} exists; pass --force to overwrite it or -o to write elsewhere", file=sys.stderr)
        return 1
    known = {s.provider.id for s in _load(args).specs}
    if args.extends not in known:
        print(f"--extends {args.extends}: no such spec; known: {', '.join(sorted(known))}", file=sys.stderr)
        return 2
    try:
        text = render_template(args.name, args.extends, target.name)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    write_text(target, text)
    print(f"wrote {target}; check it with: conformance lint {target}")
    print(f'add it to pyproject.toml so every command finds it:\n  [tool.conformance]\n  specs = ["{target}"]')
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from conformance.cli.audit import run_audit  # the recording readers load only when auditing

    if args.json:
        check_file(Path(args.json), "--json")
    result = _load(args)
    if result.problems:
        _print_problems(result)
        return 1
    specs = [s for s in result.specs if not args.provider or s.provider.id in args.provider]
    return run_audit([Path(p) for p in args.paths], specs, Path(args.json) if args.json else None, args.strict)


def cmd_report(args: argparse.Namespace) -> int:
    from conformance.report import ReportError, render_report
    from conformance.report.model import BUCKET_TITLES, claim_docs_from_specs

    check_folder(Path(args.output), "-o")
    specs = _load(args)
    if specs.problems:  # the quotes are a nicety; a broken spec must not stop the report
        print(
            f"warning: {len(specs.problems)} spec problem(s) (conformance lint shows them); doc quotes may be missing",
            file=sys.stderr,
        )
    left_out: list[ReportError] = []

    def leave_out(exc: ReportError) -> None:  # one bad file must not cost the report of the others
        left_out.append(exc)
        print(f"{exc}\n(left out of the report)", file=sys.stderr)

    try:
        rendered = render_report(
            [Path(p) for p in args.results], Path(args.output), claim_docs_from_specs(specs.specs), leave_out
        )
    except ReportError as exc:
        print(exc, file=sys.stderr)
        return 2
    report = rendered.report
    for index, counts in enumerate(report.summary()):
        print(f"{report.column_label(index)}: " + ", ".join(f"{n} {BUCKET_TITLES[b]}" for b, n in counts.items()))
    print(f"wrote {rendered.html} and {rendered.markdown}")
    if left_out:
        print(f"{len(left_out)} results file(s) left out: fix or remove them (see above)", file=sys.stderr)
        return 2
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    from conformance.report import ReportError
    from conformance.report.diff import diff_files, render_html, render_markdown, render_text

    for option, value in (("--markdown", args.markdown), ("--html", args.html)):
        if value:
            check_file(Path(value), option)
    try:
        diff = diff_files([Path(args.old)], [Path(args.new)])
    except ReportError as exc:
        print(exc, file=sys.stderr)
        return 2
    sys.stdout.write(render_text(diff))
    for option, render in ((args.markdown, render_markdown), (args.html, render_html)):
        if option:
            target = Path(option)
            write_text(target, render(diff))
            print(f"wrote {target}", file=sys.stderr if same_as_stdout(target) else sys.stdout)
    return 1 if diff.regressed else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="conformance",
        description="Check LLM APIs against their documented behaviour, claim by claim.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def with_specs(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument(
            "--specs",
            action="append",
            default=[],
            metavar="PATH",
            help="extra spec file or folder (repeatable); also [tool.conformance] specs",
        )
        return p

    lint = with_specs(sub.add_parser("lint", help="check spec files; prints file:line:col: message"))
    lint.add_argument("paths", nargs="*", help="spec files or folders besides the built-in specs")
    lint.set_defaults(func=cmd_lint)

    specs = with_specs(sub.add_parser("specs", help="list the resolved claims"))
    specs.add_argument("--provider", action="append", default=[], metavar="P", help="only this provider (repeatable)")
    specs.add_argument("--json", action="store_true", help="a JSON array, one object per claim (stable keys)")
    specs.set_defaults(func=cmd_specs)

    init = with_specs(sub.add_parser("init", help="write a starting spec for your own server"))
    init.add_argument("name", help="the new spec's provider id, e.g. my-gateway")
    init.add_argument("--extends", default="openai", help="spec to inherit from (default: openai)")
    init.add_argument("-o", "--output", help="file to write (default: NAME.yaml)")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    init.set_defaults(func=cmd_init)

    check = with_specs(
        sub.add_parser("audit", help="check recordings of real traffic (VCR YAML, httprr) against specs")
    )
    check.add_argument("paths", nargs="+", help="recording files or folders (searched recursively)")
    check.add_argument("--json", metavar="OUT", help="write the results file (evidence kind: imported)")
    check.add_argument("--provider", action="append", default=[], metavar="P", help="only this provider (repeatable)")
    check.add_argument("--strict", action="store_true", help="exit 1 when a claim fails")
    check.set_defaults(func=cmd_audit)

    report = with_specs(
        sub.add_parser("report", help="render index.html and summary.md from results files (several merge)")
    )
    report.add_argument(
        "results", nargs="+", metavar="RESULTS.json", help="results files (pytest --conformance-json, audit --json)"
    )
    report.add_argument(
        "-o", "--output", default="reports", metavar="DIR", help="folder to write into (default: reports)"
    )
    report.set_defaults(func=cmd_report)

    diff = sub.add_parser("diff", help="what changed between two results files; exit 1 when a claim newly fails")
    diff.add_argument("old", metavar="OLD.json")
    diff.add_argument("new", metavar="NEW.json")
    diff.add_argument("--markdown", metavar="PATH", help="also write the diff as Markdown")
    diff.add_argument("--html", metavar="PATH", help="also write the diff as a self-contained HTML page")
    diff.set_defaults(func=cmd_diff)

    from conformance.cli.check import add_parser as add_check

    add_check(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except (ConfigError, OutputError) as exc:
        print(exc, file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
