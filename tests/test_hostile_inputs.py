"""Hostile input ends in a short, located message, bounded time and memory, and nothing else is lost.

The bombs run in a child process (:mod:`hostile`) so their peak memory is measured, not guessed; the CPU time is
measured rather than the wall time, which a loaded CI machine stretches.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import brotli
import pytest
import yaml
from hostile import GOOD_CASSETTE, alias_bomb_spec, cassette_with_body, conformance, gzip_bomb

from conformance.bounded import MAX_DEPTH, LimitExceeded, check_yaml_nodes, clip, loads
from conformance.cli.commands import main
from conformance.recordings import read_all
from conformance.report import ReportError, load_report
from conformance.report.synthetic import synthetic_results
from conformance.results.outputs import is_special, write_text

BOMB_PEAK_MB = 200
BOMB_CPU_S = 5.0


def _lines_short(text: str, limit: int = 600) -> bool:
    return all(len(line) <= limit for line in text.splitlines())


# --- bombs, measured ----------------------------------------------------------------------------------------------


def test_alias_bomb_spec_is_one_short_located_problem_in_bounded_time_and_memory(tmp_path: Path) -> None:
    spec = tmp_path / "bomb.yaml"
    spec.write_text(alias_bomb_spec(), encoding="utf-8")
    ran = conformance("lint", spec, cwd=tmp_path)
    assert ran.answered(1), ran.err
    assert f"{spec}:" in ran.err
    assert "aliases add" in ran.err
    assert "alias bomb" in ran.err
    assert _lines_short(ran.err)
    assert ran.peak_mb < BOMB_PEAK_MB, ran.peak_mb
    assert ran.cpu_s < BOMB_CPU_S, ran.cpu_s


def test_a_huge_value_is_quoted_in_a_few_hundred_characters(tmp_path: Path) -> None:
    """A schema error quotes the offending value; a 100 KB value is cut, not echoed (it used to print 706 KB)."""
    spec = tmp_path / "big.yaml"
    big = json.dumps(["x" * 50] * 2000)
    spec.write_text(f"spec_version: 1\nprovider: {big}\nclaims: []\n", encoding="utf-8")
    assert main(["lint", str(spec)]) == 1
    ran = conformance("lint", spec, cwd=tmp_path)
    assert str(spec) in ran.err
    assert "more characters" in ran.err
    assert _lines_short(ran.err)


def test_gzip_bomb_is_stopped_at_the_body_limit_with_a_warning_and_the_good_file_beside_it_is_audited(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "recordings"
    folder.mkdir()
    (folder / "bomb.yaml").write_text(cassette_with_body(gzip_bomb(), "gzip"), encoding="utf-8")
    (folder / "good.yaml").write_text(GOOD_CASSETTE.read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "audit.json"
    ran = conformance("audit", folder, "--json", out, cwd=tmp_path)
    assert ran.answered(0), ran.err
    assert "bomb.yaml:" in ran.err
    assert "decompresses to more than 64 MiB" in ran.err
    assert {r["evidence"]["file"] for r in json.loads(out.read_text(encoding="utf-8"))["results"]} == {"good.yaml"}
    bomb_only = conformance("audit", folder / "bomb.yaml", cwd=tmp_path)
    assert "decompresses to more than 64 MiB" in bomb_only.err
    assert bomb_only.peak_mb < BOMB_PEAK_MB, bomb_only.peak_mb
    assert bomb_only.cpu_s < BOMB_CPU_S, bomb_only.cpu_s


def test_brotli_bomb_is_stopped_too(tmp_path: Path) -> None:
    path = tmp_path / "br.yaml"
    path.write_text(cassette_with_body(brotli.compress(b"\0" * (1 << 28), quality=5), "br"), encoding="utf-8")
    recordings, _warnings = read_all([path])
    assert recordings[0].interactions[0].unreadable is not None
    assert "decompresses to more than 64 MiB" in recordings[0].interactions[0].unreadable


# --- one bad recording costs one file --------------------------------------------------------------------------------

GOOD = GOOD_CASSETTE.read_text(encoding="utf-8")
BAD_RECORDINGS = [
    pytest.param(GOOD.replace("Say hi", "Say\0hi"), "character #x0000 is not allowed", id="nul-byte"),
    pytest.param(GOOD.replace("status:\n", "status:\n      x: " + "[" * 5000 + "]" * 5000 + "\n"), "deeper", id="deep"),
    pytest.param(GOOD.replace("code: 200", "code: &a [*a]"), "loop", id="alias-loop"),
    pytest.param(GOOD.replace("https://api.openai.com/v1/chat/completions", "'http://[::1'"), "not a URL", id="url"),
]


@pytest.mark.parametrize(("text", "expected"), BAD_RECORDINGS)
def test_a_bad_recording_is_one_located_warning_and_the_others_are_read(
    tmp_path: Path, text: str, expected: str
) -> None:
    (tmp_path / "bad.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "good.yaml").write_text(GOOD, encoding="utf-8")
    recordings, warnings = read_all([tmp_path])
    assert [r.path.name for r in recordings] == ["good.yaml"]
    assert len(warnings) == 1
    assert warnings[0].startswith(f"{tmp_path / 'bad.yaml'}:")
    assert expected in warnings[0]
    assert len(warnings[0]) < 600


def test_a_json_body_nested_100000_deep_is_not_audited_and_says_why(tmp_path: Path) -> None:
    deep = GOOD.replace(
        '"max_completion_tokens": 5}', '"max_completion_tokens": 5, "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    )
    (tmp_path / "deep.yaml").write_text(deep, encoding="utf-8")
    out = tmp_path / "audit.json"
    ran = conformance("audit", tmp_path / "deep.yaml", "--json", out, cwd=tmp_path)
    assert ran.answered(0), ran.err
    assert f"request body nests deeper than {MAX_DEPTH} levels" in ran.err
    assert json.loads(out.read_text(encoding="utf-8"))["results"] == []


# --- limits, directly ----------------------------------------------------------------------------------------------


def test_bounded_json_refuses_deep_nesting_but_not_brackets_in_strings() -> None:
    with pytest.raises(LimitExceeded):
        loads("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))
    assert loads(json.dumps({"a": "[" * 10_000})) == {"a": "[" * 10_000}
    assert isinstance(loads("[" * MAX_DEPTH + "]" * MAX_DEPTH), list)  # exactly the limit is fine
    with pytest.raises(ValueError):
        loads("[" * 200_000)


def test_yaml_limits_name_the_place() -> None:
    check_yaml_nodes(yaml.compose("a: &x [1, 2]\nb: [*x, *x]\n"))  # a few aliases are fine
    with pytest.raises(LimitExceeded, match="a loop") as loop:
        check_yaml_nodes(yaml.compose("a: 1\nb: &x [1, *x]\n"))
    assert (loop.value.line, loop.value.col) == (2, 4)
    with pytest.raises(LimitExceeded, match="nests deeper") as deep:
        check_yaml_nodes(yaml.compose("a:\n  b: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n"))
    assert deep.value.line == 2
    with pytest.raises(LimitExceeded, match="with its aliases expanded"):
        check_yaml_nodes(yaml.compose("a: &x " + "[" * 60 + "]" * 60 + "\nb: " + "[" * 60 + "*x" + "]" * 60 + "\n"))


def test_clip_says_how_much_it_left_out() -> None:
    assert clip("abc", 5) == "abc"
    assert clip("x" * 1000, 10) == "x" * 10 + "… (990 more characters)"


# --- results files ---------------------------------------------------------------------------------------------------


def _results(tmp_path: Path, name: str, change: object = None) -> Path:
    doc = synthetic_results(4)
    if callable(change):
        change(doc)
    path = tmp_path / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


BAD_RESULTS = [
    pytest.param(
        lambda d: d["results"][1].update(outcome="banana"), "record 2: outcome 'banana' is not one of", id="banana"
    ),
    pytest.param(lambda d: d["results"][0].update(outcome=5), "record 1: outcome 5 is not one of", id="number"),
    pytest.param(lambda d: d["run"].update(providers="x"), "run.providers is 'x', not of type object", id="providers"),
    pytest.param(lambda d: d["results"][2].update(observed="string"), "record 3: observed is 'string'", id="observed"),
    pytest.param(
        lambda d: d["results"][0].update(values={"v": json.loads("[" * 500 + "]" * 500)}), "nests deeper", id="deep"
    ),
]


@pytest.mark.parametrize(("change", "expected"), BAD_RESULTS)
def test_a_bad_results_file_is_named_with_the_record_and_report_renders_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: object, expected: str
) -> None:
    bad, good = _results(tmp_path, "bad.json", change), _results(tmp_path, "good.json")
    with pytest.raises(ReportError, match=expected):
        load_report([bad])
    assert main(["report", str(good), str(bad), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"{bad}: " in err
    assert expected in err
    assert "left out" in err
    assert (tmp_path / "out" / "index.html").is_file()
    assert main(["diff", str(good), str(bad)]) == 2
    assert expected in capsys.readouterr().err


# --- output paths ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["audit", str(GOOD_CASSETTE), "--json", "{tmp}"], "is a folder"),
        (["audit", str(GOOD_CASSETTE), "--json", "/dev/null/x.json"], "/dev/null is not a folder"),
        (["audit", str(GOOD_CASSETTE), "--json", "{tmp}/file/x.json"], "is not a folder"),
        (["report", "{tmp}/r.json", "-o", "{tmp}/file"], "is a file, not a folder"),
        (["diff", "{tmp}/r.json", "{tmp}/r.json", "--markdown", "{tmp}"], "is a folder"),
        (["init", "mine", "-o", "{tmp}"], "is a folder"),
    ],
    ids=["json-folder", "json-under-dev-null", "json-under-file", "report-o-file", "diff-md-folder", "init-o-folder"],
)
def test_a_bad_output_path_is_one_message_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], expected: str
) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")
    _results(tmp_path, "r.json")
    assert main([a.replace("{tmp}", str(tmp_path)) for a in args]) == 2
    assert expected in capsys.readouterr().err


def test_missing_parent_folders_are_created_and_files_replaced_atomically(tmp_path: Path) -> None:
    target = tmp_path / "new" / "deeper" / "r.json"
    write_text(target, "one")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    write_text(link, "two")
    assert link.is_symlink()
    assert target.read_text(encoding="utf-8") == "two"
    assert sorted(p.name for p in target.parent.iterdir()) == ["r.json"]  # no temporary file left


@contextlib.contextmanager
def _dev_stdout_guard() -> Iterator[None]:
    """Puts ``/dev/stdout`` back if the code under test replaced it (the bug this test is about: as root a rename
    turned the link into a plain file, and every later write to /dev/stdout on the machine went into that file)."""
    link = os.readlink("/dev/stdout") if os.path.islink("/dev/stdout") else None
    try:
        yield
    finally:
        if link is not None and not os.path.islink("/dev/stdout"):
            os.unlink("/dev/stdout")
            os.symlink(link, "/dev/stdout")
            pytest.fail("/dev/stdout was replaced by a plain file (now restored)")


def test_audit_json_to_dev_stdout_prints_the_results_and_leaves_the_device(tmp_path: Path) -> None:
    with _dev_stdout_guard():
        ran = conformance("audit", GOOD_CASSETTE, "--json", "/dev/stdout", cwd=tmp_path)
    assert ran.answered(0), ran.err
    assert json.loads(ran.out)["results"], "stdout is the results file alone (the summary went to stderr)"
    assert is_special(Path("/dev/stdout"))


def test_a_named_pipe_is_written_in_place(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        write_text(fifo, "results")
        assert os.read(reader, 100) == b"results"
        assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    finally:
        os.close(reader)
