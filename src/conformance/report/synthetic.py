"""Synthetic results files for timing the report at scale (``nox -s bench``). Never evidence, never in reports/.

The records have the shape of real ones but say plainly that they are synthetic: the providers are
``synthetic-N`` at ``synthetic.invalid``, and every message starts with "synthetic".
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

LOCATIONS = ("request", "tool", "response", "usage", "header", "error", "endpoint", "behavior", "stream", "message")
STATUSES = ("supported", "ignored", "capped", "unsupported", "constant", "always_empty", "required")
OUTCOMES = (("pass", 50), ("skip", 30), ("fail", 10), ("xfail", 6), ("error", 2), ("xpass", 2))
KINDS = ("live", "replay", "imported")


def synthetic_results(n: int, providers: int = 8, seed: int = 0) -> dict[str, Any]:
    """A results document with ``n`` records spread over ``providers`` synthetic providers."""
    rng = random.Random(seed)
    names = [f"synthetic-{i}" for i in range(providers)]
    claims_per_provider = max(1, n // providers)
    records = []
    for i in range(n):
        provider = names[i % providers]
        number = (i // providers) % claims_per_provider
        location = LOCATIONS[number % len(LOCATIONS)]
        field = f"field_{number:05d}"
        outcome = rng.choices([o for o, _ in OUTCOMES], [w for _, w in OUTCOMES])[0]
        testable = not (outcome == "skip" and rng.random() < 0.4)
        kind = "none" if outcome == "skip" and rng.random() < 0.7 else rng.choice(KINDS)
        evidence: dict[str, Any] = {"kind": kind}
        if kind != "none":
            evidence |= {"host": "synthetic.invalid", "official": True, "request_id": f"req_{i:06d}"}
        if kind == "imported":
            evidence |= {
                "file": f"recording_{i % 50}.yaml",
                "interaction": 0,
                "format": "vcrpy",
                "repository": "example/synthetic",
                "path": f"cassettes/recording_{i % 50}.yaml",
                "commit": "0" * 40,
                "license": "MIT",
                "source": f"example/synthetic/cassettes/recording_{i % 50}.yaml@{'0' * 40}",
            }
        if kind == "replay":
            evidence["cassette"] = f"cassettes/{provider}/{field}.yaml"
        records.append(
            {
                "claim": f"{provider}.{location}.{field}",
                "provider": provider,
                "location": location,
                "field": field,
                "status": STATUSES[number % len(STATUSES)],
                "variant": "sync",
                "outcome": outcome,
                "message": "" if outcome == "pass" else f"synthetic {outcome}: record {i} of {n}",
                "testable": testable,
                "observed": {
                    "calls": [{"label": "POST /v1/synthetic", "status": 200, "attempts": 1, "sdk_error": None}]
                }
                if kind != "none"
                else {},
                "evidence": evidence,
                "duration_ms": 0.0,
                "doc_url": "https://synthetic.invalid/docs",
                "values": {field: rng.randint(0, 100)} if kind != "none" else {},
            }
        )
    return results_doc(records)


def write_synthetic(path: Path, n: int, providers: int = 8, seed: int = 0) -> Path:
    """Write ``synthetic_results(n)`` to ``path`` (keep it out of reports/: it is not evidence)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(synthetic_results(n, providers, seed)), encoding="utf-8")
    return path


def record(claim: str, outcome: str = "pass", **fields: Any) -> dict[str, Any]:
    """One results record with sensible defaults (``provider``/``location``/``field`` read from the claim id)."""
    provider, location, field = ([*claim.split(".", 2), "", ""])[:3]
    base: dict[str, Any] = {
        "claim": claim,
        "provider": provider,
        "location": location,
        "field": field,
        "status": "supported",
        "variant": "sync",
        "outcome": outcome,
        "message": "",
        "testable": True,
        "observed": {},
        "evidence": {"kind": "none"},
        "duration_ms": 0.0,
        "doc_url": "https://synthetic.invalid/docs",
        "values": {},
    }
    base.update(fields)
    return base


def results_doc(
    records: list[dict[str, Any]], providers: dict[str, dict[str, Any]] | None = None, mode: str = "offline"
) -> dict[str, Any]:
    """A results document around ``records``; ``providers`` maps id → base_url_host/model/official."""
    names = sorted({r["provider"] for r in records})
    default = {"base_url_host": "synthetic.invalid", "model": "synthetic", "official": True}
    return {
        "results_version": 1,
        "run": {
            "started": "2000-01-01T00:00:00+00:00",
            "finished": "2000-01-01T00:00:01+00:00",
            "harness": "synthetic",
            "python": "3",
            "platform": "synthetic",
            "sdks": {"openai": "0"},
            "mode": mode,
            "providers": providers if providers is not None else {n: dict(default) for n in names},
        },
        "results": records,
    }
