"""The installed wheel in someone else's environment (``nox -s wheel`` sets ``CONFORMANCE_WHEEL_VENV``).

The wheel is installed into a fresh virtualenv outside the checkout, next to pytest-recording. These tests use that
virtualenv's Python: an unrelated one-test project still passes and is left as it was, and the package carries
everything it reads at run time (specs, schemas, fixtures, ``py.typed``).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

VENV = os.environ.get("CONFORMANCE_WHEEL_VENV")
pytestmark = pytest.mark.skipif(not VENV, reason="needs the wheel's virtualenv: run `nox -s wheel`")


def python() -> str:
    assert VENV
    return str(Path(VENV) / "bin" / "python")


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CONFORMANCE_WHEEL_VENV")}
    return subprocess.run([python(), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_the_package_comes_from_the_wheel_with_its_data(tmp_path: Path) -> None:
    code = (
        "import conformance, pathlib\n"
        "from conformance.data import package_data, fixture_bytes, fixture_json\n"
        "root = pathlib.Path(conformance.__file__).parent\n"
        "print(root)\n"
        "assert 'site-packages' in str(root), root\n"
        "assert (root / 'py.typed').is_file()\n"
        "assert package_data('schemas', 'results.schema.json').is_file()\n"
        "assert package_data('specs', 'schema.json').is_file()\n"
        "assert fixture_bytes('red-dot.png').startswith(b'\\x89PNG') and fixture_bytes('beep.wav')[:4] == b'RIFF'\n"
        "assert fixture_json('tools/get_weather.json') and fixture_json('schemas/calendar_event.json')\n"
        "from conformance.spec.loader import load_specs\n"
        "specs = load_specs([])\n"
        "assert not specs.problems and len(specs.specs) >= 5, specs.problems\n"
    )
    done = run(["-c", code], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "site-packages" in done.stdout


def test_pytest_recording_sits_beside_it(tmp_path: Path) -> None:
    code = "from importlib.metadata import entry_points; print(sorted(e.name for e in entry_points(group='pytest11')))"
    done = run(["-c", code], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "'recording'" in done.stdout
    assert "'conformance'" in done.stdout


def test_an_unrelated_project_passes_and_is_left_as_it_was(tmp_path: Path) -> None:
    """The same run with and without the plugin: it passes, and the plugin writes nothing of its own."""
    listings = {}
    for name, extra in (("without", ["-p", "no:conformance"]), ("with", [])):
        project = tmp_path / name
        project.mkdir()
        (project / "test_one.py").write_text("def test_one():\n    assert 1 + 1 == 2\n", encoding="utf-8")
        done = run(["-m", "pytest", "-q", "--record-mode", "none", *extra], project)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "1 passed" in done.stdout
        listings[name] = sorted(str(p.relative_to(project)) for p in project.rglob("*") if "__pycache__" not in p.parts)
    assert listings["with"] == listings["without"]
    assert not any(".hypothesis" in p for p in listings["with"])


def test_the_readme_live_example_runs_in_this_checkout_without_the_test_extra(tmp_path: Path) -> None:
    """README's live example, as written, from this repository's root, with only the runtime dependencies (the
    wheel's virtualenv has none of the test extra's xdist, playwright or respx): the whole suite collects and the
    cases run."""
    from tests.fakes import FakeServer

    root = Path(__file__).resolve().parents[1]
    for module in ("xdist", "playwright", "respx"):  # the test extra's own (pytest-recording brings vcrpy along)
        missing = run(["-c", f"import {module}"], tmp_path)
        assert missing.returncode != 0, f"the wheel's virtualenv should not have the test extra ({module})"
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY") and k != "PYTHONPATH"}
    env["OPENAI_API_KEY"] = "fake-key"
    out = tmp_path / "results.json"
    with FakeServer("openai") as server:
        command = [
            python(), "-m", "pytest", "-m", "conformance", "--live", "--provider", "openai",
            "--base-url", f"openai={server.base_url}", f"--conformance-json={out}", "-p", "no:cacheprovider", "-q",
            "-k", "temperature or tools",
        ]  # fmt: skip
        done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "error" not in done.stdout.splitlines()[-1]
    assert out.is_file()
