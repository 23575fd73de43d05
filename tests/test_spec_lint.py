"""The spec linter: every kind of malformed spec gives one clear, located problem and no traceback."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conformance.cli import commands as cli

VALID = """\
spec_version: 1
provider:
  id: demo
  title: Demo
  sdk: openai
  base_url: http://127.0.0.1:9/v1/
  api_key_env: [DEMO_KEY]
  default_model: demo-model
claims:
  - id: demo.request.seed
    location: request
    field: seed
    status: ignored
    doc:
      url: https://example.invalid/docs
      source: demo docs
      quote: "seed is ignored"
"""

LOCATED = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): (?P<message>.+)$")


def lint(capsys: pytest.CaptureFixture[str], *paths: Path) -> tuple[int, list[re.Match[str]], str]:
    code = cli.main(["lint", *map(str, paths)])
    out, err = capsys.readouterr()
    problems = [m for m in map(LOCATED.match, err.splitlines()) if m]
    assert "Traceback" not in out + err
    return code, problems, out


def test_valid_spec_lints_clean(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "demo.yaml"
    spec.write_text(VALID)
    code, problems, out = lint(capsys, spec)
    assert (code, problems) == (0, [])
    assert "no problems" in out


MALFORMED = [
    # (name, text, expected line, words the message must contain)
    ("bad yaml", VALID.replace("    field: seed\n", "    field: [seed\n"), 13, "invalid YAML"),
    (
        "unknown key",
        VALID.replace("    field: seed\n", "    field: seed\n    colour: red\n"),
        13,
        "unknown key 'colour'",
    ),
    ("unknown status", VALID.replace("status: ignored", "status: ignord"), 13, "'ignord' is not one of"),
    ("unknown location", VALID.replace("location: request", "location: body"), 11, "'body' is not one of"),
    ("status missing params", VALID.replace("status: ignored", "status: capped"), 10, "status 'capped' needs params"),
    (
        "params missing a key",
        VALID.replace("status: ignored", "status: capped\n    params: {min: 0}"),
        14,
        "'max' is a required property",
    ),
    (
        "constant without value",
        VALID.replace("status: ignored", "status: constant\n    params: {}"),
        14,
        "params.value or params.length",
    ),
    (
        "doc without url",
        VALID.replace("      url: https://example.invalid/docs\n", ""),
        15,
        "'url' is a required property",
    ),
    ("doc without quote", VALID.replace('      quote: "seed is ignored"\n', ""), 15, "'quote' is a required property"),
    ("claim without doc", VALID.split("    doc:\n")[0], 10, "'doc' is a required property"),
    (
        "duplicate id",
        VALID + VALID.split("claims:\n")[1].replace("field: seed", "field: seed2"),
        18,
        "duplicate claim id 'demo.request.seed'",
    ),
    ("duplicate key", VALID.replace("  title: Demo\n", "  title: Demo\n  title: Again\n"), 5, "duplicate key 'title'"),
    ("id with wrong prefix", VALID.replace("id: demo.request.seed", "id: other.request.seed"), 10, "must start with"),
    ("id with bad characters", VALID.replace("id: demo.request.seed", "id: demo.request.Seed[]"), 10, "does not match"),
    ("extends names no spec", VALID.replace("provider:", "extends: nowhere\nprovider:", 1), 2, "names no spec"),
    ("not a mapping", "- just\n- a list\n", 1, "must be a YAML mapping"),
    ("empty file", "", 1, "must be a YAML mapping"),
    ("provider missing sdk", VALID.replace("  sdk: openai\n", ""), 3, "provider needs sdk"),
    (
        "exclude without extends",
        VALID.replace("provider:", "exclude: [request.seed]\nprovider:", 1),
        2,
        "only makes sense",
    ),
    (
        "provider id taken",
        VALID.replace("id: demo\n", "id: openai\n").replace("demo.request", "openai.request"),
        3,
        "already used",
    ),
    ("doc url not a url", VALID.replace("https://example.invalid/docs", "see the wiki"), 15, "does not match"),
    ("wrong spec_version", VALID.replace("spec_version: 1", "spec_version: 7"), 1, "spec_version"),
    (
        "unknown check",
        VALID.replace("    status: ignored\n", "    status: ignored\n    check: nope\n"),
        14,
        "no check named",
    ),
]


@pytest.mark.parametrize(("text", "line", "words"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_malformed_spec_gives_one_located_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, line: int, words: str
) -> None:
    spec = tmp_path / "demo.yaml"
    spec.write_text(text)
    code, problems, _ = lint(capsys, spec)
    assert code == 1
    assert len(problems) == 1, [p.group(0) for p in problems]
    problem = problems[0]
    assert Path(problem["file"]).resolve() == spec.resolve()
    assert int(problem["line"]) == line, problem.group(0)
    assert words in problem["message"], problem.group(0)


def test_extends_loop_is_reported_at_the_extends_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = VALID.replace("provider:", "extends: demo-b\nprovider:", 1)
    b = (
        a.replace("extends: demo-b", "extends: demo")
        .replace("id: demo\n", "id: demo-b\n")
        .replace("demo.request", "demo-b.request")
    )
    (tmp_path / "a.yaml").write_text(a)
    (tmp_path / "b.yaml").write_text(b)
    code, problems, _ = lint(capsys, tmp_path)
    assert code == 1
    assert problems
    assert all("makes a loop" in p["message"] and p["line"] == "2" for p in problems)


def test_unreadable_folder_argument_is_a_located_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, problems, _ = lint(capsys, tmp_path / "missing")
    assert code == 1
    assert len(problems) == 1
    assert "no such spec file or folder" in problems[0]["message"]


def test_all_problems_in_a_file_are_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = VALID.replace("status: ignored", "status: nope").replace("location: request", "location: nowhere")
    spec = tmp_path / "demo.yaml"
    spec.write_text(text)
    code, problems, _ = lint(capsys, spec)
    assert code == 1
    assert sorted(int(p["line"]) for p in problems) == [11, 13]
