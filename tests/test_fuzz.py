"""Fuzzing the commands with mutated inputs: no traceback, no hang, no memory blow-up, no good input lost.

Hypothesis mutates a spec, a cassette, a real recording and a results file, both as bytes (hostile characters,
cut and repeated slices) and as data (a value replaced by a hostile one: deep nesting, an alias bomb, a NUL, a
huge string, a wrong type). Each mutated file goes through ``conformance lint`` / ``audit`` / ``report`` / ``diff``
in a child process capped at 1 GiB of address space and stopped after a time-out (:mod:`hostile`), beside a good
file that must still be read. Few examples, derandomized, no example database (nothing is written to the working
directory), no shrinking: the whole file stays within about two minutes of CI time.
"""

from __future__ import annotations

import copy
import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from hostile import GOOD_CASSETTE, ROOT, Ran, alias_bomb_spec, cassette_with_body, conformance, gzip_bomb
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from conformance.report.synthetic import synthetic_results
from conformance.spec.template import render_template

GOOD_BESIDE = ROOT / "tests" / "data" / "recordings" / "ruby-vcr" / "anthropic_messages.yml"
IMPORTED = ROOT / "cassettes" / "imported" / "gemini"
IMPORTED_RECORDING = min(IMPORTED.glob("*.yaml"), key=lambda p: p.stat().st_size) if IMPORTED.is_dir() else None


def fuzz_settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


@contextmanager
def workdir() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="conformance-fuzz-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --- mutations -----------------------------------------------------------------------------------------------------

HOSTILE_CHARS = "\x00\x07\t\n\r :-[]{}&*!|>'\"#%@`,?\\/é😀\ufeff\u2028"
PAYLOADS = [
    "\x00",
    "[" * 5000,
    "{a: " * 3000,
    "]" * 50,
    "&a [*a]",
    "*undefined",
    "!!binary ***",
    "!!python/object:os.system ls",
    "\ufeff",
    "x" * 200_000,
    "\n" + alias_bomb_spec(7),
    "- " * 2000,
    '"\\',
    "<<: *a0\n",
]
HOSTILE_VALUES: list[Any] = [
    None,
    True,
    -1,
    1e308,
    "",
    "\x00",
    "banana",
    "x" * 100_000,
    [],
    {},
    ["x"] * 5,
    {"": None},
    "http://[::1",
]


def _nested(depth: int) -> Any:
    value: Any = "deep"
    for _ in range(depth):
        value = [value]
    return value


hostile_value = st.one_of(
    st.sampled_from(HOSTILE_VALUES),
    st.integers(min_value=50, max_value=400).map(_nested),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(alphabet=HOSTILE_CHARS, max_size=20),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
        max_leaves=8,
    ),
)


@st.composite
def byte_edits(draw: st.DrawFn, text: str) -> str:
    """``text`` with one to three slices replaced by hostile characters, a payload, nothing, or a repeated slice."""
    for _ in range(draw(st.integers(1, 3))):
        start = draw(st.integers(0, len(text)))
        end = min(len(text), start + draw(st.integers(0, 40)))
        new = draw(
            st.one_of(
                st.text(alphabet=HOSTILE_CHARS, max_size=12),
                st.sampled_from(PAYLOADS),
                st.just(""),
                st.just(text[start:end] * 50),
            )
        )
        text = text[:start] + new + text[end:]
    return text


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found.extend(_paths(value, (*prefix, key)))
    elif isinstance(data, list):
        for index, value in enumerate(data[:5]):
            found.extend(_paths(value, (*prefix, index)))
    return found


@st.composite
def value_edits(draw: st.DrawFn, data: Any) -> Any:
    """``data`` (parsed YAML or JSON) with one to three values replaced by hostile ones."""
    data = copy.deepcopy(data)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(data)))
        value = draw(hostile_value)
        if not path:
            data = value
            continue
        parent = data
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = value
    return data


def yaml_mutation(text: str) -> st.SearchStrategy[str]:
    def dump(data: Any) -> str:
        try:
            return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
        except (yaml.YAMLError, RecursionError):
            return text + "\n# not dumpable\n"

    return st.one_of(byte_edits(text), value_edits(yaml.safe_load(text)).map(dump))


def json_mutation(text: str) -> st.SearchStrategy[str]:
    def dump(data: Any) -> str:
        try:
            return json.dumps(data)
        except (ValueError, RecursionError):
            return text[:-1]

    return st.one_of(byte_edits(text), value_edits(json.loads(text)).map(dump))


def _no_crash(ran: Ran, codes: tuple[int, ...]) -> None:
    assert not ran.crashed, f"exit {ran.code}\n{ran.err[-3000:]}"
    assert ran.code in codes, f"exit {ran.code}\n{ran.err[-3000:]}"


# --- the four inputs -----------------------------------------------------------------------------------------------

SPEC = render_template("fuzzed", "openai", "fuzzed.yaml")


@fuzz_settings(10)
@given(text=yaml_mutation(SPEC))
def test_lint_survives_a_mutated_spec_and_still_reads_the_others(text: str) -> None:
    with workdir() as folder:
        spec = folder / "fuzzed.yaml"
        spec.write_text(text, encoding="utf-8", errors="surrogatepass")
        ran = conformance("lint", spec, cwd=folder)
        _no_crash(ran, (0, 1))
        problems = [line for line in ran.err.splitlines() if not line.endswith("spec file(s)")]
        assert all(line.startswith(str(spec)) for line in problems), "a problem outside the mutated spec"
        assert all(len(line) < 1200 for line in problems), "a message that echoes the input"


def _audit_beside_a_good_file(text: str, name: str) -> None:
    with workdir() as folder:
        recordings = folder / "recordings"
        recordings.mkdir()
        (recordings / name).write_text(text, encoding="utf-8", errors="surrogatepass")
        shutil.copy(GOOD_BESIDE, recordings / "good.yml")
        out = folder / "audit.json"
        ran = conformance("audit", recordings, "--json", out, cwd=folder)
        _no_crash(ran, (0,))
        files = {r["evidence"]["file"] for r in json.loads(out.read_text(encoding="utf-8"))["results"]}
        assert "good.yml" in files, "the good recording beside the mutated one was not audited"


CASSETTE = GOOD_CASSETTE.read_text(encoding="utf-8")


@fuzz_settings(5)
@given(
    text=st.one_of(
        yaml_mutation(CASSETTE),
        st.just(cassette_with_body(gzip_bomb(1 << 27), "gzip")),
    )
)
def test_audit_survives_a_mutated_cassette_and_audits_the_good_file_beside_it(text: str) -> None:
    _audit_beside_a_good_file(text, "fuzzed.yaml")


RECORDING = IMPORTED_RECORDING.read_text(encoding="utf-8") if IMPORTED_RECORDING else CASSETTE


@fuzz_settings(5)
@given(text=yaml_mutation(RECORDING))
def test_audit_survives_a_mutated_recording_and_audits_the_good_file_beside_it(text: str) -> None:
    _audit_beside_a_good_file(text, "recording.yaml")


RESULTS = json.dumps(synthetic_results(3, providers=1))


@fuzz_settings(6)
@given(text=json_mutation(RESULTS))
def test_report_and_diff_survive_a_mutated_results_file_and_keep_the_good_one(text: str) -> None:
    with workdir() as folder:
        good, fuzzed = folder / "good.json", folder / "fuzzed.json"
        good.write_text(RESULTS, encoding="utf-8")
        fuzzed.write_text(text, encoding="utf-8", errors="surrogatepass")
        ran = conformance("report", good, fuzzed, "-o", folder / "out", cwd=folder)
        _no_crash(ran, (0, 2))
        assert "synthetic-0" in ran.out, "the good results file is missing from the report"
        assert (folder / "out" / "index.html").is_file()
        _no_crash(conformance("diff", good, fuzzed, cwd=folder), (0, 1, 2))
