"""``conformance audit PATH... [--json OUT] [--strict]``: the audit without pytest, with a console summary."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from conformance.audit.core import Audit, Finding, Replayed, audit, outcome_of, record_of
from conformance.results.model import Outcome, Run, now
from conformance.results.outputs import same_as_stdout
from conformance.spec.model import Spec, Status

OUTCOME_ORDER = (Outcome.PASS, Outcome.FAIL, Outcome.XFAIL, Outcome.XPASS, Outcome.SKIP, Outcome.ERROR)


def _cells(counter: Counter[str], order: tuple[str, ...], rename: dict[str, str] | None = None) -> str:
    names = rename or {}
    return ", ".join(f"{counter[o]} {names.get(o, o)}" for o in order if counter[o])


def summary(result: Audit) -> str:
    """One line per provider and claim: how many recorded exchanges passed, failed or could not tell; then what
    the official SDKs made of the recorded answers."""
    counts: dict[tuple[str, str], Counter[str]] = {}
    for finding in result.findings:
        outcome, _ = outcome_of(finding)
        counts.setdefault((finding.claim.provider, finding.claim.id), Counter())[outcome] += 1
    lines = [
        f"{result.exchanges} recorded exchange(s): "
        + (", ".join(f"{api} {n}" for api, n in sorted(result.by_api.items())) or "none of a known API")
        + (f", unknown host {len(result.unknown_hosts)}" if result.unknown_hosts else "")
        + (f", local server {len(result.local_servers)}" if result.local_servers else "")
        + (f", unreadable answer {result.unreadable}" if result.unreadable else "")
    ]
    provider = None
    for (prov, claim_id), counter in sorted(counts.items()):
        if prov != provider:
            provider = prov
            lines.append(f"\n{prov}")
        lines.append(f"  {claim_id}: {_cells(counter, OUTCOME_ORDER, {'skip': 'unknown'})}")
    if result.replays:
        lines.append("")
        lines.extend(replay_summary(result.replays))
    return "\n".join(lines)


def replay_summary(replays: list[Replayed]) -> list[str]:
    """Per API and SDK call: how many recorded answers the SDK parsed, raised as its API error, failed on, or could
    not ask for; the error fields the SDK left empty; and every failure or refusal, once per distinct reason."""
    from conformance.audit.replay import NOT_REISSUABLE, PARSED, RAISED, SDK_FAILED  # the SDKs load only if needed

    replay_order = (PARSED, RAISED, SDK_FAILED, NOT_REISSUABLE)
    lines = [f"SDK replay: {len(replays)} recorded answer(s) re-issued through the official SDKs (no network)"]
    groups: dict[tuple[str, str], list[Replayed]] = {}
    for replayed in replays:
        groups.setdefault((replayed.api, replayed.result.sdk), []).append(replayed)
    for (api, sdk), group in sorted(groups.items()):
        lines.append(f"\n{api} through the {sdk} SDK")
        calls: dict[str, Counter[str]] = {}
        for replayed in group:
            calls.setdefault(replayed.result.call, Counter())[replayed.result.outcome] += 1
        lines.extend(f"  {call}: {_cells(counter, replay_order)}" for call, counter in sorted(calls.items()))
        hidden = [r.result.detail.get("not_exposed") or {} for r in group if r.result.outcome == RAISED]
        attrs = Counter(attr for fields in hidden for attr in fields)
        if attrs:
            example = next(fields for fields in hidden if fields)
            shown = ", ".join(f".{attr} ({n}x)" for attr, n in sorted(attrs.items()))
            lines.append(f"  error fields the SDK leaves empty although the body carries them: {shown}")
            lines.append(f"    e.g. {', '.join(f'.{attr} for {where}' for attr, where in example.items())}")
    reasons = Counter(
        f"{r.api} {r.result.outcome}: {_reason(r)}" for r in replays if r.result.outcome in (SDK_FAILED, NOT_REISSUABLE)
    )
    if reasons:
        lines.append("\nnot re-issued, or the SDK failed:")
        lines.extend(f"  {n}x {reason}" for reason, n in sorted(reasons.items()))
    return lines


def _reason(replayed: Replayed) -> str:
    detail = replayed.result.detail
    if detail.get("reason"):
        return _short(str(detail["reason"]), 200)
    text = f"{detail.get('exception')}: {_short(str(detail.get('error')), 80)}"
    if detail.get("recorded"):
        text += f" (it sent {detail.get('sent')} where the recording has {detail['recorded']})"
    return text


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


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
    for line in result.local_servers:
        print(f"a server on this machine, no provider's (not audited): {line}", file=sys.stderr)
    console = sys.stderr if json_out is not None and same_as_stdout(json_out) else sys.stdout  # keep stdout JSON
    judged: list[Finding | Replayed] = [*result.findings, *result.replays]
    bugs = sorted({message for outcome, message in map(outcome_of, judged) if outcome == Outcome.ERROR})
    for bug in bugs:  # a check that crashed: its findings are errors, every other finding is still judged
        print(f"error: {bug}", file=sys.stderr)
    print(summary(result), file=console)
    if json_out is not None:
        run = Run(mode="imported", started=started)
        run.records = [record_of(item, *outcome_of(item)) for item in judged]
        run.finished = now()
        sys.stdout.flush()
        run.write(json_out)
        print(f"\nwrote {json_out}", file=console)
    failed = [
        item for item in judged if outcome_of(item)[0] in (Outcome.FAIL, Outcome.ERROR) and not _undocumented(item)
    ]
    return 1 if strict and failed else 0


def _undocumented(item: Finding | Replayed) -> bool:
    """A claim the provider's own doc does not address: a difference from the reference is never a failure."""
    return isinstance(item, Finding) and item.claim.status is Status.UNDOCUMENTED
