"""The plugin in other people's projects: their conftest options, pytest-recording, their config, their folders.

Installing the package must leave every other project's pytest run working and unchanged: the harness registers
only ``--conformance-*`` options up front, adds the short spellings where nothing else owns them, and reads specs
and ``[tool.conformance]`` only when a run collects conformance cases or names a harness option.
"""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

CASES = "from conformance.cases import test_claim, test_claim_async  # noqa: F401\n"
INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"
THEIR_CONFTEST = """
import pytest

def pytest_addoption(parser):
    parser.addoption("--live", action="store_true", default=False, help="their live tests")
    parser.addoption("--provider", default="local", help="their provider")
    parser.addoption("--model", default="small", help="their model")

@pytest.fixture
def their_options(request):
    return (request.config.getoption("live"), request.config.getoption("provider"), request.config.getoption("model"))
"""
THEIR_TEST = """
def test_theirs(their_options):
    assert their_options == (True, "remote", "big")
"""


@pytest.fixture
def their_project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini(INI)
    pytester.makeconftest(THEIR_CONFTEST)
    pytester.makepyfile(test_theirs=THEIR_TEST)
    return pytester


def test_a_conftest_that_owns_live_provider_and_model_keeps_them(their_project: pytest.Pytester) -> None:
    result = their_project.runpytest("--live", "--provider", "remote", "--model", "big", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_the_harness_stays_reachable_under_its_canonical_names_beside_such_a_conftest(
    their_project: pytest.Pytester,
) -> None:
    their_project.makepyfile(test_generated_cases=CASES)
    result = their_project.runpytest(
        "--live", "--provider", "remote", "--model", "big",
        "--conformance-provider", "gemini", "-m", "conformance or not conformance", "-q", "--collect-only",
    )  # fmt: skip
    assert result.ret == 0
    ids = [line for line in result.outlines if "::test_claim" in line]
    assert ids
    assert all("[gemini." in i for i in ids)
    assert any("test_theirs" in line for line in result.outlines)


def test_offline_skips_name_the_canonical_option_when_live_belongs_to_the_conftest(
    their_project: pytest.Pytester,
) -> None:
    their_project.makepyfile(test_generated_cases=CASES)
    result = their_project.runpytest(
        "--live", "--provider", "remote", "--model", "big", "--conformance-provider", "openai", "-rs",
        "-k", "openai.request.temperature",
    )  # fmt: skip
    assert result.ret == 0
    text = result.stdout.str()
    assert "--conformance-live" in text


def test_short_names_are_the_harness_where_nothing_else_owns_them(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(test_generated_cases=CASES)
    result = pytester.runpytest("--provider", "gemini", "--collect-only", "-q")
    ids = [line for line in result.outlines if "::" in line]
    assert ids
    assert all("[gemini." in i for i in ids)


def test_pytest_recording_and_the_harness_share_record_mode(pytester: pytest.Pytester) -> None:
    """pytest-recording owns ``--record-mode`` (same VCR.py names): one option serves both, no crash."""
    pytest.importorskip("pytest_recording")
    pytester.makeini(INI)
    pytester.makepyfile(
        test_vcr="""
        def test_vcr_sees_it(record_mode):
            assert record_mode == "once"
        """
    )
    pytester.makepyfile(test_generated_cases=CASES)
    json_path = pytester.path / "out.json"
    result = pytester.runpytest(
        "--record-mode", "once", "--conformance-provider", "openai", "-k", "vcr_sees_it or openai.request.temperature",
        f"--conformance-json={json_path}", "-p", "recording",
    )  # fmt: skip
    assert result.ret == 0, result.stdout.str()
    result.assert_outcomes(passed=1, skipped=1)
    help_text = pytester.runpytest("--help", "-p", "recording").stdout.str()
    assert "--conformance-record-mode" in help_text


def test_an_unrelated_run_reads_no_spec_and_ignores_a_bad_tool_table(pytester: pytest.Pytester) -> None:
    """A project with a broken ``[tool.conformance]`` (or none) and no conformance case: its run is untouched."""
    pytester.makepyprojecttoml(
        '[tool.pytest.ini_options]\nasyncio_default_fixture_loop_scope = "function"\n'
        '[tool.conformance]\nrecordmode = "once"\nspecs = ["missing/"]\n'
    )
    pytester.makepyfile(test_plain="def test_one():\n    assert 1 + 1 == 2\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert result.ret == 0


def test_a_bad_tool_table_fails_only_the_run_that_collects_conformance_cases(pytester: pytest.Pytester) -> None:
    pyproject = pytester.makepyprojecttoml('[tool.conformance]\nrecordmode = "once"\n')
    pytester.makeini(INI)
    pytester.makepyfile(test_plain="def test_one():\n    assert True\n", test_generated_cases=CASES)
    plain = pytester.runpytest("test_plain.py")
    plain.assert_outcomes(passed=1)
    both = pytester.runpytest()
    assert both.ret == pytest.ExitCode.USAGE_ERROR
    both.stderr.fnmatch_lines([f"*{pyproject}: [[]tool.conformance[]] has no key 'recordmode'*"])


def test_a_run_leaves_nothing_behind_but_what_was_asked_for(pytester: pytest.Pytester) -> None:
    """No ``.hypothesis/``, no cassettes, no reports: only the results file the run asked for."""
    pytester.makeini(INI)
    pytester.makepyfile(test_generated_cases=CASES)
    before = {p.name for p in pytester.path.iterdir()}
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "--conformance-provider", "openai", "--conformance-json=results.json"
    )
    assert result.ret == 0
    after = {p.name for p in pytester.path.iterdir()}
    assert after - before == {"results.json"}
