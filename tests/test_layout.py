"""The folders show the pipeline, and the stages depend on each other only as ARCHITECTURE.md draws them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "conformance"
STAGES = {"spec", "providers", "exchange", "checks", "run", "cassettes", "recordings", "audit", "results", "report",
          "pytest", "cli"}  # fmt: skip
TOP_LEVEL = {"__init__", "__main__", "cases", "errors", "data", "defaults", "bounded"}
FAMILIES = ("openai", "anthropic", "gemini")


def _imports(path: Path) -> set[str]:
    """Every ``conformance.…`` module a file imports, at any depth (lazy imports included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("conformance"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("conformance"))
    return found


def test_the_package_is_one_folder_per_stage_and_a_few_shared_modules() -> None:
    folders = {p.name for p in SRC.iterdir() if (p / "__init__.py").exists()}
    modules = {p.stem for p in SRC.glob("*.py")}
    assert folders == STAGES
    assert modules == TOP_LEVEL


@pytest.mark.parametrize("family", FAMILIES)
def test_each_sdk_family_keeps_its_probes_planner_and_replay_mapping_together(family: str) -> None:
    assert {p.stem for p in (SRC / "providers" / family).glob("*.py")} >= {"probes", "plan", "replay"}


@pytest.mark.parametrize("path", sorted(SRC.joinpath("checks").glob("*.py")), ids=lambda p: p.name)
def test_checks_read_only_the_exchange_model_and_the_specs(path: Path) -> None:
    allowed = ("conformance.checks", "conformance.exchange.model", "conformance.spec", "conformance.errors")
    outside = sorted(m for m in _imports(path) if not m.startswith(allowed))
    assert not outside, f"{path.name} imports {outside}"


def test_the_probes_do_not_reach_into_the_run_or_the_pytest_plugin() -> None:
    reached = {
        f"{path.relative_to(SRC)}: {module}"
        for path in SRC.joinpath("providers").rglob("*.py")
        for module in _imports(path)
        if module.startswith(("conformance.pytest", "conformance.report", "conformance.cli"))
    }
    assert not reached
