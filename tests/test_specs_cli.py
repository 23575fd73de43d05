"""Spec export, extends, init, configured spec paths, and the schema/enum agreement."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conformance.cli import commands as cli
from conformance.spec.loader import builtin_specs_dir, load_specs, spec_schema
from conformance.spec.model import STATUS_MEANINGS, EvidenceKind, Location, Sdk, Status

EXPORT_KEYS = {"id", "provider", "location", "field", "status", "params", "doc", "notes"}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_schema_enums_agree_with_python_enums() -> None:
    schema = spec_schema()
    claim = schema["$defs"]["claim"]["properties"]
    assert claim["status"]["enum"] == [s.value for s in Status]
    assert claim["location"]["enum"] == [loc.value for loc in Location]
    assert schema["$defs"]["evidence"]["properties"]["kind"]["enum"] == [k.value for k in EvidenceKind]
    assert schema["$defs"]["provider"]["properties"]["sdk"]["enum"] == [s.value for s in Sdk]


def test_every_status_has_one_written_meaning() -> None:
    assert set(STATUS_MEANINGS) == set(Status)
    doc = (Path(__file__).parents[1] / "docs" / "spec-format.md").read_text()
    for status in Status:
        assert f"| `{status.value}` |" in doc, f"docs/spec-format.md does not define {status.value}"


def test_builtin_specs_load_clean() -> None:
    result = load_specs()
    assert result.problems == ()
    assert {s.provider.id for s in result.specs} >= {
        "anthropic-openai",
        "gemini-openai",
        "anthropic",
        "gemini",
        "openai",
    }
    assert builtin_specs_dir().is_dir()


def test_specs_json_has_exactly_the_documented_keys(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "specs", "--json")
    assert code == 0
    claims = json.loads(out)
    assert claims
    for claim in claims:
        assert set(claim) == EXPORT_KEYS
        assert set(claim["doc"]) == {"url", "quote", "source"}
    assert len({c["id"] for c in claims}) == len(claims)


def test_specs_filters_by_provider(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "specs", "--json", "--provider", "gemini")
    assert code == 0
    assert {c["provider"] for c in json.loads(out)} == {"gemini"}
    code, _, err = run(capsys, "specs", "--provider", "nope")
    assert code == 2
    assert "unknown provider nope" in err


def test_specs_table_lists_claims(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "specs", "--provider", "anthropic-openai")
    assert code == 0
    assert "anthropic-openai.request.temperature" in out
    assert "capped" in out


GATEWAY = """\
spec_version: 1
extends: openai
exclude: [request.logit_bias]
provider:
  id: my-gateway
  title: My gateway
  base_url: http://127.0.0.1:4000/v1/
claims:
  - id: my-gateway.request.seed
    location: request
    field: seed
    status: ignored
    doc: {url: https://wiki.example/gw, source: gateway wiki, quote: "seed is dropped"}
  - id: my-gateway.request.temperature
    location: request
    field: temperature
    status: capped
    params: {min: 0, max: 1}
    doc: {url: https://wiki.example/gw, source: gateway wiki, quote: "temperature is capped at 1"}
"""


def test_spec_extending_openai_overrides_two_claims(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "my-gateway.yaml"
    spec.write_text(GATEWAY)
    assert run(capsys, "lint", str(spec))[0] == 0
    code, out, _ = run(capsys, "specs", "--json", "--specs", str(spec), "--provider", "my-gateway")
    assert code == 0
    resolved = {c["id"]: c for c in json.loads(out)}
    code, out, _ = run(capsys, "specs", "--json", "--provider", "openai")
    parent = {c["id"]: c for c in json.loads(out)}
    # every inherited claim is there under the child's prefix, except the excluded one
    expected = {cid.replace("openai.", "my-gateway.", 1) for cid in parent} - {"my-gateway.request.logit_bias"}
    assert set(resolved) == expected
    assert resolved["my-gateway.request.seed"]["status"] == "ignored"
    assert resolved["my-gateway.request.seed"]["doc"]["source"] == "gateway wiki"
    assert resolved["my-gateway.request.temperature"]["params"] == {"min": 0, "max": 1}
    untouched = "my-gateway.request.top_p"
    assert resolved[untouched]["status"] == parent["openai.request.top_p"]["status"]
    assert resolved[untouched]["provider"] == "my-gateway"
    header = load_specs([spec]).spec("my-gateway").provider
    assert header.sdk is Sdk.OPENAI
    assert header.base_url == "http://127.0.0.1:4000/v1/"
    assert header.api_key_env == ("OPENAI_API_KEY",)


def test_init_writes_a_spec_that_lints_clean(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "edge.yaml"
    code, out, _ = run(capsys, "init", "edge", "--extends", "openai", "-o", str(target))
    assert code == 0
    assert "conformance lint" in out
    text = target.read_text()
    assert "extends: openai" in text
    assert "# " in text  # it explains its keys
    assert run(capsys, "lint", str(target))[0] == 0
    # refuses to overwrite without --force, and rejects bad names and parents
    assert run(capsys, "init", "edge", "-o", str(target))[0] == 1
    assert run(capsys, "init", "Bad Name", "-o", str(tmp_path / "x.yaml"))[0] == 2
    assert run(capsys, "init", "edge2", "--extends", "nothing", "-o", str(tmp_path / "y.yaml"))[0] == 2


def test_tool_conformance_specs_are_found(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "gw").mkdir()
    (tmp_path / "gw" / "my-gateway.yaml").write_text(GATEWAY)
    (tmp_path / "pyproject.toml").write_text('[tool.conformance]\nspecs = ["gw"]\n')
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        code, out, _ = run(capsys, "specs", "--json", "--provider", "my-gateway")
    finally:
        os.chdir(old)
    assert code == 0
    assert any(c["id"] == "my-gateway.request.seed" for c in json.loads(out))


def test_bad_tool_config_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.conformance]\nspecs = 3\n")
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        code, _, err = run(capsys, "specs")
    finally:
        os.chdir(old)
    assert code == 2
    assert "pyproject.toml" in err
    assert "specs must be a list" in err
