"""Record -> replay round trips against a fake server in a temporary directory; redaction; no network in replay.

The fake server is a test fixture on 127.0.0.1: its cassettes live in ``tmp_path`` only, never in ``cassettes/``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.fakes import FakeServer

ROOT = Path(__file__).resolve().parents[1]
CANARY = "sk-canary-7f3a9c1e5b2d4680"
SELECTED = "response.id or endpoint or stream.done or error or request.n or usage.total_tokens or api-key"
FLAVORS = {"anthropic-openai": "ANTHROPIC_API_KEY", "anthropic": "ANTHROPIC_API_KEY", "gemini": "GEMINI_API_KEY"}


def run(args: list[str], key: str | None, env_var: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    if key is not None:
        env[env_var] = key
    command = [sys.executable, "-m", "pytest", "-m", "conformance", "-p", "no:cacheprovider", "-q", "-rfs"]
    command += ["--imported", str(tmp / "no-imports"), *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def results(path: Path) -> dict[str, dict[str, object]]:
    return {r["claim"] + "|" + r["variant"]: r for r in json.loads(path.read_text())["results"]}


@pytest.fixture
def recorded(tmp_path: Path, request: pytest.FixtureRequest) -> tuple[str, Path, subprocess.CompletedProcess[str]]:
    flavor = request.param
    (tmp_path / "no-imports").mkdir()
    with FakeServer(flavor) as server:
        args = ["--live", "--record-mode", "once", "--provider", flavor, "--base-url", f"{flavor}={server.base_url}"]
        args += ["--cassette-dir", str(tmp_path / "cassettes"), "--conformance-json", str(tmp_path / "live.json")]
        live = run([*args, "-k", SELECTED], CANARY, FLAVORS[flavor], tmp_path)
    assert live.returncode == 0, live.stdout[-3000:]
    return flavor, tmp_path, live


def replay(flavor: str, tmp: Path, out: str = "replay.json") -> subprocess.CompletedProcess[str]:
    args = ["--provider", flavor, "--cassette-dir", str(tmp / "cassettes"), "--conformance-json", str(tmp / out)]
    return run([*args, "-k", SELECTED, "-p", "tests.blocknet"], None, FLAVORS[flavor], tmp)


@pytest.mark.parametrize("recorded", sorted(FLAVORS), indirect=True)
def test_record_then_replay_gives_the_same_outcomes_without_network(
    recorded: tuple[str, Path, subprocess.CompletedProcess[str]],
) -> None:
    flavor, tmp, _ = recorded
    cassettes = sorted((tmp / "cassettes" / flavor).glob("*.yaml"))
    assert cassettes
    again = replay(flavor, tmp)
    assert again.returncode == 0, again.stdout[-3000:]
    assert "blocknet" not in again.stdout
    live, replayed = results(tmp / "live.json"), results(tmp / "replay.json")
    ran = {k: r["outcome"] for k, r in live.items() if r["outcome"] != "skip"}
    assert ran
    assert {k: replayed[k]["outcome"] for k in ran} == ran
    variants = {r["variant"] for r in replayed.values() if r["outcome"] == "pass"}
    assert {"sync", "async", "stream"} <= variants or flavor == "anthropic-openai"
    for key in ran:
        evidence = replayed[key]["evidence"]
        assert evidence["kind"] == "replay"
        assert evidence["official"] is False
        assert str(evidence["host"]).startswith("127.0.0.1:")
    statuses = [c["status"] for k in ran for c in replayed[k]["observed"]["calls"]]  # type: ignore[index]
    assert any(isinstance(s, int) and s >= 400 for s in statuses), "an error response was recorded and replayed"


@pytest.mark.parametrize("recorded", ["anthropic-openai"], indirect=True)
def test_no_written_file_or_output_holds_the_key(recorded: tuple[str, Path, subprocess.CompletedProcess[str]]) -> None:
    flavor, tmp, live = recorded
    again = replay(flavor, tmp)
    written = [p for p in tmp.rglob("*") if p.is_file()]
    assert any(p.suffix == ".yaml" for p in written)
    hits = [p for p in written if CANARY in p.read_text(errors="replace")]
    assert hits == []
    assert CANARY not in live.stdout + live.stderr + again.stdout + again.stderr
    assert "REDACTED" in next((tmp / "cassettes" / flavor).glob("*.yaml")).read_text()


@pytest.mark.parametrize("recorded", ["anthropic-openai"], indirect=True)
def test_a_changed_probe_says_the_cassette_is_out_of_date(
    recorded: tuple[str, Path, subprocess.CompletedProcess[str]],
) -> None:
    flavor, tmp, _ = recorded
    cassette = tmp / "cassettes" / flavor / f"{flavor}.response.id.yaml"
    document = yaml.safe_load(cassette.read_text())
    request = document["interactions"][0]["request"]
    request["body"] = request["body"].replace("Reply with the single word OK.", "Something else.")
    cassette.write_text(yaml.safe_dump(document))
    again = replay(flavor, tmp)
    assert again.returncode == 1
    assert "cassette out of date" in again.stdout
    assert "re-record with `pytest --live --record-mode all --provider anthropic-openai" in again.stdout
    outcomes = {k: r["outcome"] for k, r in results(tmp / "replay.json").items()}
    assert outcomes[f"{flavor}.response.id|sync"] == "fail"
    assert "pass" in outcomes.values()


@pytest.mark.parametrize("recorded", ["anthropic-openai"], indirect=True)
def test_a_broken_cassette_names_its_file_and_the_others_still_run(
    recorded: tuple[str, Path, subprocess.CompletedProcess[str]],
) -> None:
    flavor, tmp, _ = recorded
    cassette = tmp / "cassettes" / flavor / f"{flavor}.response.id.yaml"
    cassette.write_text("interactions:\n- request: [unclosed\n")
    again = replay(flavor, tmp)
    assert again.returncode == 1
    assert "unusable cassette" in again.stdout
    assert cassette.name in again.stdout
    outcomes = {k: r["outcome"] for k, r in results(tmp / "replay.json").items()}
    assert outcomes[f"{flavor}.response.id|sync"] == "fail"
    assert "pass" in outcomes.values()


def test_without_a_cassette_a_case_skips_with_the_record_command(tmp_path: Path) -> None:
    (tmp_path / "no-imports").mkdir()
    out = tmp_path / "out.json"
    proc = run(
        ["--provider", "gemini", "--cassette-dir", str(tmp_path), "--conformance-json", str(out), "-k", "response"],
        None,
        "GEMINI_API_KEY",
        tmp_path,
    )
    assert proc.returncode == 0, proc.stdout[-2000:]
    messages = {r["message"] for r in json.loads(out.read_text())["results"] if r["testable"]}
    assert messages == {
        "no recording: run `pytest --live --record-mode once --provider gemini` with GOOGLE_API_KEY or GEMINI_API_KEY set"
    }
