"""The plugin against the fake servers: no failure on a faithful fake, a failure on every single broken claim.

This is what proves the checks can fail. Everything runs against 127.0.0.1 with a throwaway key; nothing here
is a provider's evidence, and nothing is written outside ``tmp_path``.
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.checks.registry import ConformanceFailure
from conformance.run.runner import Case, Session, cases_for
from conformance.spec.model import Claim, Spec
from tests.fakes import BREAKABLE, FLAVORS, FakeServer, claim_of, expected_outcome
from tests.fakes.sessions import SPECS, live_session

ROOT = Path(__file__).resolve().parents[1]
THROWAWAY_KEY = "x"


def key_env(flavor: str) -> dict[str, str]:
    """The environment of a run with only this provider's first key variable set, to a throwaway value."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env[SPECS[flavor].provider.api_key_env[0]] = THROWAWAY_KEY
    return env


def run_plugin(flavor: str, url: str, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """The issue's command line, in the project root: ``pytest -m conformance --live --provider P --base-url ...``."""
    command = [
        sys.executable, "-m", "pytest", "-m", "conformance", "--live", "--provider", flavor,
        "--base-url", f"{flavor}={url}", "--conformance-json", str(out), "-p", "no:cacheprovider", "-q", "-rf", *extra,
    ]  # fmt: skip
    return subprocess.run(command, cwd=ROOT, env=key_env(flavor), capture_output=True, text=True, timeout=300)


def outcomes(out: Path) -> dict[str, list[str]]:
    by_outcome: dict[str, list[str]] = {}
    for record in json.loads(out.read_text())["results"]:
        by_outcome.setdefault(record["outcome"], []).append(record["claim"])
    return by_outcome


@pytest.mark.parametrize("flavor", sorted(FLAVORS))
def test_faithful_fake_gives_no_failure(flavor: str, tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    with FakeServer(flavor) as server:
        proc = run_plugin(flavor, server.base_url, out)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    found = outcomes(out)
    claims = {c.id: c for c in SPECS[flavor].claims}
    for record in json.loads(out.read_text())["results"]:  # a claim its docs leave out is never a failure:
        if record["outcome"] == "fail" and record["status"] == "undocumented":  # "differs from <reference>"
            reference = claims[record["claim"]].reference_spec
            assert reference, record
            assert record["message"].startswith(f"differs from {reference}: "), record
            found["fail"].remove(record["claim"])
    assert not found.get("fail"), found
    assert not found.get("error"), found
    assert len(found["pass"]) >= 5
    records = json.loads(out.read_text())["results"]
    probed = [r["evidence"] for r in records if r["outcome"] == "pass" and r["evidence"]["kind"] != "imported"]
    assert probed
    assert all(e["kind"] == "live" and e["official"] is False and e["host"].startswith("127.0.0.1:") for e in probed)


@pytest.mark.parametrize("flavor", sorted(FLAVORS))
def test_one_broken_claim_fails_through_the_command_line(flavor: str, tmp_path: Path) -> None:
    """End to end: the CLI run exits 1 and the results file names the broken claim as failed."""
    default_run = {c.id for c in SPECS[flavor].claims if "expensive" not in c.markers}
    broken = sorted(BREAKABLE[flavor] & default_run)[0]
    out = tmp_path / "out.json"
    with FakeServer(flavor, {broken}) as server:
        proc = run_plugin(flavor, server.base_url, out)
    assert proc.returncode == 1, proc.stdout[-4000:]
    assert broken in outcomes(out).get("fail", []), proc.stdout[-4000:]
    assert broken in proc.stdout


def model_for(flavor: str, claim: Claim) -> dict[str, str]:
    """A model the fake serves that the claim is about (``models: [gemini-3-*]``), or the default."""
    if not claim.models:
        return {}
    served = FLAVORS[flavor].config().models
    return {flavor: next(m for m in served if any(fnmatch.fnmatchcase(m, p) for p in claim.models))}


def session_for(flavor: str, url: str, claim: Claim) -> Session:
    return live_session(flavor, url, timeout=30.0, models=model_for(flavor, claim), expensive=True)


def run_case(session: Session, case: Case) -> str:
    """'pass', 'fail: <message>', or 'skip: <reason>' for one case."""
    try:
        if case.is_async:
            asyncio.run(session.run_async(case.id, case))
        else:
            session.run_sync(case.id, case)
    except ConformanceFailure as exc:
        return f"fail: {exc}"
    except pytest.skip.Exception as exc:
        return f"skip: {exc}"
    return "pass"


def claim_cases(spec: Spec, claim_id: str) -> list[Case]:
    return [case for case in cases_for(spec) if case.claim.id == claim_id]


NOT_PROBED = {
    "openai.request_header.openai-organization": "OpenAI-Organization needs the key owner's own id, which no probe knows",
    "openai.request_header.openai-project": "OpenAI-Project needs the key owner's own id, which no probe knows",
}
"""Claims the fakes can break but no probe tests: each must stay reported as "not testable", with this reason."""

BREAKS = [(flavor, break_id) for flavor in sorted(FLAVORS) for break_id in sorted(BREAKABLE[flavor])]
COULD_NOT_TELL = "skip: could not tell: "


@pytest.fixture(scope="module")
def faithful() -> Iterator[dict[str, Any]]:
    servers = {flavor: FakeServer(flavor) for flavor in FLAVORS}
    for server in servers.values():
        server.__enter__()
    yield servers
    for server in servers.values():
        server.__exit__(None, None, None)


@pytest.mark.parametrize(("flavor", "break_id"), BREAKS, ids=[break_id for _, break_id in BREAKS])
def test_each_break_fails_its_claim_and_the_faithful_fake_passes_it(
    flavor: str, break_id: str, faithful: dict[str, FakeServer]
) -> None:
    """A break (one claim, or one of several variants of it: ``<claim>#<variant>``) fails that claim, or makes it
    "could not tell" where the break takes away the evidence the check needs; never a pass on every case."""
    spec = SPECS[flavor]
    claim_id = claim_of(break_id)
    cases = claim_cases(spec, claim_id)
    assert cases
    claim = cases[0].claim
    if claim_id in NOT_PROBED:
        assert [c.untestable for c in cases] == [NOT_PROBED[claim_id]]
        return
    assert all(c.untestable is None for c in cases), f"{claim_id} is breakable but not tested: {cases}"
    clean = {case.id: run_case(session_for(flavor, faithful[flavor].base_url, claim), case) for case in cases}
    assert all(v == "pass" for v in clean.values()), clean
    with FakeServer(flavor, {break_id}) as server:
        broken = {case.id: run_case(session_for(flavor, server.base_url, claim), case) for case in cases}
    expected = "fail: " if expected_outcome(flavor, break_id) == "fail" else COULD_NOT_TELL
    assert any(v.startswith(expected) for v in broken.values()), broken
    assert all(v.startswith(("fail: ", "pass", COULD_NOT_TELL)) for v in broken.values()), broken


def test_an_unreachable_server_is_an_error_not_a_failure(tmp_path: Path) -> None:
    """A network error is recorded as ``error`` (the provider said nothing), never as a failed claim."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again below: nothing listens there
    out = tmp_path / "out.json"
    proc = run_plugin("anthropic-openai", f"http://127.0.0.1:{port}/v1/", out, "-k", "response.id and not imported")
    assert proc.returncode == 1, proc.stdout[-3000:]
    records = [r for r in json.loads(out.read_text())["results"] if r["claim"] == "anthropic-openai.response.id"]
    assert [r["outcome"] for r in records] == ["error"]
    assert "could not reach" in records[0]["message"]
    assert records[0]["evidence"]["kind"] == "none"


EXPENSIVE_JOBS = "batches or files or skills or images or input_file_id or completion_window or request-size"


@pytest.mark.parametrize("flavor", ["anthropic", "gemini-openai", "openai"])
def test_expensive_job_cases_run_only_with_the_opt_in_and_pass_on_the_faithful_fake(
    flavor: str, tmp_path: Path
) -> None:
    """Through the command line: skipped with the opt-in hint by default, passing with --conformance-expensive."""
    expensive = {c.id for c in SPECS[flavor].claims if "expensive" in c.markers}
    default_out, opted_out = tmp_path / "default.json", tmp_path / "opted.json"
    with FakeServer(flavor) as server:
        default = run_plugin(flavor, server.base_url, default_out, "-k", EXPENSIVE_JOBS)
        opted = run_plugin(flavor, server.base_url, opted_out, "-k", EXPENSIVE_JOBS, "--conformance-expensive")
    assert default.returncode == 0, default.stdout[-3000:]
    assert opted.returncode == 0, opted.stdout[-3000:]
    skipped = [r for r in json.loads(default_out.read_text())["results"] if r["claim"] in expensive]
    assert skipped
    assert all(r["outcome"] == "skip" for r in skipped if r["testable"]), skipped
    assert all("--conformance-expensive" in r["message"] for r in skipped if r["testable"])
    passed = set(outcomes(opted_out).get("pass", []))
    assert {r["claim"] for r in skipped if r["testable"]} <= passed
