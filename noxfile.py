"""Sessions: tests, lint, typecheck, specs, conformance (the README's main job, offline), report, record (live),
wheel (the installed wheel outside the checkout), bench."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import nox
from nox.command import CommandFailed

nox.options.sessions = ["specs", "lint", "typecheck", "tests"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = False


def _install(session: nox.Session, *extras: str) -> None:
    suffix = f"[{','.join(extras)}]" if extras else ""
    session.install("-e", f".{suffix}")


@nox.session
def tests(session: nox.Session) -> None:
    """The harness's own test suite plus the conformance cases (which skip offline)."""
    _install(session, "test")
    session.run("pytest", "-n", "auto", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install("ruff>=0.8")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on src/conformance/."""
    _install(session, "dev")
    session.run("mypy", "--strict", "src/conformance")


@nox.session
def specs(session: nox.Session) -> None:
    """The spec linter over every built-in spec (and [tool.conformance] specs)."""
    _install(session)
    session.run("conformance", "lint")


RESULTS = "reports/results.json"
CASES = "tests/test_conformance.py"
"""The module that collects the generated cases: the main job needs neither the harness's tests nor their extras."""


@nox.session
def conformance(session: nox.Session) -> None:
    """The main job, offline: lint the specs, list the claims, run the conformance cases, render the report."""
    _install(session)
    session.run("conformance", "lint")
    session.run("conformance", "specs")
    failed: CommandFailed | None = None
    try:
        session.run("pytest", CASES, "-m", "conformance", "--conformance-json", RESULTS, *session.posargs)
    except CommandFailed as exc:  # exit 1: some claim failed; render the report first, then fail the session
        if exc.return_code != 1:
            raise
        failed = exc
    session.run("conformance", "report", RESULTS, "-o", "reports")
    if failed is not None:
        session.error("conformance cases failed (pytest exit 1): reports/summary.md and reports/index.html show which")


@nox.session
def report(session: nox.Session) -> None:
    """reports/index.html and reports/summary.md from the latest results (or from the files after --)."""
    _install(session)
    results = session.posargs or [RESULTS]
    if not session.posargs and not Path(RESULTS).is_file():
        session.error(
            f"no {RESULTS} yet: run `nox -s conformance` first, or pass results files: nox -s report -- FILE..."
        )
    session.run("conformance", "report", *results, "-o", "reports")


KEY_VARS = {
    "anthropic-openai / anthropic": ("ANTHROPIC_API_KEY",),
    "gemini-openai / gemini": ("GOOGLE_API_KEY", "GEMINI_API_KEY"),
    "openai": ("OPENAI_API_KEY",),
}


@nox.session
def record(session: nox.Session) -> None:
    """For maintainers with keys: run live and write cassettes/<provider>/<case>.yaml (record mode once)."""
    _install(session)
    for providers, names in KEY_VARS.items():
        if not any(os.environ.get(n) for n in names):
            session.log(f"skipping {providers}: set {' or '.join(names)} to record it")
    session.run(
        "pytest", CASES, "-m", "conformance", "--live", "--record-mode", "once",
        "--conformance-json", "reports/record.json", *session.posargs,
    )  # fmt: skip


@nox.session
def wheel(session: nox.Session) -> None:
    """The built wheel, installed into a fresh virtualenv outside the checkout next to pytest-recording, used as a
    new user would: an unrelated project's run, README's own-project commands, `conformance check`
    (tests/test_wheel.py and tests/test_own_project.py, run with that virtualenv's commands)."""
    _install(session, "test")
    tmp = Path(tempfile.mkdtemp(prefix="conformance-wheel-"))  # outside the checkout: no pyproject.toml above it
    dist, venv = tmp / "dist", tmp / "wheel-venv"
    session.run("python", "-m", "pip", "wheel", ".", "--no-deps", "-q", "-w", str(dist))
    (built,) = dist.glob("conformance-*.whl")
    session.run("python", "-m", "venv", "--clear", str(venv))
    session.run(
        str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(built), "pytest-recording", external=True
    )
    session.run(
        "pytest",
        "tests/test_wheel.py",
        "tests/test_own_project.py",
        "-p",
        "no:cacheprovider",
        "-v",
        *session.posargs,
        env={"CONFORMANCE_WHEEL_VENV": str(venv)},
    )


@nox.session
def bench(session: nox.Session) -> None:
    """The harness's own costs side by side (bench/run.py): prints four figures, writes reports/bench.json."""
    _install(session, "test")
    session.run("python", "bench/run.py", *session.posargs)
