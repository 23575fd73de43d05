"""``conformance check``: probe one server against one spec, with no test module of your own.

The generated cases run in-process through pytest, exactly as ``pytest --conformance-live`` runs them (same case
ids, results file and exit codes), from a throw-away folder, so the user's own pytest configuration and working
directory are left alone. Then the results are rendered (``index.html``, ``summary.md``) and summed up per provider.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from conformance.errors import UserInputError

CASES_MODULE = "from conformance.cases import test_claim, test_claim_async  # noqa: F401\n"
INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\nasyncio_mode = strict\n"
EXIT_USAGE = 4


class CheckError(UserInputError):
    """An argument of ``conformance check`` that cannot work; the message says what to write instead."""


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    check = sub.add_parser(
        "check",
        help="probe a server (your gateway, a provider) against a spec and write results and report",
        description=(
            "Run the generated conformance cases of one spec against one server, live, in-process through pytest "
            "(as `pytest --conformance-live` does), then write results.json, index.html and summary.md."
        ),
    )
    check.add_argument("--spec", required=True, help="a built-in spec id (e.g. openai) or a spec file")
    check.add_argument("--base-url", required=True, metavar="URL", help="the server, e.g. http://127.0.0.1:8000/v1/")
    check.add_argument("--model", metavar="M", help="model to probe (default: the spec's default model)")
    check.add_argument(
        "--key-env", metavar="VAR", help="env var holding the server's key (default: the spec's api_key_env)"
    )
    check.add_argument("-o", "--output", default="reports", metavar="DIR", help="folder for the results and report")
    check.add_argument("-k", dest="keyword", metavar="EXPR", help="only cases matching this pytest -k expression")
    check.add_argument(
        "--record-mode", choices=("none", "once", "new_episodes", "all"), default="none", help="write cassettes"
    )
    check.add_argument("--cassette-dir", default="cassettes", metavar="DIR", help="where cassettes are written")
    check.add_argument("--expensive", action="store_true", help="also run cases that cost real money")
    check.add_argument("--timeout", type=float, metavar="SECONDS", help="per-request timeout (default 60)")
    check.add_argument("--concurrency", type=int, metavar="N", help="requests in flight (default 4)")
    check.add_argument("-q", "--quiet", action="store_true", help="less pytest output")
    check.set_defaults(func=cmd_check)


def _spec_id(spec: str) -> tuple[str, Path | None]:
    """The provider id to probe, and the spec file when ``spec`` is one."""
    from conformance.spec.loader import builtin_provider_ids, load_specs

    path = Path(spec)
    if path.suffix in (".yaml", ".yml") or path.exists():
        if not path.is_file():
            raise CheckError(
                f"--spec {spec}: no such spec file (or use a built-in id: {', '.join(builtin_provider_ids())})"
            )
        loaded = load_specs([path])
        if loaded.problems:
            listing = "\n".join(str(p) for p in loaded.problems[:20])
            raise CheckError(
                f"--spec {spec}: the spec has problems (conformance lint {spec} lists them all):\n{listing}"
            )
        own = [s for s in loaded.specs if Path(s.path).resolve() == path.resolve()]
        if not own:
            raise CheckError(f"--spec {spec}: the file defines no spec")
        return own[0].provider.id, path.resolve()
    if spec not in builtin_provider_ids():
        raise CheckError(f"--spec {spec!r}: no such built-in spec; built-in: {', '.join(builtin_provider_ids())}")
    return spec, None


def _output_dir(value: str) -> Path:
    from conformance.results.outputs import OutputError, check_folder

    out = Path(value)
    try:
        check_folder(out, "-o")
    except OutputError as exc:
        raise CheckError(str(exc)) from None
    return out.resolve()


def pytest_args(args: argparse.Namespace, provider: str, spec_file: Path | None, folder: Path, out: Path) -> list[str]:
    """The pytest command line of the check (public so a test can compare it with `pytest --conformance-live`)."""
    command = [
        str(folder / "test_conformance_check.py"),
        "-c", str(folder / "pytest.ini"), "--rootdir", str(folder), "-p", "no:cacheprovider",
        "-m", "conformance", "--conformance-live", f"--conformance-provider={provider}",
        f"--conformance-base-url={provider}={args.base_url}", f"--conformance-json={out / 'results.json'}",
        f"--conformance-record-mode={args.record_mode}",
        f"--conformance-cassette-dir={Path(args.cassette_dir).resolve()}",
        f"--conformance-imported={folder / 'no-imported-recordings'}",
        "-rfE", "--assert=plain",  # the plugin is imported already; the cases assert nothing pytest rewrites
    ]  # fmt: skip
    if spec_file is not None:
        command.append(f"--conformance-specs={spec_file}")
    if args.model:
        command.append(f"--conformance-model={provider}={args.model}")
    if args.key_env:
        command.append(f"--conformance-key-env={provider}={args.key_env}")
    if args.keyword:
        command += ["-k", args.keyword]
    if args.expensive:
        command.append("--conformance-expensive")
    if args.timeout is not None:
        command.append(f"--conformance-timeout={args.timeout}")
    if args.concurrency is not None:
        command.append(f"--conformance-concurrency={args.concurrency}")
    if args.quiet:
        command.append("-q")
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        command += ["-p", "conformance.pytest.plugin"]
    return command


def cmd_check(args: argparse.Namespace) -> int:
    import pytest

    from conformance.report import ReportError, render_report
    from conformance.report.model import BUCKET_TITLES, claim_docs_from_specs
    from conformance.spec.loader import load_specs

    try:
        provider, spec_file = _spec_id(args.spec)
        out = _output_dir(args.output)
        if args.key_env and not os.environ.get(args.key_env):
            raise CheckError(f"--key-env {args.key_env}: that variable is not set (export it with the server's key)")
    except CheckError as exc:
        print(f"conformance check: {exc}", file=sys.stderr)
        return EXIT_USAGE
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="conformance-check-") as tmp:
        folder = Path(tmp)
        (folder / "test_conformance_check.py").write_text(CASES_MODULE, encoding="utf-8")
        (folder / "pytest.ini").write_text(INI, encoding="utf-8")
        code = int(pytest.main(pytest_args(args, provider, spec_file, folder, out)))
    results = out / "results.json"
    if not results.is_file():
        return code
    specs = load_specs([spec_file] if spec_file else [])
    try:
        rendered = render_report([results], out, claim_docs_from_specs(specs.specs))
    except ReportError as exc:
        print(exc, file=sys.stderr)
        return code or 2
    report = rendered.report
    print()
    for index, counts in enumerate(report.summary()):
        print(f"{report.column_label(index)}: " + ", ".join(f"{n} {BUCKET_TITLES[b]}" for b, n in counts.items()))
    print(f"wrote {results}, {rendered.html} and {rendered.markdown}")
    return code
