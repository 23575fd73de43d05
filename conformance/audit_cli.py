"""``conformance audit PATH... [--json OUT] [--strict]``: the audit without pytest, with a console summary."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from conformance.audit import Audit, audit, outcome_of, record_of
from conformance.results import Run, now
from conformance.spec.model import Spec

OUTCOME_ORDER = ("pass", "fail", "xfail", "xpass", "skip")


def summary(result: Audit) -> str:
    """One line per provider and claim: how many recorded exchanges passed, failed or could not tell."""
    counts: dict[tuple[str, str], Counter[str]] = {}
    for finding in result.findings:
        outcome, _ = outcome_of(finding)
        counts.setdefault((finding.claim.provider, finding.claim.id), Counter())[outcome] += 1
    lines = [
        f"{result.exchanges} recorded exchange(s): "
        + ", ".join(f"{api} {n}" for api, n in sorted(result.by_api.items()))
        + (f", unknown host {len(result.unknown_hosts)}" if result.unknown_hosts else "")
    ]
    provider = None
    for (prov, claim_id), counter in sorted(counts.items()):
        if prov != provider:
            provider = prov
            lines.append(f"\n{prov}")
        cells = ", ".join(f"{counter[o]} {'unknown' if o == 'skip' else o}" for o in OUTCOME_ORDER if counter[o])
        lines.append(f"  {claim_id}: {cells}")
    return "\n".join(lines)


def run_audit(paths: list[Path], specs: list[Spec], json_out: Path | None, strict: bool) -> int:
    missing = [p for p in paths if not p.exists()]
    if missing:
        print(f"no such file or folder: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    started = now()
    result = audit(paths, specs)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for line in result.unknown_hosts:
        print(f"unknown host (not audited): {line}", file=sys.stderr)
    print(summary(result))
    if json_out is not None:
        run = Run(mode="imported", started=started)
        run.records = [record_of(f, *outcome_of(f)) for f in result.findings]
        run.finished = now()
        run.write(json_out)
        print(f"\nwrote {json_out}")
    failed = [f for f in result.findings if outcome_of(f)[0] == "fail"]
    return 1 if strict and failed else 0
