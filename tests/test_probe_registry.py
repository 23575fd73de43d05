"""Probes by registered name: every probe the planner uses has one, a spec claim may name one with ``probe:``, and
neither the planner nor the passive checks dispatch on claim ids."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from conformance.audit import passive
from conformance.cli import commands as cli
from conformance.providers import registry
from conformance.providers.anthropic import jobs as anthropic_jobs
from conformance.providers.anthropic import probes as anthropic_native
from conformance.providers.gemini import probes as gemini_native
from conformance.providers.openai import jobs as openai_jobs
from conformance.providers.openai import probes as openai_compat
from conformance.run.plan import Untestable, Variant, plan
from conformance.spec.loader import load_specs
from conformance.spec.model import Sdk

SRC = Path(__file__).resolve().parents[1] / "src" / "conformance"
LOCATED = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): (?P<message>.+)$")

USER_SPEC = """\
spec_version: 1
extends: openai
provider:
  id: acme-gateway
  title: ACME's LLM gateway
  base_url: http://127.0.0.1:9/v1/
  api_key_env: [ACME_KEY]
claims:
  - id: acme-gateway.behavior.stops-early
    location: behavior
    field: stop
    status: supported
    probe: {probe}
    check: stop_effect
    doc:
      url: https://example.invalid/docs
      source: acme docs
      quote: "generation stops at the stop sequence"
"""


def _planned_variants() -> list[tuple[str, Sdk, Variant]]:
    """Every variant the planner gives a shipped claim, through its spec's SDK."""
    result = load_specs(())
    assert result.problems == ()
    return [
        (claim.id, spec.provider.sdk, variant)
        for spec in result.specs
        for claim in spec.claims
        if not isinstance(planned := plan(claim, spec.provider.sdk), Untestable)
        for variant in planned
    ]


def test_every_probe_the_planner_uses_is_registered_under_its_api() -> None:
    variants = _planned_variants()
    assert len(variants) > 300
    api = {Sdk.OPENAI: "openai", Sdk.ANTHROPIC: "anthropic", Sdk.GOOGLE_GENAI: "gemini"}
    for claim_id, sdk, variant in variants:
        name = variant.probe_name  # raises for an unregistered function
        entry = registry.get(name)
        assert entry.api == api[sdk], (claim_id, name)
        assert (entry.sync, entry.async_) == (variant.probe, variant.async_probe), (claim_id, name)
        assert variant.is_async == entry.is_async


def test_every_public_probe_function_of_the_probe_modules_is_registered() -> None:
    modules = (openai_compat, openai_jobs, anthropic_native, anthropic_jobs, gemini_native)
    probes = [
        (attr, value)
        for module in modules
        for attr, value in vars(module).items()
        if callable(value)
        and getattr(value, "__module__", None) == module.__name__
        and not attr.startswith("_")
        and list(getattr(value, "__annotations__", {}))[:2] == ["ctx", "claim"]
    ]
    assert len(probes) == len(registry.names())
    for attr, value in probes:
        assert registry.name_of(value).endswith(f".{attr}")


def test_registry_lookups() -> None:
    names = registry.names()
    assert names == sorted(names)
    assert len(names) == len(set(names))
    assert {"openai.stop", "openai.stream", "openai.stream_async", "anthropic.oversized", "gemini.thinking"} <= set(
        names
    )
    assert all(registry.NAME.fullmatch(name) for name in names)
    assert registry.get("openai.stop").sync is openai_compat.stop
    assert registry.get("openai.stream_async").async_ is openai_compat.stream_async
    assert registry.get("openai.stream_async").is_async
    with pytest.raises(registry.UnknownProbe, match=r"unknown probe 'openai\.nope' \(known: .*openai\.stop"):
        registry.get("openai.nope")
    with pytest.raises(LookupError, match="not a registered probe"):
        registry.name_of(_planned_variants)


def test_a_name_is_registered_once_and_well_formed() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        registry.probe("openai.stop")(lambda ctx, claim: None)
    with pytest.raises(ValueError, match=r"<api>\.<probe>"):
        registry.probe("stop")
    with pytest.raises(ValueError, match=r"already registered as 'openai\.stop'"):
        registry.probe("openai.stop_again")(openai_compat.stop)
    assert "openai.stop_again" not in registry.names()


def test_a_user_spec_naming_a_probe_plans_exactly_that(tmp_path: Path) -> None:
    path = tmp_path / "acme-gateway.yaml"
    path.write_text(USER_SPEC.format(probe="openai.stop"), encoding="utf-8")
    result = load_specs([path])
    assert result.problems == ()
    claim = next(c for c in result.spec("acme-gateway").claims if c.id == "acme-gateway.behavior.stops-early")
    assert (claim.probe, claim.check) == ("openai.stop", "stop_effect")
    planned = plan(claim, Sdk.OPENAI)
    assert planned == [Variant("sync", "stop_effect", probe=openai_compat.stop)]
    assert isinstance(planned, list)
    assert planned[0].probe_name == "openai.stop"
    # without the probe key the planner finds nothing for this behaviour claim
    assert isinstance(plan(dataclasses.replace(claim, probe=None), Sdk.OPENAI), Untestable)


def test_an_async_probe_is_an_async_variant_and_check_defaults_to_the_planners(tmp_path: Path) -> None:
    text = USER_SPEC.format(probe="openai.stream_async").replace(
        "    location: behavior\n    field: stop\n", "    location: stream\n    field: choices[].delta\n"
    )
    text = text.replace("    check: stop_effect\n", "").replace("behavior.stops-early", "stream.delta")
    path = tmp_path / "acme-gateway.yaml"
    path.write_text(text, encoding="utf-8")
    result = load_specs([path])
    assert result.problems == ()
    claim = next(c for c in result.spec("acme-gateway").claims if c.id == "acme-gateway.stream.delta")
    assert plan(claim, Sdk.OPENAI) == [Variant("async", "stream_sse", async_probe=openai_compat.stream_async)]
    wrong_api = plan(claim, Sdk.ANTHROPIC)
    assert isinstance(wrong_api, Untestable)
    assert "talks to the openai API" in wrong_api.reason


def test_a_probe_without_check_where_the_planner_has_none_is_untestable(tmp_path: Path) -> None:
    path = tmp_path / "acme-gateway.yaml"
    path.write_text(USER_SPEC.format(probe="openai.stop").replace("    check: stop_effect\n", ""), encoding="utf-8")
    claim = next(c for c in load_specs([path]).spec("acme-gateway").claims if c.id.endswith("stops-early"))
    planned = plan(claim, Sdk.OPENAI)
    assert isinstance(planned, Untestable)
    assert "no check" in planned.reason


def test_an_unknown_probe_is_a_located_lint_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "acme-gateway.yaml"
    path.write_text(USER_SPEC.format(probe="openai.stopp"), encoding="utf-8")
    code = cli.main(["lint", str(path)])
    out, err = capsys.readouterr()
    assert code == 1
    assert "Traceback" not in out + err
    problems = [m for m in map(LOCATED.match, err.splitlines()) if m]
    assert len(problems) == 1
    problem = problems[0]
    assert Path(problem["file"]) == path
    assert int(problem["line"]) == 13  # the probe: line
    assert "unknown probe 'openai.stopp' (known: " in problem["message"]
    assert "(known: openai.stop, " in problem["message"]  # the closest name first
    assert "anthropic." not in problem["message"]  # only names of the API the mistaken name starts with
    # the claim still loads, and is reported not testable rather than crashing the plan
    claim = next(c for c in load_specs([path]).spec("acme-gateway").claims if c.id.endswith("stops-early"))
    planned = plan(claim, Sdk.OPENAI)
    assert isinstance(planned, Untestable)
    assert "unknown probe 'openai.stopp'" in planned.reason


def test_shipped_specs_name_the_probes_that_claim_ids_used_to_pick() -> None:
    claims = {c.id: c for c in load_specs(()).claims()}
    named = {cid: (c.probe, c.check) for cid, c in claims.items() if c.probe}
    assert named["anthropic.error.request_too_large"] == ("anthropic.oversized", "error_shape")
    assert named["anthropic-openai.behavior.system-developer-hoisting"] == ("openai.system_hoisting", "system_hoisting")
    assert named["gemini-openai.request.endpoint.v1-embeddings"] == ("openai.embeddings_batch", "batch_field_echoed")
    assert all(probe in registry.names() for probe, _ in named.values())


PLANNERS = sorted(str(p.relative_to(SRC)) for p in [SRC / "run" / "plan.py", *SRC.glob("providers/*/plan.py")])


@pytest.mark.parametrize("module", [*PLANNERS, "audit/passive.py"])
def test_no_dispatch_on_claim_ids(module: str) -> None:
    source = (SRC / module).read_text(encoding="utf-8")
    assert not re.findall(r"in claim\.id\b|claim\.id\.(endswith|startswith|split|partition|lower)", source)
    # claim.id may appear only inside a message (an f-string's replacement field), never in a test
    outside_messages = re.sub(r"\{claim\.id[^}]*\}", "", source)
    assert "claim.id" not in outside_messages


def test_passive_tables_are_keyed_on_registered_names() -> None:
    known = set(registry.names())
    for table in (passive.NEEDS, passive.FIELD_PROBES, passive._ERROR_STATUS):
        assert table
        assert all(isinstance(key, str) and key in known for key in table)
