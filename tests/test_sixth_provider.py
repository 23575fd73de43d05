"""A sixth provider by one spec file and no module: an OpenAI-compatible gateway on its own host.

The spec (written here, in the test only) extends ``openai`` and names its ``base_url``; the audit attributes a
recording made against that host to it, judges the inherited claims on it, and replays it through the SDK the
spec names. The recording is hand-written for the test (a gateway of nobody's), never evidence of a provider.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

SPEC = """\
spec_version: 1
extends: openai
provider:
  id: acme-gateway
  title: ACME's LLM gateway
  base_url: https://llm.acme.test/v1/
  api_key_env: [ACME_KEY]
claims: []
"""

RECORDING = """\
interactions:
- request:
    body: '{"model": "acme-small", "messages": [{"role": "user", "content": "Say OK"}], "temperature": 0.2}'
    headers:
      Content-Type: [application/json]
    method: POST
    uri: https://llm.acme.test/v1/chat/completions
  response:
    body:
      string: '{"id": "chatcmpl-1", "object": "chat.completion", "created": 1733000000, "model": "acme-small",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "OK"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}}'
    headers:
      Content-Type: [application/json]
      Date: [Mon, 02 Dec 2024 10:00:00 GMT]
    status: {code: 200, message: OK}
version: 1
"""


@pytest.fixture
def gateway(tmp_path: Path) -> tuple[Path, Path]:
    spec = tmp_path / "acme-gateway.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    recordings = tmp_path / "recordings"
    recordings.mkdir()
    (recordings / "acme_chat.yaml").write_text(RECORDING, encoding="utf-8")
    return spec, recordings


def test_the_audit_attributes_a_recording_of_the_gateways_host_to_its_spec(
    gateway: tuple[Path, Path], tmp_path: Path
) -> None:
    spec, recordings = gateway
    out = tmp_path / "audit.json"
    done = subprocess.run(
        [sys.executable, "-m", "conformance", "audit", str(recordings), "--specs", str(spec), "--json", str(out)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "unknown host" not in (done.stdout + done.stderr).lower()
    records = json.loads(out.read_text())["results"]
    mine = [r for r in records if r["provider"] == "acme-gateway"]
    assert mine, records[:3]
    assert {r["evidence"]["kind"] for r in mine} == {"imported"}
    judged = {r["claim"]: r["outcome"] for r in mine if r["location"] != "sdk"}
    assert judged.get("acme-gateway.response.object") == "pass"
    replays = [r for r in mine if r["location"] == "sdk"]
    assert replays
    assert replays[0]["claim"] == "acme-gateway.sdk-replay"
    assert replays[0]["observed"]["sdk_replay"]["outcome"] == "parsed"


def test_the_plugin_collects_the_gateways_imported_cases(gateway: tuple[Path, Path], pytester: pytest.Pytester) -> None:
    spec, recordings = gateway
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_imported_cases="from conformance.cases import test_imported  # noqa: F401\n")
    result = pytester.runpytest(
        f"--conformance-specs={spec}", f"--conformance-imported={recordings}", "--conformance-provider=acme-gateway",
        "-q", "--collect-only",
    )  # fmt: skip
    ids = [line for line in result.outlines if "::test_imported[" in line]
    assert any("[acme-gateway.response.object@imported-" in i for i in ids), result.outlines[:20]
    assert any("[acme-gateway.sdk-replay@imported-" in i for i in ids)
