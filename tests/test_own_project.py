"""README's "Use it in your own project", command by command, in a project outside this checkout.

The commands are read from README.md (between the ``own-project`` markers) and run as written, in a fresh folder,
against a faithful local fake standing in for ``http://127.0.0.1:8000/v1/`` (never evidence). With
``CONFORMANCE_WHEEL_VENV`` set (``nox -s wheel``: the built wheel installed into a fresh virtualenv outside the
checkout, next to pytest-recording), they run with that virtualenv's commands, so the installed package alone is
tested: fixtures, specs and schemas come from the wheel.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.fakes import FakeServer

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER_URL = "http://127.0.0.1:8000/v1/"
FIXTURE_CLAIMS = {
    "my-gateway.tool.tools.function.parameters": "tools (fixtures/tools/*.json)",
    "my-gateway.request.response_format.json_schema": "a JSON schema (fixtures/schemas/calendar_event.json)",
    "my-gateway.message.messages.content.image_url": "an image (fixtures/red-dot.png)",
}
AUDIO = (  # input_audio is about audio models only: one more one-off with such a model sends the WAV fixture
    "conformance check --spec openai --base-url {url} --model gpt-4o-audio-preview --key-env GATEWAY_KEY "
    "-k input_audio -o reports/audio"
)


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- own-project:start -->\n```sh\n(.*?)```\n<!-- own-project:end -->", text, re.S)
    assert block, "README.md lost its own-project block"
    return [line.strip() for line in block.group(1).splitlines() if line.strip()]  # bash drops the comments


def bin_dir() -> Path:
    venv = os.environ.get("CONFORMANCE_WHEEL_VENV")
    return Path(venv) / "bin" if venv else Path(sys.executable).parent


def test_the_readme_block_installs_inits_runs_and_reports() -> None:
    commands = readme_commands()
    assert commands[0].startswith("python3 -m pip install conformance")
    assert any("conformance check " in c for c in commands)
    assert any("pytest " in c and "--conformance-live" in c for c in commands)


def test_every_readme_command_works_in_a_project_outside_the_checkout(tmp_path: Path) -> None:
    project = tmp_path / "their-project"
    project.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY") and k != "PYTHONPATH"}
    env["PATH"] = f"{bin_dir()}{os.pathsep}{env.get('PATH', '')}"
    outputs = []
    with FakeServer("openai") as server:
        for command in readme_commands()[1:]:  # the install is the test environment (or nox -s wheel) itself
            command = command.replace(PLACEHOLDER_URL, server.base_url).replace(
                "GATEWAY_KEY=...", "GATEWAY_KEY=fake-key"
            )
            done = subprocess.run(
                ["bash", "-c", command], cwd=project, env=env, capture_output=True, text=True, timeout=600
            )
            outputs.append(done.stdout + done.stderr)
            assert done.returncode == 0, f"{command}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        audio = subprocess.run(
            ["bash", "-c", AUDIO.format(url=server.base_url)], cwd=project, env={**env, "GATEWAY_KEY": "fake-key"},
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert audio.returncode == 0, audio.stdout[-3000:] + audio.stderr[-3000:]
        outputs.append(audio.stdout + audio.stderr)
    everything = "\n".join(outputs)
    assert "FileNotFoundError" not in everything
    assert "Traceback" not in everything
    for results in (project / "reports" / "results.json", project / "reports" / "one-off" / "results.json"):
        records = json.loads(results.read_text())["results"]
        assert records
        errors = [r["claim"] for r in records if r["outcome"] == "error"]
        assert not errors, f"{results}: error outcomes {errors}"
        passed = {r["claim"] for r in records if r["outcome"] == "pass"}
        for claim, what in FIXTURE_CLAIMS.items():
            assert claim in passed, f"{results}: the probe that sends {what} did not pass"
        assert all(r["evidence"]["kind"] in ("live", "none") for r in records)
        assert all(r["evidence"].get("official") is not True for r in records if r["evidence"]["kind"] == "live")
    audio_records = json.loads((project / "reports" / "audio" / "results.json").read_text())["results"]
    assert [r["outcome"] for r in audio_records if r["claim"] == "openai.message.messages.content.input_audio"] == [
        "pass"
    ]
    for folder in (project / "reports", project / "reports" / "one-off"):
        assert (folder / "index.html").is_file()
        assert (folder / "summary.md").is_file()
    left = {p.name for p in project.iterdir()}
    assert left <= {"my-gateway.yaml", "tests", "reports", ".pytest_cache"}, left
