"""What the compatibility docs leave unsaid: reference claims run as ``undocumented``, in their own bucket.

A compat spec names its reference (``reference: openai``); every reference claim it does not address (no claim of
the same location and field) is resolved from the specs, not copied, with status ``undocumented``. Its outcome says
"behaves as openai" or "differs from openai: …" and is never counted as the provider failing its docs.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conformance.report.model import Bucket, load_report
from conformance.spec.loader import load_specs
from conformance.spec.model import Location, Status
from tests.fakes import FakeServer

ROOT = Path(__file__).resolve().parents[1]


def _addresses(location: Location, field: str, base_url: str) -> tuple[Location, str]:
    """An endpoint is addressed by its path under the spec's base URL, whatever its parameters are called."""
    if location is not Location.ENDPOINT:
        return location, field.lower()
    method, path = field.lower().split(" ", 1)
    base = urlsplit(base_url.lower()).path
    path = path.removeprefix(base) if path.startswith(base) else path.lstrip("/")
    return location, f"{method} {re.sub(r'{[^}]*}', '{}', path.strip('/'))}"


def test_an_endpoint_under_the_compat_base_url_addresses_the_reference_endpoint() -> None:
    """Gemini's POST /v1beta/openai/files (base URL .../v1beta/openai/) is OpenAI's POST /v1/files: not undocumented."""
    spec = {s.provider.id: s for s in load_specs(()).specs}["gemini-openai"]
    ids = {c.id for c in spec.claims}
    assert "gemini-openai.endpoint.post-files" in ids
    assert not ids & {"gemini-openai.endpoint.post-v1-files", "gemini-openai.endpoint.post-v1-chat-completions"}


def test_compat_specs_get_the_reference_claims_their_docs_do_not_address() -> None:
    specs = {s.provider.id: s for s in load_specs(()).specs}
    reference = specs["openai"]
    for compat in ("anthropic-openai", "gemini-openai"):
        spec = specs[compat]
        own = [c for c in spec.claims if c.status is not Status.UNDOCUMENTED]
        addressed = {_addresses(c.location, c.field, spec.provider.base_url) for c in own}
        own_ids = {c.id for c in own}
        undocumented = {c.reference: c for c in spec.claims if c.status is Status.UNDOCUMENTED}
        assert undocumented, compat
        for claim in reference.claims:
            key = _addresses(claim.location, claim.field, reference.provider.base_url)
            expected = (
                key not in addressed
                and claim.location not in (Location.AUTH, Location.PLATFORM, Location.LIMIT)
                and claim.id.replace("openai.", f"{compat}.", 1) not in own_ids  # a claim of that id addresses it
            )
            assert (claim.id in undocumented) == expected, (compat, claim.id)
        for ref_id, claim in undocumented.items():
            original = reference.claims[[c.id for c in reference.claims].index(ref_id)]
            assert claim.reference_status is original.status
            assert claim.id == f"{compat}.{ref_id.removeprefix('openai.')}"
            assert claim.doc == original.doc
            assert claim.as_documented.status is original.status
    # the Gemini layer's page says nothing of n, temperature or the usage sums: those run against OpenAI's doc
    gemini = {c.id for c in specs["gemini-openai"].claims if c.status is Status.UNDOCUMENTED}
    assert {
        "gemini-openai.request.n",
        "gemini-openai.request.temperature",
        "gemini-openai.usage.total_tokens",
    } <= gemini


GATEWAY = """\
spec_version: 1
extends: openai
reference: openai
provider:
  id: edge
  title: Edge gateway
claims:
  - id: edge.request.seed
    location: request
    field: seed
    status: ignored
    doc: {url: https://wiki.example/gw, source: gateway wiki, quote: "seed is dropped"}
"""


def test_a_spec_that_extends_and_references_openai_keeps_only_what_it_restates_as_documented(tmp_path: Path) -> None:
    path = tmp_path / "edge.yaml"
    path.write_text(GATEWAY)
    result = load_specs([path])
    assert not result.problems
    edge = {c.id: c for c in result.spec("edge").claims}
    assert edge["edge.request.seed"].status is Status.IGNORED
    top_p = edge["edge.request.top_p"]
    assert top_p.status is Status.UNDOCUMENTED
    assert top_p.reference == "openai.request.top_p"


def test_a_reference_that_names_no_spec_is_a_located_problem(tmp_path: Path) -> None:
    path = tmp_path / "edge.yaml"
    path.write_text(GATEWAY.replace("reference: openai", "reference: nowhere"))
    problems = [str(p) for p in load_specs([path]).problems]
    assert any(f"{path}:3:" in p and "'reference: nowhere' names no spec" in p for p in problems), problems


def test_a_live_run_shows_undocumented_results_in_their_own_bucket(tmp_path: Path) -> None:
    """Against a faithful local OpenAI-compatible fake of Gemini's layer (not evidence)."""
    out = tmp_path / "out.json"
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env["GEMINI_API_KEY"] = "fake-key"
    with FakeServer("gemini-openai") as server:
        command = [
            sys.executable, "-m", "pytest", "-m", "conformance", "--live", "--provider", "gemini-openai",
            "--base-url", f"gemini-openai={server.base_url}", f"--conformance-json={out}", "-p", "no:cacheprovider",
            "-q", "-k", "request.n or request.seed or usage.total_tokens", "--imported", str(tmp_path / "none"),
        ]  # fmt: skip
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:]
    records = [r for r in json.loads(out.read_text())["results"] if r["status"] == "undocumented"]
    assert records
    assert all(r["evidence"]["kind"] == "live" for r in records if r["outcome"] in ("pass", "fail"))
    messages = [r["message"] for r in records if r["outcome"] in ("pass", "fail")]
    assert messages
    assert all(m.startswith(("behaves as openai", "differs from openai: ")) for m in messages)
    report = load_report([out])
    buckets = {cell.claim: cell.bucket for cell in report.cells()}
    assert {buckets[r["claim"]] for r in records} == {Bucket.UNDOCUMENTED}


@pytest.mark.parametrize("outcome", ["pass", "fail"])
def test_a_difference_is_never_counted_as_failing(tmp_path: Path, outcome: str) -> None:
    from conformance.report.synthetic import results_doc

    record = {
        "claim": "gemini-openai.request.n", "provider": "gemini-openai", "location": "request", "field": "n",
        "status": "undocumented", "variant": "sync", "outcome": outcome,
        "message": "differs from openai: 1 choice for n=2" if outcome == "fail" else "behaves as openai",
        "testable": True, "observed": {}, "evidence": {"kind": "live", "host": "x", "official": True},
        "duration_ms": 1.0, "doc_url": "https://platform.openai.com/docs/api-reference/chat/create", "values": {},
    }  # fmt: skip
    path = tmp_path / "r.json"
    path.write_text(json.dumps(results_doc([record])))
    report = load_report([path])
    (cell,) = report.cells()
    assert cell.bucket is Bucket.UNDOCUMENTED
    assert report.summary()[0][Bucket.FAILING] == 0
    assert cell.label[1] == ("differs from the reference" if outcome == "fail" else "behaves as the reference")
