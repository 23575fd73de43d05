"""Record -> replay round trips against a fake server in a temporary directory; redaction; no network in replay.

The fake server is a test fixture on 127.0.0.1: its cassettes live in ``tmp_path`` only, never in ``cassettes/``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openai
import pytest
import yaml

from tests.fakes import FakeServer

ROOT = Path(__file__).resolve().parents[1]
CANARY = "sk-canary-7f3a9c1e5b2d4680"
SELECTED = (
    "response.id or endpoint or stream.done or request.stream or error or request.n or usage.total_tokens or api-key"
)
FLAVORS = {
    "anthropic-openai": "ANTHROPIC_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "gemini": "GEMINI_API_KEY",
    "gemini-openai": "GEMINI_API_KEY",
    "openai": "OPENAI_API_KEY",
}
ROUND_TRIP = ("anthropic", "anthropic-openai", "gemini")


def run(args: list[str], key: str | None, env_var: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    if key is not None:
        env[env_var] = key
    command = [sys.executable, "-m", "pytest", "-m", "conformance", "-p", "no:cacheprovider", "-q", "-rfs"]
    command += [f"--imported={tmp / 'no-imports'}", *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def results(path: Path) -> dict[str, dict[str, object]]:
    return {r["claim"] + "|" + r["variant"]: r for r in json.loads(path.read_text())["results"]}


@pytest.fixture
def recorded(tmp_path: Path, request: pytest.FixtureRequest) -> tuple[str, Path, subprocess.CompletedProcess[str]]:
    flavor = request.param
    (tmp_path / "no-imports").mkdir()
    with FakeServer(flavor) as server:
        args = ["--live", "--record-mode", "once", "--provider", flavor, "--base-url", f"{flavor}={server.base_url}"]
        args += [f"--cassette-dir={tmp_path / 'cassettes'}", f"--conformance-json={tmp_path / 'live.json'}"]
        args += [f"--junitxml={tmp_path / 'live.xml'}", f"--log-file={tmp_path / 'live.log'}", "--log-file-level=DEBUG"]
        live = run([*args, "-k", SELECTED], CANARY, FLAVORS[flavor], tmp_path)
    assert live.returncode == 0, live.stdout[-3000:]
    return flavor, tmp_path, live


def replay(
    flavor: str, tmp: Path, out: str = "replay.json", extra: list[str] | None = None
) -> subprocess.CompletedProcess[str]:
    args = ["--provider", flavor, f"--cassette-dir={tmp / 'cassettes'}", f"--conformance-json={tmp / out}"]
    return run([*args, "-k", SELECTED, "-p", "tests.blocknet", *(extra or [])], None, FLAVORS[flavor], tmp)


@pytest.mark.parametrize("recorded", ROUND_TRIP, indirect=True)
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


@pytest.mark.parametrize("recorded", sorted(FLAVORS), indirect=True)
def test_no_written_file_or_output_holds_the_key(recorded: tuple[str, Path, subprocess.CompletedProcess[str]]) -> None:
    """The canary: record with a fake key through every provider, then search everything written for it."""
    flavor, tmp, live = recorded
    logs = [f"--junitxml={tmp / 'junit.xml'}", f"--log-file={tmp / 'run.log'}", "--log-file-level=DEBUG"]
    again = replay(flavor, tmp, extra=logs)
    assert again.returncode == 0, again.stdout[-3000:]
    report = [sys.executable, "-m", "conformance", "report", str(tmp / "live.json"), str(tmp / "replay.json")]
    rendered = subprocess.run([*report, "-o", str(tmp / "reports")], capture_output=True, text=True, timeout=120)
    assert rendered.returncode == 0, rendered.stderr
    written = [p for p in tmp.rglob("*") if p.is_file()]
    assert {"live.json", "live.xml", "live.log", "replay.json", "junit.xml", "run.log", "index.html", "summary.md"} <= {
        p.name for p in written
    }
    assert any(p.suffix == ".yaml" for p in written)
    hits = [p for p in written if CANARY in p.read_text(errors="replace")]
    assert hits == []
    assert CANARY not in live.stdout + live.stderr + again.stdout + again.stderr + rendered.stdout + rendered.stderr
    assert "REDACTED" in "".join(p.read_text() for p in (tmp / "cassettes" / flavor).glob("*.yaml"))


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
    assert (
        "re-record with `pytest --live --record-mode all --provider anthropic-openai -k 'anthropic-openai.response.id'`"
        in again.stdout
    )
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


def _rewrite(cassette: Path, change: Callable[[dict[str, Any]], None]) -> None:
    document = yaml.safe_load(cassette.read_text())
    change(document)
    cassette.write_text(yaml.safe_dump(document))


def _garbage_body(cassette: Path) -> None:
    def change(document: dict[str, Any]) -> None:
        document["interactions"][0]["response"]["body"]["string"] = "<html>502 Bad Gateway</html>"

    _rewrite(cassette, change)


def _no_interactions(cassette: Path) -> None:
    _rewrite(cassette, lambda document: document.update(interactions=[]))


def _not_yaml(cassette: Path) -> None:
    cassette.write_text("interactions:\n- request: [unclosed\n")


@pytest.mark.parametrize(
    ("spoil", "says"),
    [
        (_garbage_body, "'<html>502 Bad Gateway</html>'"),
        (_no_interactions, "no interactions"),
        (_not_yaml, ".yaml:"),
    ],
    ids=["body-the-sdk-cannot-parse", "no-interactions", "not-yaml"],
)
@pytest.mark.parametrize("recorded", ["anthropic-openai"], indirect=True)
def test_an_unusable_cassette_is_an_error_that_names_it_and_the_others_still_run(
    recorded: tuple[str, Path, subprocess.CompletedProcess[str]], spoil: Callable[[Path], None], says: str
) -> None:
    flavor, tmp, _ = recorded
    cassette = tmp / "cassettes" / flavor / f"{flavor}.response.id.yaml"
    spoil(cassette)
    again = replay(flavor, tmp)
    assert again.returncode == 1
    assert "unusable cassette" in again.stdout
    assert cassette.name in again.stdout
    record = results(tmp / "replay.json")[f"{flavor}.response.id|sync"]
    assert record["outcome"] == "error"
    message = str(record["message"])
    assert message.startswith(f"unusable cassette: {cassette}")
    assert says in message
    assert "re-record with `pytest --live --record-mode all --provider anthropic-openai" in message
    assert "pass" in {r["outcome"] for r in results(tmp / "replay.json").values()}


@pytest.mark.parametrize("recorded", ["anthropic-openai"], indirect=True)
def test_record_mode_once_replays_an_existing_cassette_without_the_server(
    recorded: tuple[str, Path, subprocess.CompletedProcess[str]],
) -> None:
    flavor, tmp, _ = recorded
    before = {p: p.read_text() for p in (tmp / "cassettes").rglob("*.yaml")}
    args = ["--live", "--record-mode", "once", "--provider", flavor, "--base-url", f"{flavor}=http://127.0.0.1:9/v1/"]
    args += [f"--cassette-dir={tmp / 'cassettes'}", f"--conformance-json={tmp / 'again.json'}", "-k", SELECTED]
    again = run([*args, "-p", "tests.blocknet"], CANARY, FLAVORS[flavor], tmp)
    assert again.returncode == 0, again.stdout[-3000:]
    assert {p: p.read_text() for p in (tmp / "cassettes").rglob("*.yaml")} == before
    kinds = {r["evidence"]["kind"] for r in results(tmp / "again.json").values() if r["outcome"] == "pass"}  # type: ignore[index]
    assert kinds == {"replay"}


@pytest.mark.parametrize("recorded", ["anthropic-openai"], indirect=True)
def test_record_mode_new_episodes_appends_what_the_cassette_cannot_answer(
    recorded: tuple[str, Path, subprocess.CompletedProcess[str]],
) -> None:
    flavor, tmp, _ = recorded
    cassette = tmp / "cassettes" / flavor / f"{flavor}.response.id.yaml"

    def stale(document: dict[str, Any]) -> None:
        request = document["interactions"][0]["request"]
        request["body"] = request["body"].replace("Reply with the single word OK.", "An older prompt.")

    _rewrite(cassette, stale)
    with FakeServer(flavor) as server:
        args = ["--live", "--record-mode", "new_episodes", "--provider", flavor]
        args += ["--base-url", f"{flavor}={server.base_url}", f"--cassette-dir={tmp / 'cassettes'}"]
        args += [f"--conformance-json={tmp / 'episodes.json'}", "-k", "response.id"]
        episodes = run(args, CANARY, FLAVORS[flavor], tmp)
    assert episodes.returncode == 0, episodes.stdout[-3000:]
    record = results(tmp / "episodes.json")[f"{flavor}.response.id|sync"]
    assert record["outcome"] == "pass"
    assert record["evidence"]["kind"] == "live"  # type: ignore[index]
    bodies = [i["request"]["body"] for i in yaml.safe_load(cassette.read_text())["interactions"]]
    assert len(bodies) == 2
    assert "An older prompt." in bodies[0]
    assert "Reply with the single word OK." in bodies[1]
    assert CANARY not in cassette.read_text()
    assert replay(flavor, tmp).returncode == 0


@pytest.mark.parametrize("recorded", ["anthropic-openai"], indirect=True)
def test_vcrpy_replays_our_cassettes_through_the_openai_sdk(
    recorded: tuple[str, Path, subprocess.CompletedProcess[str]],
) -> None:
    """The format is VCR.py's: vcrpy (>= 9.4, which patches httpx2) answers the SDK from our files."""
    vcr = pytest.importorskip("vcr", reason="vcrpy is in the test extra: pip install -e '.[test]'")
    flavor, tmp, _ = recorded
    folder = tmp / "cassettes" / flavor
    base_url = str(yaml.safe_load((folder / f"{flavor}.response.id.yaml").read_text())["metadata"]["base_url"])
    client = openai.OpenAI(api_key="x", base_url=base_url, max_retries=0)
    prompt = [{"role": "user", "content": "Reply with the single word OK."}]
    with vcr.use_cassette(str(folder / f"{flavor}.response.id.yaml"), record_mode="none") as cassette:
        answer = client.chat.completions.create(model="claude-haiku-4-5", messages=prompt, max_tokens=16)  # type: ignore[arg-type]
        assert cassette.play_count == 1
    assert answer.choices[0].message.content
    streamed = next(p for p in sorted(folder.glob("*.yaml")) if '"stream":true' in p.read_text())
    with vcr.use_cassette(str(streamed), record_mode="none"):
        chunks = list(
            client.chat.completions.create(model="claude-haiku-4-5", messages=prompt, max_tokens=16, stream=True)  # type: ignore[arg-type]
        )
    assert chunks
    assert any(c.choices and c.choices[0].finish_reason for c in chunks)


def test_the_replayer_matches_on_named_matchers_as_vcrpy_does() -> None:
    """Method, path and normalised JSON body by default (not the host: a cassette replays against any base URL);
    ``match_on`` picks others by VCR.py's names, and an unknown name is refused."""
    import httpx2

    from conformance.cassettes.store import Cassette, Replayer
    from conformance.exchange.model import Attempt, RecordedRequest, RecordedResponse

    recorded = RecordedRequest("POST", "https://api.example/v1/chat?x=1", {}, '{"b": 2, "a": 1}')
    answer = RecordedResponse(200, {"content-type": "application/json"}, '{"ok": true}')
    cassette = Cassette(Path("c.yaml"), [Attempt(recorded, answer, None, 1.0)], {})

    def status(replayer: Replayer, url: str, body: bytes) -> int:
        return replayer.answer(httpx2.Request("POST", url, content=body)).status_code

    assert status(Replayer(cassette), "http://127.0.0.1:9/v1/chat", b'{"a":1,"b":2}') == 200
    assert status(Replayer(cassette), "http://127.0.0.1:9/v1/chat", b'{"a":1,"b":3}') == 599
    assert status(Replayer(cassette, match_on=("method", "path")), "http://h/v1/chat", b'{"a":9}') == 200
    assert status(Replayer(cassette, match_on=("method", "path", "query")), "http://h/v1/chat", b"{}") == 599
    with pytest.raises(ValueError, match="unknown matcher"):
        Replayer(cassette, match_on=("headers",))
