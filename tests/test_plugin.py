"""The plugin as a pytest user meets it: ids, -k, -m, options, skip reasons, the results file."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from conformance.results.model import results_schema

pytest_plugins = ["pytester"]

CASES = "from conformance.cases import test_claim, test_claim_async  # noqa: F401\n"
KEYS = ("ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "OPENAI_API_KEY")


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    for key in KEYS:
        monkeypatch.delenv(key, raising=False)
    pytester.makepyfile(test_generated_cases=CASES)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    return pytester


def test_one_case_per_claim_with_the_claim_id_in_the_test_id(project: pytest.Pytester) -> None:
    result = project.runpytest("--collect-only", "-q", "--provider", "anthropic-openai")
    assert result.ret == 0
    ids = [line for line in result.outlines if "::" in line]
    assert "test_generated_cases.py::test_claim[anthropic-openai.request.temperature]" in ids
    assert any("test_claim_async[anthropic-openai.endpoint.post-v1-chat-completions@async]" in i for i in ids)
    assert all("anthropic-openai." in i for i in ids)


def test_k_selects_by_claim(project: pytest.Pytester) -> None:
    result = project.runpytest("--collect-only", "-q", "-k", "temperature")
    ids = [line for line in result.outlines if "::" in line]
    assert ids
    assert all("temperature" in i for i in ids)
    providers = {i.split("[")[1].split(".")[0] for i in ids}
    assert {"anthropic-openai", "openai"} <= providers


def test_markers_select_provider_and_location(project: pytest.Pytester) -> None:
    result = project.runpytest("--collect-only", "-q", "-m", "conformance and gemini_openai and header")
    ids = [line for line in result.outlines if "::" in line]
    assert ids == [i for i in ids if ".header." in i and "gemini-openai." in i]
    everything = project.runpytest("--collect-only", "-q", "-m", "conformance")
    assert len([line for line in everything.outlines if "::" in line]) > 300


def test_without_live_every_case_skips_with_a_reason(project: pytest.Pytester) -> None:
    result = project.runpytest("-rs", "--provider", "anthropic-openai")
    assert result.ret == 0
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) == 0
    assert outcomes["skipped"] > 50
    result.stdout.fnmatch_lines(
        [
            "*no recording: run `pytest --live --record-mode once --provider anthropic-openai` with ANTHROPIC_API_KEY set*"
        ]
    )
    result.stdout.fnmatch_lines(["*not testable: *"])


def test_live_without_a_key_names_the_env_var(project: pytest.Pytester) -> None:
    result = project.runpytest("-rs", "--live", "--provider", "gemini-openai", "-k", "endpoint")
    result.stdout.fnmatch_lines(["*no API key for gemini-openai: set GOOGLE_API_KEY or GEMINI_API_KEY*"])
    result = project.runpytest("-rs", "--live", "--provider", "anthropic-openai", "-k", "seed")
    result.stdout.fnmatch_lines(["*set ANTHROPIC_API_KEY*"])


def test_expensive_cases_are_opt_in(project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "x")
    result = project.runpytest("-rs", "--live", "--provider", "anthropic", "-m", "expensive")
    assert result.parseoutcomes().get("skipped", 0) >= 1


def test_results_file_validates_against_its_schema(project: pytest.Pytester) -> None:
    out = project.path / "out" / "results.json"
    result = project.runpytest("--provider", "anthropic-openai", "--conformance-json", str(out))
    assert result.ret == 0
    data = json.loads(out.read_text())
    jsonschema.validate(data, results_schema())
    assert data["run"]["mode"] == "offline"
    assert data["run"]["providers"]["anthropic-openai"]["base_url_host"] == "api.anthropic.com"
    untestable = [r for r in data["results"] if not r["testable"]]
    assert untestable
    assert all(r["outcome"] == "skip" and r["message"].startswith("not testable:") for r in untestable)
    assert {r["claim"] for r in data["results"]} >= {
        "anthropic-openai.request.temperature",
        "anthropic-openai.request.n",
    }


def test_bad_options_are_usage_errors(project: pytest.Pytester) -> None:
    result = project.runpytest("--provider", "nope")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown provider 'nope'*"])
    result = project.runpytest("--base-url", "anthropic-openai")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*expected NAME=VALUE*"])


def test_a_bad_extra_spec_is_a_located_usage_error(project: pytest.Pytester) -> None:
    bad = project.path / "bad.yaml"
    bad.write_text("spec_version: 1\nprovider: [\n")
    result = project.runpytest("--specs", str(bad))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{bad}:*: invalid YAML*"])


def test_tool_conformance_table_sets_options(project: pytest.Pytester) -> None:
    project.makepyprojecttoml('[tool.conformance]\nprovider = ["gemini"]\n')
    result = project.runpytest("--collect-only", "-q")
    ids = [line for line in result.outlines if "::" in line]
    assert ids
    assert all("[gemini." in i for i in ids)


def test_harness_files_are_where_the_docs_say() -> None:
    root = Path(__file__).parents[1]
    assert (root / "src" / "conformance" / "schemas" / "results.schema.json").is_file()
    assert (root / "src" / "conformance" / "specs" / "schema.json").is_file()
    assert (root / "src" / "conformance" / "py.typed").is_file()


# The misread run loses its ini file, and with it pytest-asyncio's loop-scope setting: that is the point.
@pytest.mark.filterwarnings('ignore:The configuration option "asyncio_default_fixture_loop_scope" is unset')
def test_a_path_option_pytest_misreads_is_named_with_the_fix(
    project: pytest.Pytester, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """pytest picks its rootdir before it knows plugin options: ``--conformance-json /elsewhere/x.json`` (an
    existing file outside the folder) moves it. The run says so and how to write the option instead."""
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "results.json"
    elsewhere.write_text("{}")
    scope = ("-o", "asyncio_default_fixture_loop_scope=function")  # the misread run loses its ini file: the point
    result = project.runpytest("--collect-only", "-q", *scope, "--conformance-json", str(elsewhere))
    result.stdout.fnmatch_lines([f"*pytest read {elsewhere} as a test path*write --conformance-json={elsewhere}*"])
    fine = project.runpytest("--collect-only", "-q", f"--conformance-json={elsewhere}")
    assert "as a test path" not in fine.stdout.str()


def test_a_bad_tool_conformance_table_names_its_file(project: pytest.Pytester) -> None:
    pyproject = project.makepyprojecttoml('[tool.conformance]\nrecordmode = "once"\n')
    result = project.runpytest("--collect-only", "-q")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{pyproject}: [[]tool.conformance[]] has no key 'recordmode'; the keys are *"])
    project.makepyprojecttoml('[tool.conformance]\nrecord_mode = "bogus"\n')
    result = project.runpytest("--collect-only", "-q")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*record mode 'bogus': expected one of none, once, new_episodes, all*{pyproject}*"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--base-url", "openai=foo"], "*--base-url openai=foo: expected an http:// or https:// URL with a host*"),
        (["--base-url", "openai=ftp://host/"], "*expected an http:// or https:// URL with a host*"),
        (["--base-url=openai=http://[::1/v1"], "*--base-url openai=http://[[]::1/v1: not a URL*"),
        (["--conformance-timeout", "-5"], "*--conformance-timeout -5.0: expected a number of seconds above zero*"),
        (["--conformance-timeout", "0"], "*above zero*"),
        (["--conformance-concurrency", "0"], "*--conformance-concurrency 0: expected at least 1*"),
        (["--conformance-max-requests", "0"], "*--conformance-max-requests 0: expected at least 1*"),
        (["--conformance-retries", "-1"], "*--conformance-retries -1: expected zero or more*"),
        (["--conformance-key-env", "nope=X"], "*unknown provider 'nope'*"),
    ],
)
def test_options_that_cannot_work_are_refused_up_front(project: pytest.Pytester, args: list[str], message: str) -> None:
    result = project.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])
    assert "Traceback" not in result.stderr.str()
