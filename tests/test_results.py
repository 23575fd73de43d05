"""The results file's closed vocabularies (enums equal to the schema's), the one record builder, and records read
back from JSON."""

from __future__ import annotations

import functools
import json
from dataclasses import asdict
from pathlib import Path

import jsonschema
import pytest

from conformance.audit.passive import Judged
from conformance.report.model import Verdict
from conformance.results.model import (
    OUTCOMES,
    Outcome,
    Provenance,
    Record,
    ReplayOutcome,
    Run,
    Subject,
    build_record,
    results_schema,
)
from conformance.spec.loader import load_specs
from conformance.spec.model import Claim, EvidenceKind


def test_enums_agree_with_the_results_schema() -> None:
    schema = results_schema()
    record = schema["properties"]["results"]["items"]["properties"]
    assert record["outcome"]["enum"] == [o.value for o in Outcome]
    assert record["evidence"]["properties"]["kind"]["enum"] == [k.value for k in Provenance]
    assert schema["$defs"]["sdk_replay"]["properties"]["outcome"]["enum"] == [o.value for o in ReplayOutcome]
    assert list(OUTCOMES) == [o.value for o in Outcome]


def test_the_vocabularies_fit_together() -> None:
    assert {k.value for k in EvidenceKind} <= {p.value for p in Provenance}  # a deviation names a record's kind
    assert {o.value for o in Outcome} - {Outcome.SKIP.value} <= {v.value for v in Verdict}  # skip splits three ways
    assert {j.value for j in Judged} - {Judged.UNKNOWN.value} <= {o.value for o in Outcome}


def test_members_print_and_serialise_as_their_values() -> None:
    assert str(Outcome.XPASS) == "xpass"
    assert f"{Provenance.NONE}|{ReplayOutcome.SDK_FAILED:>12}" == "none|  sdk-failed"
    assert json.dumps([Outcome.PASS, {"kind": Provenance.LIVE}]) == '["pass", {"kind": "live"}]'
    assert json.dumps({"o": Outcome.FAIL}, indent=2, ensure_ascii=False) == '{\n  "o": "fail"\n}'
    assert Outcome.PASS == "pass"
    assert hash(Outcome.PASS) == hash("pass")


@functools.cache
def _claim() -> Claim:
    return load_specs().claims()[0]


def test_build_record_takes_the_claim_fields_and_writes_the_json_it_always_wrote(tmp_path: Path) -> None:
    claim = _claim()
    record = build_record(
        claim,
        variant="main",
        outcome="pass",
        message="",
        observed={"calls": []},
        evidence={"kind": "live", "host": "api.example", "official": True, "request_id": None},
        duration_ms=12.3456,
    )
    expected = {
        "claim": claim.id,
        "provider": claim.provider,
        "location": claim.location.value,
        "field": claim.field,
        "status": claim.status.value,
        "variant": "main",
        "outcome": "pass",
        "message": "",
        "testable": True,
        "observed": {"calls": []},
        "evidence": {"kind": "live", "host": "api.example", "official": True, "request_id": None},
        "duration_ms": 12.35,
        "doc_url": claim.doc.url,
        "values": {},
    }
    assert record.outcome is Outcome.PASS
    assert record.evidence["kind"] is Provenance.LIVE
    assert json.dumps(asdict(record), indent=2) == json.dumps(expected, indent=2)  # same keys, order and text
    run = Run(mode="live", records=[record])
    out = tmp_path / "results.json"
    run.write(out)
    written = json.loads(out.read_text(encoding="utf-8"))
    jsonschema.validate(written, results_schema())
    assert written["results"] == [expected]


def test_build_record_of_a_subject_that_is_no_claim() -> None:
    about = Subject("openai.sdk-replay", "openai", "sdk", "chat.completions.create", "parsed", "https://sdk.example")
    record = build_record(
        about, variant="sdk-replay#0", outcome=Outcome.SKIP, message="m", observed={}, evidence={"kind": "imported"}
    )
    assert (record.claim, record.location, record.status, record.doc_url) == (
        "openai.sdk-replay",
        "sdk",
        "parsed",
        "https://sdk.example",
    )
    assert record.values == {}
    assert record.duration_ms == 0.0


@pytest.mark.parametrize(
    ("outcome", "kind"),
    [("passed", "live"), ("pass", "recorded")],
)
def test_build_record_refuses_a_value_outside_the_vocabularies(outcome: str, kind: str) -> None:
    with pytest.raises(ValueError, match=r"passed|recorded"):
        build_record(_claim(), variant="v", outcome=outcome, message="", observed={}, evidence={"kind": kind})


def test_a_record_read_back_from_json_is_the_record() -> None:
    record = build_record(_claim(), variant="v", outcome="xfail", message="m", observed={}, evidence={"kind": "none"})
    again = Record.from_json(json.loads(json.dumps(asdict(record))))
    assert again == record
    assert again.outcome is Outcome.XFAIL
    with pytest.raises(ValueError, match="nope"):
        Record.from_json({**asdict(record), "outcome": "nope"})


def test_a_malformed_results_file_names_the_file_the_json_path_and_what_to_do(tmp_path: Path) -> None:
    from conformance.report.model import ReportError, load_report
    from conformance.report.synthetic import synthetic_results

    doc = synthetic_results(3)
    doc["results"][1]["outcome"] = "banana"
    del doc["results"][2]["variant"], doc["results"][2]["message"]  # one problem: said once, both keys named
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ReportError) as raised:
        load_report([path])
    lines = str(raised.value).splitlines()
    assert lines == [
        f"{path}: record 2: outcome 'banana' is not one of pass, fail, skip, xfail, xpass, error (at $.results[1].outcome)",
        f"{path}: record 3: results[2] lacks variant, message (at $.results[2])",
        f"{path}: does not match the results schema (conformance/schemas/results.schema.json); "
        "fix those values or write the file again",
    ]
    assert raised.value.__cause__ is None
