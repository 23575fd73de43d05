"""``conformance audit`` and the imported cases: real recordings judged against the specs, passively.

The real recordings are those shipped in ``cassettes/imported`` (copied from ../shared/realtraffic with their
SOURCES.md); the hand-written ones below are small inputs written to ``tmp_path`` to pin one behaviour each.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import socket
from collections import Counter
from pathlib import Path
from urllib.parse import unquote

import jsonschema
import pytest

from conformance.audit.core import audit, outcome_of, record_of
from conformance.cli import commands as cli
from conformance.recordings import Interaction, api_of, find_recordings, on_loopback, read_all
from conformance.results.model import results_schema
from conformance.spec.loader import load_specs

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]
IMPORTED = ROOT / "cassettes" / "imported"
SPECS = load_specs(()).specs


def vcrpy(
    url: str, request_body: dict[str, object], status: int, response_body: dict[str, object], **headers: str
) -> str:
    """A one-interaction VCR.py cassette (JSON bodies)."""
    response_headers = "".join(f"      {k.replace('_', '-')}:\n      - '{v}'\n" for k, v in headers.items())
    return f"""\
interactions:
- request:
    body: '{json.dumps(request_body)}'
    headers:
      Content-Type:
      - application/json
    method: POST
    uri: {url}
  response:
    body:
      string: '{json.dumps(response_body)}'
    headers:
      Content-Type:
      - application/json
{response_headers}    status:
      code: {status}
      message: X
version: 1
"""


CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]}


def completion(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }
    body.update(overrides)
    return body


def test_the_shipped_recordings_audit_without_warnings_and_with_attribution(tmp_path: Path) -> None:
    out = tmp_path / "audit.json"
    assert cli.main(["audit", str(IMPORTED), "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    jsonschema.validate(result, results_schema())
    records = result["results"]
    assert len({r["evidence"]["file"] for r in records}) >= 25
    for record in records:
        evidence = record["evidence"]
        assert evidence["kind"] == "imported"
        assert evidence["repository"]
        assert evidence["commit"]
        assert evidence["license"] in ("MIT", "Apache-2.0")
    assert {r["provider"] for r in records} == {"anthropic", "anthropic-openai", "gemini", "gemini-openai", "openai"}
    # an undocumented claim (not in the provider's docs) may differ from its reference: never a failure of the docs
    documented = [r for r in records if r["status"] != "undocumented"]
    judged = [r for r in records if r["status"] == "undocumented" and r["outcome"] in ("pass", "fail")]
    assert all(r["message"].startswith(("behaves as ", "differs from ")) for r in judged)
    assert all(r["outcome"] in ("pass", "skip", "xfail") for r in documented), [
        (r["claim"], r["message"][:200]) for r in documented if r["outcome"] not in ("pass", "skip", "xfail")
    ]


def test_every_shipped_exchange_is_attributed_to_an_api() -> None:
    """Every exchange is a provider's, except the calls Adala's test made to its own server on localhost (which
    forwarded them to Anthropic: the recording holds both hops)."""
    result = audit([IMPORTED], SPECS)
    assert result.warnings == []
    assert result.unknown_hosts == []
    assert {line.partition(": #")[0] for line in result.local_servers} == {
        str(path) for path in IMPORTED.glob("anthropic-openai/HumanSignal__Adala__*")
    }
    assert all(" http://localhost:30001/" in line for line in result.local_servers)
    assert sum(result.by_api.values()) + len(result.local_servers) == result.exchanges > 52


def test_a_server_on_this_machine_is_told_apart_from_an_unknown_host(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Loopback traffic (a test's own server, a local gateway) is listed as such, not as an unknown host; a spec
    whose base URL is that address still claims it (a user's gateway on localhost)."""
    for name, url in [
        ("local.yaml", "http://localhost:30001/chat/completions"),
        ("ipv4.yaml", "http://127.0.0.1:8000/v1/chat/completions"),
        ("ipv6.yaml", "http://[::1]:8000/v1/chat/completions"),
        ("far.yaml", "https://llm.example.com/v1/chat/completions"),
    ]:
        (tmp_path / name).write_text(vcrpy(url, CHAT, 200, completion()))
    result = audit([tmp_path], SPECS)
    assert sorted(Path(line.partition(": #")[0]).name for line in result.local_servers) == [
        "ipv4.yaml",
        "ipv6.yaml",
        "local.yaml",
    ]
    assert [Path(line.partition(": #")[0]).name for line in result.unknown_hosts] == ["far.yaml"]
    assert cli.main(["audit", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert "unknown host 1, local server 3" in out
    assert "a server on this machine, no provider's (not audited): " in err
    assert "unknown host (not audited): " in err
    assert "far.yaml" in err

    gateway = tmp_path / "specs" / "local-gateway.yaml"
    gateway.parent.mkdir()
    gateway.write_text(
        "spec_version: 1\nextends: openai\nprovider:\n  id: local-gateway\n  title: A gateway on this machine\n"
        "  base_url: http://127.0.0.1:8000/v1/\n  api_key_env: [LOCAL_GATEWAY_KEY]\nclaims: []\n"
    )
    mine = audit([tmp_path / "ipv4.yaml"], [*SPECS, *load_specs([gateway]).specs])
    assert (mine.local_servers, mine.unknown_hosts, mine.by_api) == ([], [], {"local-gateway": 1})


def test_a_failing_claim_fails_only_with_strict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = completion()
    del body["object"]
    (tmp_path / "bad.yaml").write_text(vcrpy("https://api.openai.com/v1/chat/completions", CHAT, 200, body))
    assert cli.main(["audit", str(tmp_path)]) == 0
    assert cli.main(["audit", str(tmp_path), "--strict"]) == 1
    assert "openai.response.object: 1 fail" in capsys.readouterr().out


def _binary_answer_then_a_good_one() -> str:
    """Two interactions: the first answer stored as raw binary bytes (no content-encoding), the second readable."""
    good = vcrpy("https://api.openai.com/v1/chat/completions", CHAT, 200, completion())
    garbage = base64.b64encode(bytes(range(128, 256)) * 2).decode("ascii")
    binary = good.replace(f"string: '{json.dumps(completion())}'", f"string: !!binary |\n        {garbage}")
    second = good.removeprefix("interactions:\n").removesuffix("version: 1\n")
    return binary.replace("version: 1\n", second + "version: 1\n")


def test_bad_files_warn_and_the_others_are_still_audited(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "good.yaml").write_text(vcrpy("https://api.openai.com/v1/chat/completions", CHAT, 200, completion()))
    (tmp_path / "truncated.yaml").write_text("interactions:\n- request:\n    body: '{\n")
    (tmp_path / "empty.yml").write_text("")
    (tmp_path / "elsewhere.yaml").write_text(
        vcrpy("https://llm.example.invalid/v1/chat/completions", CHAT, 200, completion())
    )
    (tmp_path / "binary.yaml").write_text(_binary_answer_then_a_good_one())
    (tmp_path / "unknown-format.yaml").write_text("log:\n  version: '1.2'\n  entries: []\n")
    har = tmp_path / "session.har"
    har.write_text('{"log": {"version": "1.2", "entries": []}}')
    out = tmp_path / "out.json"
    assert cli.main(["audit", str(tmp_path), str(har), "--json", str(out)]) == 0
    err = capsys.readouterr().err
    warnings = [line for line in err.splitlines() if line.startswith("warning: ")]
    for name, fragment in [
        ("truncated.yaml", "invalid YAML"),
        ("empty.yml", "empty file"),
        ("unknown-format.yaml", "unknown recording format"),
        ("session.har", "unknown recording format"),
        ("binary.yaml", "interaction 1 not audited: the recorded response body is binary"),
    ]:
        (warning,) = [w for w in warnings if name in w]
        assert fragment in warning, warning
    assert len(warnings) == 5
    assert "unknown host (not audited)" in err
    assert "llm.example.invalid" in err
    records = json.loads(out.read_text())["results"]
    audited = {(r["evidence"]["file"], r["evidence"]["interaction"]) for r in records}
    assert audited == {("good.yaml", 0), ("binary.yaml", 1)}


def test_filtered_and_placeholder_headers_are_unknown_not_evidence(tmp_path: Path) -> None:
    (tmp_path / "filtered.yaml").write_text(
        vcrpy("https://api.openai.com/v1/chat/completions", CHAT, 200, completion(), openai_version="REDACTED")
    )
    findings = {f.claim.id: f for f in audit([tmp_path], SPECS).findings}
    version = findings["openai.header.openai-version"]
    assert outcome_of(version)[0] == "skip"
    assert "placeholder" in version.verdict.message
    dropped = findings["openai.header.x-request-id"]
    assert outcome_of(dropped)[0] == "skip"
    assert "may have dropped" in dropped.verdict.message
    assert outcome_of(findings["openai.response.id"])[0] == "pass"


def test_a_header_holding_its_own_name_is_a_placeholder_not_a_deviation(tmp_path: Path) -> None:
    """crewAI's recorder writes ``ANTHROPIC-RATELIMIT-TOKENS-LIMIT-XXX`` for the rate-limit headers: the source
    filtered the value, so the claim is unknown from that recording, never a provider's malformed header."""
    message = {
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5",
        "content": [{"type": "text", "text": "Hi"}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 3, "output_tokens": 1},
    }
    request = {"model": "claude-sonnet-4-5", "max_tokens": 16, "messages": [{"role": "user", "content": "Hi"}]}
    headers = {
        "anthropic_ratelimit_tokens_limit": "ANTHROPIC-RATELIMIT-TOKENS-LIMIT-XXX",
        "anthropic_ratelimit_requests_remaining": "49",
        "request_id": "req_01",
    }
    (tmp_path / "crew.yaml").write_text(
        vcrpy("https://api.anthropic.com/v1/messages", request, 200, message, **headers)
    )
    findings = {f.claim.id: f for f in audit([tmp_path], SPECS).findings}
    filtered = findings["anthropic.header.anthropic-ratelimit-tokens-limit"]
    assert outcome_of(filtered)[0] == "skip"
    assert "placeholder" in filtered.verdict.message
    assert outcome_of(findings["anthropic.header.anthropic-ratelimit-requests-remaining"])[0] == "pass"


def test_error_answers_are_judged_by_error_claims_only(tmp_path: Path) -> None:
    error = {
        "error": {
            "message": "Incorrect API key provided",
            "type": "invalid_request_error",
            "param": None,  # the reference's error object always carries param (null here), as OpenAI sends it
            "code": "invalid_api_key",
        }
    }
    (tmp_path / "401.yaml").write_text(vcrpy("https://api.openai.com/v1/chat/completions", CHAT, 401, error))
    findings = audit([tmp_path], SPECS).findings
    assert {f.claim.location.value for f in findings} == {"error"}
    assert {f.claim.id: f.verdict.outcome for f in findings}["openai.error.invalid-api-key"] == "pass"


def test_imported_cases_run_in_pytest_with_their_evidence(pytester: pytest.Pytester, tmp_path: Path) -> None:
    folder = pytester.path / "recordings" / "openai"
    folder.mkdir(parents=True)
    shutil.copy(next((IMPORTED / "openai").glob("*test_n_v7*")), folder)
    shutil.copy(IMPORTED / "SOURCES.md", pytester.path / "recordings")
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_imported_cases="from conformance.cases import test_imported  # noqa: F401\n")
    out = tmp_path / "results.json"
    result = pytester.runpytest("-m", "conformance", "--imported", "recordings", "--conformance-json", str(out), "-q")
    result.assert_outcomes(passed=len([r for r in json.loads(out.read_text())["results"] if r["outcome"] == "pass"]))
    records = json.loads(out.read_text())["results"]
    assert records
    assert {r["evidence"]["repository"] for r in records} == {"withmartian/llm-adapters"}
    assert any(r["claim"] == "openai.request.n" for r in records)


# --- the real recordings of cassettes/imported: attribution, audit and SDK replay --------------------------------

REALTRAFFIC = IMPORTED
REAL_ABSENT = f"{REALTRAFFIC} is absent: the imported real-traffic recordings are not in this checkout"
SDK_OF_FOLDER = {
    "anthropic": "anthropic",
    "anthropic-openai": "openai",
    "gemini": "google-genai",
    "gemini-openai": "openai",
    "openai": "openai",
}


def _no_sockets(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args[1:] or kwargs)
        raise OSError("network blocked by tests/test_audit.py")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


def _expected_replay(interaction: Interaction) -> str:
    """What an official SDK can do with a recorded exchange, read from the recording alone (not from the replay):
    the three kinds of request no SDK call sends (see tests/test_sdk_replay.py for why), the JSON-array streams
    recorded without ``?alt=sse`` (which google-genai always adds, so it cannot read the recorded array), and
    otherwise parsed for a 2xx answer, raised for an error answer."""
    request, response = interaction.attempt.request, interaction.attempt.response
    assert response is not None
    body = request.json if isinstance(request.json, dict) else {}
    inner = body.get("generateContentRequest")
    if request.path == "/v1/complete":
        return "not-reissuable"
    if request.path.endswith(":countTokens") and isinstance(inner, dict) and "systemInstruction" in inner:
        return "not-reissuable"
    if "enum-encoding=int" in unquote(request.url):
        return "not-reissuable"
    if request.path.endswith(":streamGenerateContent") and "alt=sse" not in request.url and response.body[:1] == "[":
        return "sdk-failed"
    return "parsed" if 200 <= response.status < 300 else "raised"


def test_every_real_file_is_attributed_to_its_folder_audited_and_replayed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    if not (REALTRAFFIC / "SOURCES.md").is_file():
        pytest.skip(REAL_ABSENT)
    attempts = _no_sockets(monkeypatch)
    out = tmp_path / "audit.json"
    assert cli.main(["audit", str(REALTRAFFIC), "--json", str(out), "--strict"]) == 0
    err = capsys.readouterr().err.splitlines()  # no warning, no unknown host; only Adala's calls to its own server
    assert len(err) == 4, err
    assert all(line.startswith("a server on this machine, no provider's") for line in err), err
    result = audit([REALTRAFFIC], SPECS)
    assert attempts == []

    recordings, _ = read_all([REALTRAFFIC])
    assert len(recordings) == len(find_recordings([REALTRAFFIC])) == 156
    exchanges = {
        (r.path.name, i.index): (r.path.parent.name, i)
        for r in recordings
        for i in r.interactions
        if not on_loopback(i.attempt.request)
    }
    assert result.exchanges == len(exchanges) + len(result.local_servers)
    for recording in recordings:  # the folder is the truth
        apis = {api_of(i.attempt.request) for i in recording.interactions if not on_loopback(i.attempt.request)}
        assert apis == {recording.path.parent.name}, recording.path
    assert {(f.recording.path.name, f.claim.provider) for f in result.findings} <= {
        (name, folder) for (name, _), (folder, _) in exchanges.items()
    }

    replays = {(r.recording.path.name, r.interaction.index): r for r in result.replays}
    assert set(replays) == set(exchanges)  # every exchange of a known API went to its SDK
    for key, (folder, interaction) in exchanges.items():
        replayed = replays[key]
        assert (replayed.api, replayed.result.sdk) == (folder, SDK_OF_FOLDER[folder]), key
        assert replayed.result.outcome == _expected_replay(interaction), (key, replayed.result.message)
    by_outcome = Counter(r.result.outcome for r in result.replays)
    assert by_outcome == Counter(_expected_replay(i) for _, i in exchanges.values())
    assert by_outcome == {"parsed": 147, "raised": 45, "not-reissuable": 20, "sdk-failed": 4}
    assert all(r.result.path_matches for r in result.replays if r.result.outcome != "not-reissuable")

    data = json.loads(out.read_text())
    jsonschema.validate(data, results_schema())
    replay_records = [r for r in data["results"] if r["location"] == "sdk"]
    assert len(replay_records) == len(exchanges)
    assert Counter(r["observed"]["sdk_replay"]["outcome"] for r in replay_records) == by_outcome
    assert {r["evidence"]["kind"] for r in replay_records} == {"imported"}
    assert all(r["evidence"]["repository"] and r["evidence"]["license"] for r in replay_records)
    assert Counter(r["outcome"] for r in replay_records) == {
        "pass": by_outcome["parsed"] + by_outcome["raised"],
        "skip": by_outcome["not-reissuable"] + by_outcome["sdk-failed"],
    }


def test_the_results_file_says_what_the_openai_sdk_exposes_of_a_google_error_body() -> None:
    """Gemini's compatibility layer answers errors with a one-item list of a Google error: the openai SDK raises
    the class that matches the status, but its .code and .type stay None."""
    result = audit([IMPORTED / "gemini-openai"], SPECS)
    google_errors = 0
    for replayed in result.replays:
        response = replayed.interaction.attempt.response
        assert response is not None
        record = record_of(replayed, *outcome_of(replayed))
        jsonschema.validate(record.observed["sdk_replay"], results_schema()["$defs"]["sdk_replay"])
        kept = record.observed["sdk_replay"]
        assert (record.location, record.status, kept["sdk"]) == ("sdk", replayed.result.outcome, "openai")
        if not (isinstance(response.json, list) and replayed.result.outcome == "raised"):
            continue
        google_errors += 1
        error = response.json[0]["error"]
        assert kept["status_code"] == kept["recorded_status"] == error["code"] == response.status
        assert kept["exception"] == f"openai.{_OPENAI_ERRORS[response.status]}"
        assert (kept["error_type"], kept["error_code"]) == (None, None)
        assert kept["not_exposed"]["type"] == f"error.status={error['status']!r}"
        assert record.outcome == "pass"
    assert google_errors == 10
    parsed = [r.result.detail for r in result.replays if r.result.outcome == "parsed"]
    assert len(parsed) == 28
    assert all(p["type"] in ("ChatCompletion", "Stream") and p["finish_reasons"] for p in parsed)


_OPENAI_ERRORS = {400: "BadRequestError", 404: "NotFoundError", 429: "RateLimitError", 500: "InternalServerError"}


def test_the_console_summary_lists_the_sdk_replay(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["audit", str(IMPORTED / "gemini-openai")]) == 0
    out = capsys.readouterr().out
    assert "SDK replay: 39 recorded answer(s) re-issued through the official SDKs (no network)" in out
    assert "gemini-openai through the openai SDK" in out
    assert re.search(r"chat\.completions\.create: \d+ parsed, \d+ raised", out)
    assert "error fields the SDK leaves empty although the body carries them: .code" in out


def test_an_sdk_failure_on_the_answer_to_its_own_request_fails_only_with_strict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cassette = vcrpy("https://api.openai.com/v1/chat/completions", CHAT, 200, completion())
    (tmp_path / "cut.yaml").write_text(cassette.replace(json.dumps(completion()), '{"id": "chatcmpl-1", '))
    result = audit([tmp_path], SPECS)
    (replayed,) = result.replays
    assert replayed.result.outcome == "sdk-failed"
    assert outcome_of(replayed)[0] == "fail"
    assert cli.main(["audit", str(tmp_path)]) == 0
    assert cli.main(["audit", str(tmp_path), "--strict"]) == 1
    assert "chat.completions.create: 1 sdk-failed" in capsys.readouterr().out


def test_sdk_replay_cases_run_in_pytest_with_their_evidence(pytester: pytest.Pytester, tmp_path: Path) -> None:
    folder = pytester.path / "recordings" / "gemini-openai"
    folder.mkdir(parents=True)
    for name in ("*test_n__test_async*flash*", "*test_stream__test_sync*"):
        for path in (IMPORTED / "gemini-openai").glob(name):
            shutil.copy(path, folder)
    shutil.copy(IMPORTED / "SOURCES.md", pytester.path / "recordings")
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_imported_cases="from conformance.cases import test_imported  # noqa: F401\n")
    out = tmp_path / "results.json"
    result = pytester.runpytest(
        "-m", "conformance", "-k", "sdk-replay", "--imported", "recordings", "--conformance-json", str(out), "-v"
    )
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["*test_imported?gemini-openai.sdk-replay@imported-*#0? PASSED*"])
    records = json.loads(out.read_text())["results"]
    jsonschema.validate(json.loads(out.read_text()), results_schema())
    assert len(records) == 4
    assert {r["claim"] for r in records} == {"gemini-openai.sdk-replay"}
    assert {r["evidence"]["kind"] for r in records} == {"imported"}
    assert {r["evidence"]["repository"] for r in records} == {"withmartian/llm-adapters"}
    assert sorted(r["observed"]["sdk_replay"]["outcome"] for r in records) == ["parsed", "parsed", "raised", "raised"]


# --- recordings it has never seen: hand-written files in other projects' layouts (tests/data, not real traffic) ------

UNSEEN = Path(__file__).parent / "data" / "recordings"


def test_recordings_in_layouts_it_has_never_seen_are_audited_and_replayed(tmp_path: Path) -> None:
    """A pytest-recording cassette whose gzip answer is kept as ``!!binary``, and a Ruby VCR file with an
    ASCII-8BIT ``!binary`` body: both read, attributed, judged and replayed with nothing to configure."""
    result = audit([UNSEEN], SPECS)
    assert (result.warnings, result.unknown_hosts, result.unreadable) == ([], [], 0)
    assert result.by_api == {"anthropic": 1, "openai": 1}
    assert {f.recording.format for f in result.findings} == {"vcrpy", "ruby-vcr"}
    by_api = {r.api: r for r in result.replays}
    openai_answer = by_api["openai"].interaction.attempt.response
    assert openai_answer is not None
    assert openai_answer.json["id"] == "chatcmpl-TESTDATA0001"  # the gzip bytes were decoded
    assert "content-encoding" not in openai_answer.headers
    assert (by_api["openai"].result.outcome, by_api["openai"].result.detail["text"]) == ("parsed", "Hi!")
    assert (by_api["anthropic"].result.outcome, by_api["anthropic"].result.detail["text"]) == ("parsed", "Hi!")
    outcomes = Counter((f.claim.provider, outcome_of(f)[0]) for f in result.findings)
    assert outcomes[("openai", "pass")] >= 25
    assert outcomes[("anthropic", "pass")] >= 15
    assert {outcome for _, outcome in outcomes} == {"pass", "skip"}
    out = tmp_path / "unseen.json"
    assert cli.main(["audit", str(UNSEEN), "--json", str(out), "--strict"]) == 0
    records = json.loads(out.read_text())["results"]
    jsonschema.validate(json.loads(out.read_text()), results_schema())
    assert {r["evidence"]["kind"] for r in records} == {"imported"}
    assert not any("repository" in r["evidence"] for r in records)  # no SOURCES.md beside them: no attribution
