"""Fault injection: a provider's hiccups end as ``error`` (with the reason), never ``fail``, and nothing hangs.

Every server here is a :class:`tests.fakes.chaos.ChaosServer` on 127.0.0.1 started and stopped by the test;
its waits are bounded and end when it stops. Timeouts and retry caps are tiny so the module stays fast.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import httpx2
import jsonschema
import pytest

from conformance.checks.registry import CHECKS
from conformance.exchange.model import RecordedResponse
from conformance.exchange.recorder import Recorder
from conformance.exchange.retry import RetryPolicy, retry_after
from conformance.providers.base import ProbeContext, ProbeError
from conformance.results.model import Record, Run, results_schema
from conformance.run.budget import tokens_of
from conformance.run.journal import ResultsWriter, part_path, read_part
from conformance.run.outcomes import CaseError, HarnessBug
from conformance.run.runner import Case, Session, cases_for
from conformance.run.traffic import Slots, merge_usage, traffic_for, usage_report
from tests.fakes import FakeServer
from tests.fakes.chaos import ChaosServer
from tests.fakes.sessions import SPECS, live_session

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 0.4
RETRIES = 2
CANARY = "sk-ant-api03-canary-9d81c0a2f4b6e3d7-fake"


def session_for(flavor: str, url: str, **traffic: Any) -> Session:
    options = {"retries": RETRIES, "retry_cap": 0.02, **traffic}
    return live_session(flavor, url, timeout=TIMEOUT, traffic=traffic_for(**options))


def cases(flavor: str, claim: str) -> list[Case]:
    found = [c for c in cases_for(SPECS[flavor]) if c.claim.id == f"{flavor}.{claim}"]
    assert found, claim
    return found


def run(session: Session, case: Case) -> tuple[str, str]:
    """(outcome, message) as the results file would hold them."""
    outcome, message = "pass", ""
    try:
        if case.is_async:
            asyncio.run(session.run_async(case.id, case))
        else:
            session.run_sync(case.id, case)
    except CaseError as exc:
        outcome, message = "error", str(exc)  # pytest's ERROR (raised in the case's setup)
    except AssertionError as exc:
        outcome, message = "fail", str(exc)
    except pytest.skip.Exception as exc:
        outcome, message = "skip", str(exc)
    session.record(case.id, case, outcome, message)
    record = session.run.records[-1]
    return record.outcome, record.message


# --- each fault, through the real runner, probe, SDK and recorder -------------------------------------------------

FAULTS = [
    # (fault, server options, claim, expected outcome, words in the message, requests the server saw per case)
    ("429-storm", {}, "response.id", "error", ["gave up after 3 attempts", "HTTP 429", "retry-after"], 3),
    ("429-storm", {"times": 1}, "response.id", "pass", [], 2),
    ("429-storm", {"times": 2, "retry_after": "3600"}, "response.id", "pass", [], 3),  # capped wait
    ("529", {}, "response.id", "error", ["gave up after 3 attempts", "HTTP 529"], 3),
    ("503", {}, "response.id", "error", ["gave up after 3 attempts", "HTTP 503"], 3),
    ("slow", {}, "response.id", "error", ["no answer", "within the timeout"], 1),
    ("cut", {}, "stream.done", "error", ["broke off", "bytes", "data: {"], 1),
    ("stall", {}, "stream.done", "error", [f"stalled (no bytes for {TIMEOUT:g} s)", "bytes", "data: {"], 1),
    ("malformed", {}, "response.id", "error", ["malformed JSON", '{"id": "chatcmpl-1"'], 1),
    ("html", {}, "response.id", "error", ["the server answered text/html (HTTP 200)", "you have been blocked"], 1),
    ("html", {}, "stream.done", "error", ["the server answered text/html (HTTP 200)", "you have been blocked"], 1),
    ("reset", {}, "response.id", "error", ["could not reach", "gave up after 3 attempts"], 3),
    ("huge", {}, "response.id", "pass", [], 1),
]


@pytest.mark.parametrize(
    ("fault", "options", "claim", "outcome", "words", "per_case"),
    FAULTS,
    ids=[f"{f[0]}-{f[2]}-{f[3]}" for f in FAULTS],
)
def test_a_fault_gives_its_documented_outcome(
    fault: str, options: dict[str, Any], claim: str, outcome: str, words: list[str], per_case: int
) -> None:
    with ChaosServer("openai", fault, **options) as server:
        session = session_for("openai", server.base_url)
        chosen = cases("openai", claim)
        results = {case.id: run(session, case) for case in chosen}
        seen = server.requests
    for case_id, (got, message) in results.items():
        assert got == outcome, (case_id, message)
        for word in words:
            assert word in message, (case_id, message)
    assert seen == per_case * len(chosen)
    usage = session.traffic.usage()["openai"]
    assert usage["requests"] == seen
    assert usage["retries"] == (per_case - 1) * len(chosen)


def test_every_attempt_is_kept_in_the_exchange() -> None:
    with ChaosServer("openai", "429-storm", times=2) as server:
        session = session_for("openai", server.base_url)
        (case,) = [c for c in cases("openai", "response.id") if not c.is_async]
        assert run(session, case) == ("pass", "")
    record = session.run.records[-1]
    assert record.observed["calls"][0]["attempts"] == 3
    assert record.observed["calls"][0]["status"] == 200


def test_an_error_keeps_every_attempt_and_reports_them_in_one_paragraph() -> None:
    with ChaosServer("openai", "429-storm") as server:
        session = session_for("openai", server.base_url)
        (case,) = [c for c in cases("openai", "response.id") if not c.is_async]
        with pytest.raises(ProbeError) as caught:
            session.run_sync(case.id, case)
        session.record(case.id, case, "error", "")
    record = session.run.records[-1]
    assert record.outcome == "error"
    (call,) = record.observed["calls"]
    assert call["attempts"] == 3
    assert [a["status"] for a in call["history"]] == [429, 429, 429]
    assert [a["waited_s"] for a in call["history"]] == [0.0, 0.01, 0.01]  # retry-after 0.01 s, under the cap
    assert all(a["response_headers"]["retry-after"] == "0.01" for a in call["history"])
    assert all("Rate limited." in a["response_body"] for a in call["history"])
    assert record.evidence["kind"] == "live"
    report = caught.value.report(session.secrets())
    lines = report.splitlines()
    assert lines[0].startswith("error: basic: no usable answer from http://127.0.0.1:")
    assert "gave up after 3 attempts: HTTP 429, retry-after 0.01 s" in lines[0]
    assert lines[1].startswith("  attempts (3): #1 HTTP 429 application/json (")
    assert "#2 after 0.01 s wait, HTTP 429" in lines[1]
    assert lines[2].startswith('  came back: \'{"error": {"message": "Rate limited."')
    assert len(lines) == 3
    assert "Traceback" not in report


def _crashing(case: Case, where: str) -> Case:
    """``case`` with its probe (or its check) replaced by one that raises a KeyError, as a bug of ours would."""
    assert case.variant is not None

    def probe(ctx: Any, claim: Any) -> Any:
        return {}["no such key"]

    async def async_probe(ctx: Any, claim: Any) -> Any:
        return {}["no such key"]

    if where == "check":
        variant = dataclasses.replace(case.variant, check="crashes-for-the-test")
    elif case.is_async:
        variant = dataclasses.replace(case.variant, async_probe=async_probe)
    else:
        variant = dataclasses.replace(case.variant, probe=probe)
    return dataclasses.replace(case, variant=variant)


@pytest.mark.parametrize("where", ["probe", "check"])
def test_a_crash_of_ours_is_an_error_with_harness_bug_never_a_failure(
    where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(CHECKS, "crashes-for-the-test", lambda claim, obs: {}["no such key"])
    with FakeServer("openai") as server:
        session = session_for("openai", server.base_url)
        chosen = [_crashing(c, where) for c in cases("openai", "response.id") + cases("openai", "stream.done")]
        assert {c.is_async for c in chosen} == {False, True}
        results = [run(session, case) for case in chosen]
    for outcome, message in results:
        assert outcome == "error"
        assert message.startswith("harness bug: KeyError: 'no such key' (")
        assert "test_faults.py:" in message  # where it was raised: the crashing probe or check
    record = session.run.records[-1]
    if where == "check":  # the probe got its answer: it is kept beside the error
        assert record.observed["calls"][0]["status"] == 200


def test_a_crash_report_shows_where_but_no_argument_values() -> None:
    def deep(ctx: ProbeContext) -> None:
        raise RuntimeError("boom")

    ctx = ProbeContext(SPECS["openai"].provider, "http://127.0.0.1:9/v1/", CANARY, "m", 1.0, Recorder())
    try:
        deep(ctx)
    except RuntimeError as exc:
        bug = HarnessBug(exc)
    report = bug.report((CANARY,))
    assert str(bug).startswith("harness bug: RuntimeError: boom (")
    assert 'raise RuntimeError("boom")' in report
    assert CANARY not in report
    assert CANARY not in repr(ctx)
    assert ctx.api_key.reveal() == CANARY


def test_a_body_over_the_limit_stops_being_read() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, content=b"x" * 5000)

    recorder = Recorder(transport=httpx2.MockTransport(handler), policy=RetryPolicy(retries=2), max_body=1000)
    with recorder.client(1.0) as client, pytest.raises(httpx2.TransportError, match="over 1000 bytes"):
        client.get("http://127.0.0.1:9/")
    assert len(recorder.attempts) == 1  # not retried
    assert recorder.attempts[0].response is not None
    assert len(recorder.attempts[0].response.body) == 5000 or len(recorder.attempts[0].response.body) <= 64 * 1024


def test_without_a_policy_a_429_is_handed_to_the_sdk_unchanged() -> None:
    recorder = Recorder(transport=httpx2.MockTransport(lambda request: httpx2.Response(429, json={"error": {}})))
    with recorder.client(1.0) as client:
        assert client.get("http://127.0.0.1:9/").status_code == 429
    assert len(recorder.attempts) == 1


# --- retry-after ---------------------------------------------------------------------------------------------------


def test_retry_after_reads_milliseconds_seconds_and_dates() -> None:
    from datetime import datetime, timezone

    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)
    assert retry_after({"retry-after-ms": "250"}) == 0.25
    assert retry_after({"Retry-After": "2"}) == 2.0
    assert retry_after({"retry-after": "Thu, 01 Jan 2026 12:00:30 GMT"}, now) == 30.0
    assert retry_after({"retry-after": "soon"}) is None
    assert retry_after({}) is None
    assert retry_after({"retry-after-ms": "100", "retry-after": "9"}) == 0.1


# --- budgets -------------------------------------------------------------------------------------------------------


def test_requests_budget_skips_the_remaining_cases_and_says_so() -> None:
    with FakeServer("openai") as server:
        session = session_for("openai", server.base_url, max_requests=2)
        chosen = [c for c in cases_for(SPECS["openai"]) if c.claim.location.value == "response" and not c.untestable]
        outcomes = [run(session, case) for case in chosen[:4]]
    assert [o for o, _ in outcomes[:2]] == ["pass", "pass"]
    assert outcomes[2][0] == "skip"
    assert outcomes[2][1].startswith("budget spent: 2 of --conformance-max-requests 2 for openai")
    report = usage_report(session.traffic.usage(), session.traffic.limits())
    assert report["openai"]["requests"] == 2
    assert report["openai"]["budget_spent"] is True


def test_tokens_budget_counts_the_usage_the_provider_reports() -> None:
    with FakeServer("anthropic") as server:
        session = session_for("anthropic", server.base_url, max_tokens=1)
        chosen = [c for c in cases_for(SPECS["anthropic"]) if c.claim.location.value == "response" and not c.untestable]
        first, second = run(session, chosen[0]), run(session, chosen[1])
    assert first[0] == "pass"
    assert second == (
        "skip",
        f"budget spent: {session.traffic.usage()['anthropic']['tokens']} of --conformance-max-tokens 1 tokens for anthropic",
    )


def test_budgets_are_shared_out_among_xdist_workers() -> None:
    traffic = traffic_for(max_requests=10, max_tokens=7, workers=2)
    gate = traffic.provider("openai")
    assert (gate.max_requests, gate.max_tokens) == (5, 3)


@pytest.mark.parametrize(
    ("body", "events", "tokens"),
    [
        ({"usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}}, None, 7),
        ({"usage": {"input_tokens": 4, "output_tokens": 3, "cache_read_input_tokens": 1}}, None, 8),
        ({"usageMetadata": {"promptTokenCount": 3, "totalTokenCount": 9}}, None, 9),
        (None, [{"message": {"usage": {"input_tokens": 6, "output_tokens": 1}}}, {"usage": {"output_tokens": 4}}], 10),
        (None, [{"choices": []}, {"usage": {"prompt_tokens": 2, "completion_tokens": 3, "total_tokens": 5}}], 5),
        ({"error": {"message": "no"}}, None, 0),
    ],
)
def test_tokens_of_each_usage_shape(body: Any, events: list[Any] | None, tokens: int) -> None:
    if events is None:
        response = RecordedResponse(200, {"content-type": "application/json"}, json.dumps(body))
    else:
        text = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
        response = RecordedResponse(200, {"content-type": "text/event-stream"}, text)
    assert tokens_of(response) == tokens


# --- concurrency ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shared", [False, True], ids=["threads", "lock-files"])
def test_slots_bound_the_requests_in_flight(shared: bool, tmp_path: Path) -> None:
    folder = tmp_path / "slots" if shared else None
    gates = [Slots(2, folder) for _ in range(3)] if shared else [Slots(2)] * 3  # one per "process"
    inside, most = 0, 0
    lock = threading.Lock()

    def work(slots: Slots) -> None:
        nonlocal inside, most
        for _ in range(5):
            with slots.hold():
                with lock:
                    inside += 1
                    most = max(most, inside)
                time.sleep(0.002)
                with lock:
                    inside -= 1

    threads = [threading.Thread(target=work, args=(gates[i % 3],)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(t.is_alive() for t in threads)
    assert 1 <= most <= 2


def test_async_sends_hold_a_slot_too() -> None:
    slots = Slots(1)

    async def both() -> list[int]:
        order: list[int] = []

        async def one(n: int) -> None:
            async with slots.hold_async():
                order.append(n)
                await asyncio.sleep(0.01)
                order.append(n)

        await asyncio.gather(one(1), one(2))
        return order

    order = asyncio.run(both())
    assert order in ([1, 1, 2, 2], [2, 2, 1, 1])


# --- partial results -----------------------------------------------------------------------------------------------


def _record(claim: str) -> Record:
    return Record(
        claim, "openai", "response", "id", "supported", "sync", "pass", "", True, {}, {"kind": "none"}, 1.0, "u"
    )


def test_parts_merge_into_one_valid_file_and_a_torn_line_is_skipped(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    part = part_path(out, "gw0")
    part.write_text(json.dumps(_record("openai.a").__dict__) + "\n" + '{"claim": "openai.b", "prov')
    assert [r.claim for r in read_part(part)] == ["openai.a"]
    run_ = Run(mode="live", records=[_record("openai.c")])
    writer = ResultsWriter(out)
    writer.write(run_, incomplete=True)
    document = json.loads(out.read_text())
    jsonschema.validate(document, results_schema())
    assert document["run"]["incomplete"] is True
    assert sorted(r["claim"] for r in document["results"]) == ["openai.a", "openai.c"]
    writer.finish(run_, incomplete=False)
    assert json.loads(out.read_text())["run"]["incomplete"] is False
    assert not part.exists()


def test_usage_of_workers_adds_up() -> None:
    merged = merge_usage(
        [
            {"openai": {"requests": 3, "retries": 1, "tokens": 10, "first": 5.0, "last": 7.0}},
            {"openai": {"requests": 2, "retries": 0, "tokens": 4, "first": 4.0, "last": 6.0}},
        ]
    )
    assert merged["openai"] == {"requests": 5, "retries": 1, "tokens": 14, "first": 4.0, "last": 7.0}


# --- whole runs: the plugin in a subprocess -------------------------------------------------------------------------

SUBSET = "response or stream or usage"


def _command(url: str, out: Path, imports: Path, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "pytest", "-m", "conformance", "--live", "--provider", "openai",
        "--base-url", f"openai={url}", "--conformance-json", str(out), "--imported", str(imports),
        "-p", "no:cacheprovider", "-q", "-k", SUBSET, "--conformance-retry-cap", "0.02",
        "--conformance-timeout", "5", *extra,
    ]  # fmt: skip


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env["OPENAI_API_KEY"] = "x"
    return env


def _outcomes(out: Path) -> dict[str, str]:
    document = json.loads(out.read_text())
    jsonschema.validate(document, results_schema())
    return {f"{r['claim']}|{r['variant']}": r["outcome"] for r in document["results"]}


def test_parallel_run_gives_the_same_results_as_a_serial_one(tmp_path: Path) -> None:
    """``--conformance-concurrency 8 -n 2`` and a serial run against the same fake: one file each, same outcomes."""
    (tmp_path / "none").mkdir()
    serial, parallel = tmp_path / "serial.json", tmp_path / "parallel.json"
    with ChaosServer("openai", "429-storm", times=1) as one, ChaosServer("openai", "429-storm", times=1) as two:
        procs = [
            subprocess.Popen(
                _command(one.base_url, serial, tmp_path / "none"), cwd=ROOT, env=_env(), stdout=subprocess.PIPE, text=True
            ),
            subprocess.Popen(
                _command(two.base_url, parallel, tmp_path / "none", "-n", "2", "--conformance-concurrency", "8"),
                cwd=ROOT, env=_env(), stdout=subprocess.PIPE, text=True,
            ),
        ]  # fmt: skip
        outputs = [proc.communicate(timeout=240)[0] for proc in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    expected = _outcomes(serial)
    assert expected
    assert "pass" in expected.values()
    assert _outcomes(parallel) == expected
    assert not list(tmp_path.glob("*.part"))
    document = json.loads(parallel.read_text())
    assert document["run"]["incomplete"] is False
    usage = document["run"]["usage"]["openai"]
    assert usage["retries"] >= 1
    assert usage["requests"] == json.loads(serial.read_text())["run"]["usage"]["openai"]["requests"]
    assert "conformance live traffic" in outputs[1]
    assert "openai: " in outputs[1]
    assert " requests sent, " in outputs[1]


def test_a_run_cut_short_leaves_a_valid_file_marked_incomplete(tmp_path: Path) -> None:
    (tmp_path / "none").mkdir()
    out = tmp_path / "out.json"
    with FakeServer("openai", {"openai.response.id"}) as server:
        proc = subprocess.run(
            _command(server.base_url, out, tmp_path / "none", "-x"),
            cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=240,
        )  # fmt: skip
    assert proc.returncode == 1, proc.stdout[-2000:]
    document = json.loads(out.read_text())
    jsonschema.validate(document, results_schema())
    assert document["run"]["incomplete"] is True
    assert "fail" in {r["outcome"] for r in document["results"]}


# --- a live run against a provider that fails: errors, never failures, and the key nowhere --------------------------

CANARY_FAULTS = {
    # fault: (server options, words every error's message holds)
    "429-storm": ({}, ["gave up after 4 attempts", "HTTP 429"]),  # the default --conformance-retries 3
    "reset": ({}, ["could not reach", "gave up after 4 attempts"]),
    "slow": ({}, ["no answer", "within the timeout"]),
    "html": ({}, ["the server answered text/html (HTTP 200)"]),
}


def test_a_failing_provider_shows_errors_everywhere_and_the_key_nowhere(tmp_path: Path) -> None:
    """The canary for faults: a key that looks real, probes that all end in ``error`` (429 storm, reset, timeout,
    HTML page that echoes the credentials), pytest's own long tracebacks and DEBUG logs asked for; then the terminal
    output, JUnit XML, results, report, cassettes and logs are searched for the key. A fifth run is retried into
    passes and records cassettes, so cassettes are searched too."""
    (tmp_path / "none").mkdir()
    env = {**_env(), "OPENAI_API_KEY": CANARY, "COLUMNS": "250"}  # wide enough for the summary's messages
    runs = {**CANARY_FAULTS, "429-then-ok": ({"times": 1}, [])}
    with contextlib.ExitStack() as stack:
        procs = {}
        for name, (options, _) in runs.items():
            fault = "429-storm" if name == "429-then-ok" else name
            server = stack.enter_context(ChaosServer("openai", fault, delay=2.0, **options))
            folder = tmp_path / name
            command = [
                sys.executable, "-m", "pytest", "tests/test_conformance.py", "-m", "conformance", "--live",
                "--provider", "openai", "--base-url", f"openai={server.base_url}", "-p", "no:cacheprovider", "-q",
                "-k", "response.id or stream.done", f"--imported={tmp_path / 'none'}", "--conformance-timeout", "0.5",
                "--conformance-retry-cap", "0.02", "--tb=long", "--showlocals", "-rfE",
                f"--conformance-json={folder / 'results.json'}", f"--junitxml={folder / 'junit.xml'}",
                "-o", "junit_logging=all", f"--log-file={folder / 'run.log'}", "--log-file-level=DEBUG",
                "--log-level=DEBUG", "--record-mode", "all", f"--cassette-dir={folder / 'cassettes'}",
            ]  # fmt: skip
            procs[name] = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
        outputs = {name: proc.communicate(timeout=240) for name, proc in procs.items()}
    report = [sys.executable, "-m", "conformance", "report", *(str(tmp_path / n / "results.json") for n in runs)]
    rendered = subprocess.run([*report, "-o", str(tmp_path / "reports")], capture_output=True, text=True, timeout=120)
    assert rendered.returncode == 0, rendered.stderr

    for name, (_, words) in CANARY_FAULTS.items():
        stdout = outputs[name][0]
        assert procs[name].returncode == 1, stdout[-3000:]
        summary = stdout.strip().splitlines()[-1]
        assert re.search(r"\d+ errors? in ", summary), summary
        assert "failed" not in summary, summary
        for internal in ("Traceback", "tenacity", "exchange.py", "conformance_session = "):
            assert internal not in stdout, stdout[-3000:]
        assert "ERROR tests/test_conformance.py::test_claim[openai.response.id] - error: " in stdout
        cases = ElementTree.parse(tmp_path / name / "junit.xml").getroot().iter("testcase")
        verdicts = {case.get("name"): [child.tag for child in case] for case in cases}
        assert verdicts
        assert all("error" in tags for tags in verdicts.values()), verdicts
        assert not any("failure" in tags for tags in verdicts.values()), verdicts
        records = json.loads((tmp_path / name / "results.json").read_text())["results"]
        assert len(records) == 3
        assert {r["outcome"] for r in records} == {"error"}
        for record in records:
            assert all(word in record["message"] for word in words), record["message"]
            (call,) = record["observed"]["calls"]
            assert call["attempts"] == (1 if name in ("slow", "html") else 4), call
            assert len(call.get("history", [call])) == call["attempts"], call
    passed = json.loads((tmp_path / "429-then-ok" / "results.json").read_text())["results"]
    assert procs["429-then-ok"].returncode == 0
    assert {r["outcome"] for r in passed} == {"pass"}
    assert list((tmp_path / "429-then-ok" / "cassettes").rglob("*.yaml"))

    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert {"junit.xml", "run.log", "results.json", "index.html", "summary.md"} <= {p.name for p in written}
    assert [p for p in written if CANARY in p.read_text(errors="replace")] == []
    shown = "".join(out + err for out, err in outputs.values()) + rendered.stdout + rendered.stderr
    assert CANARY not in shown
    assert "Bearer ***" in (tmp_path / "html" / "results.json").read_text()  # the echoed key, masked


def test_a_check_that_crashes_on_imported_recordings_is_one_error_per_finding(tmp_path: Path) -> None:
    """A check raising while recordings are audited (at collection) used to stop the module from being collected
    (exit 4); each finding it judges is now an error naming the bug, and every other case still runs."""
    (tmp_path / "breakcheck.py").write_text(
        "from conformance.checks.registry import CHECKS\n\n"
        "def crash(claim, obs):\n"
        "    raise RuntimeError('a check crashed for the test')\n\n"
        "CHECKS['usage_field'] = crash\n"
    )
    out = tmp_path / "out.json"
    env = {**_env(), "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    command = [
        sys.executable, "-m", "pytest", "tests/test_conformance.py", "-m", "conformance", "-k", "imported",
        "-p", "breakcheck", "-p", "no:cacheprovider", "-q", f"--imported={ROOT / 'cassettes' / 'imported' / 'openai'}",
        f"--conformance-json={out}", f"--junitxml={tmp_path / 'junit.xml'}",
    ]  # fmt: skip
    proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-3000:]
    records = json.loads(out.read_text())["results"]
    errors = [r for r in records if r["outcome"] == "error"]
    assert errors, proc.stdout[-3000:]
    assert all(r["message"].startswith("harness bug: RuntimeError: a check crashed for the test (") for r in errors)
    assert all("breakcheck.py:4)" in r["message"] for r in errors)
    assert {"pass", "error"} <= {r["outcome"] for r in records}
    assert "error" in proc.stdout.strip().splitlines()[-1]
    assert "Traceback" not in proc.stdout
