"""Turning claims into cases and running one case: context, probe, check, record."""

from __future__ import annotations

import dataclasses
import fnmatch
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

import conformance.checks  # noqa: F401  (registers every check)
from conformance.cassettes import CassetteError, Replayer, cassette_path, read_cassette, rerecord_hint, write_cassette
from conformance.checks.registry import CHECKS, ConformanceFailure
from conformance.exchange import Recorder
from conformance.options import Settings
from conformance.plan import Untestable, Variant, plan
from conformance.probes.base import Observation, ProbeContext, ProbeError
from conformance.results import Record, Run
from conformance.spec.model import Claim, Spec


@dataclass(frozen=True, slots=True)
class Case:
    """One generated test case: a claim and one of its variants (or why it cannot be tested)."""

    claim: Claim
    spec: Spec
    variant: Variant | None
    untestable: str | None = None

    @property
    def name(self) -> str:
        return self.variant.name if self.variant else "sync"

    @property
    def id(self) -> str:
        return self.claim.id if self.name == "sync" else f"{self.claim.id}@{self.name}"

    @property
    def is_async(self) -> bool:
        return self.variant is not None and self.variant.is_async


def cases_for(spec: Spec) -> list[Case]:
    cases: list[Case] = []
    for claim in spec.claims:
        planned = plan(claim, spec.provider.sdk)
        if isinstance(planned, Untestable):
            cases.append(Case(claim, spec, None, planned.reason))
        else:
            cases.extend(Case(claim, spec, variant) for variant in planned)
    return cases


def api_key(spec: Spec, env: Mapping[str, str]) -> str | None:
    for name in spec.provider.api_key_env:
        if env.get(name):
            return env[name]
    return None


def missing_key_reason(spec: Spec) -> str:
    names = " or ".join(spec.provider.api_key_env)
    return f"no API key for {spec.provider.id}: set {names}"


@dataclass
class Session:
    """State of one pytest run: settings, the run's records, and per-case observations."""

    settings: Settings
    run: Run
    env: Mapping[str, str] = dataclasses.field(default_factory=lambda: dict(os.environ))
    observations: dict[str, tuple[Case, Observation | None, float, str | None]] = dataclasses.field(
        default_factory=dict
    )
    replayers: dict[str, Replayer] = dataclasses.field(default_factory=dict)
    replayed: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)

    def secrets(self) -> tuple[str, ...]:
        return tuple(v for k, v in self.env.items() if k.endswith("_API_KEY") and v)

    def base_url(self, spec: Spec) -> str:
        return self.settings.base_urls.get(spec.provider.id, spec.provider.base_url)

    def model(self, spec: Spec) -> str:
        return self.settings.models.get(spec.provider.id, spec.provider.default_model)

    def case_model(self, case: Case) -> str | None:
        """The model a case probes: the run's, unless the claim names the models it is about.

        A claim about one named model (``gemini-embedding-001``) probes that model; a claim about a family
        (``gemini-3-*``) probes the run's model if it belongs to the family, and otherwise cannot run (None).
        """
        model = self.model(case.spec)
        patterns = case.claim.models
        if not patterns or any(fnmatch.fnmatchcase(model, p) for p in patterns):
            return model
        exact = [p for p in patterns if not any(c in p for c in "*?[")]
        return exact[0] if exact else None

    def cassette(self, case: Case) -> Path:
        return cassette_path(self.settings.cassette_dir, case.spec.provider.id, case.id)

    def replays(self, case: Case) -> bool:
        """Answered from its cassette: offline, or live with --record-mode once and a cassette already there."""
        exists = self.cassette(case).is_file()
        return exists and (not self.settings.live or self.settings.record_mode == "once")

    def skip_reason(self, case: Case) -> str | None:
        """Why this case does not run now (checked at run time, in this order)."""
        if case.untestable:
            return f"not testable: {case.untestable}"
        if self.replays(case):
            return None
        if not self.settings.live:
            names = " or ".join(case.spec.provider.api_key_env)
            return (
                f"no recording: run `pytest --live --record-mode once --provider {case.spec.provider.id}` "
                f"with {names} set"
            )
        if self.case_model(case) is None:
            return (
                f"about {' / '.join(case.claim.models)} models, and this run uses {self.model(case.spec)}: "
                f"choose one with --model {case.spec.provider.id}=MODEL"
            )
        if "expensive" in case.claim.markers and not self.settings.expensive:
            return "costs real money beyond a few tokens: opt in with --conformance-expensive"
        if api_key(case.spec, self.env) is None:
            return missing_key_reason(case.spec)
        return None

    def context(self, case: Case) -> ProbeContext:
        if self.replays(case):
            return self.replay_context(case)
        key = api_key(case.spec, self.env)
        model = self.case_model(case)
        assert key is not None
        assert model is not None
        return ProbeContext(
            provider=case.spec.provider,
            base_url=self.base_url(case.spec),
            api_key=key,
            model=model,
            timeout=self.settings.timeout,
            recorder=Recorder(),
            secrets=self.secrets(),
        )

    def replay_context(self, case: Case) -> ProbeContext:
        hint = rerecord_hint(case.spec.provider.id, case.spec.provider.api_key_env, case.id)
        try:
            cassette = read_cassette(self.cassette(case), hint)
        except CassetteError as exc:
            raise ConformanceFailure(f"unusable cassette: {exc}") from None
        replayer = Replayer(cassette)
        self.replayers[case.id] = replayer
        self.replayed[case.id] = cassette.metadata
        sync, async_ = replayer.transports()
        meta = cassette.metadata
        return ProbeContext(
            provider=case.spec.provider,
            base_url=str(meta.get("base_url") or self.base_url(case.spec)),
            api_key="replay",
            model=str(meta.get("model") or self.model(case.spec)),
            timeout=self.settings.timeout,
            recorder=Recorder(transport=sync, async_transport=async_),
        )

    def _out_of_date(self, case: Case) -> None:
        replayer = self.replayers.pop(case.id, None)
        if replayer is not None and replayer.mismatches:
            hint = rerecord_hint(case.spec.provider.id, case.spec.provider.api_key_env, case.id)
            raise ConformanceFailure(
                f"cassette out of date: {self.cassette(case)} has no interaction for {replayer.mismatches[0]}; {hint}"
            )

    def _save(self, case: Case, ctx: ProbeContext) -> None:
        """With --live and a record mode, write the case's exchanges (secrets replaced by the writer)."""
        mode, path = self.settings.record_mode, self.cassette(case)
        if not self.settings.live or mode == "none" or self.replays(case):
            return
        if mode == "once" and path.exists():
            return
        base = ctx.base_url
        metadata = {
            "provider": case.spec.provider.id,
            "case": case.id,
            "model": ctx.model,
            "base_url": base,
            "base_url_host": urlsplit(base).netloc,
            "official": ctx.official,
            "evidence": "replay" if ctx.official else f"recorded against {urlsplit(base).netloc}",
        }
        write_cassette(path, ctx.recorder.attempts, metadata, (*self.secrets(), ctx.api_key))

    def judge(self, nodeid: str, case: Case, obs: Observation, start: float) -> None:
        assert case.variant is not None
        obs.values.setdefault("sdk", case.spec.provider.sdk.value)
        self.observations[nodeid] = (case, obs, (time.perf_counter() - start) * 1000, None)
        try:
            CHECKS[case.variant.check](case.claim, obs)
        except ConformanceFailure as exc:
            raise ConformanceFailure(failure_message(case, str(exc), obs, self.secrets())) from None

    def run_sync(self, nodeid: str, case: Case) -> None:
        self._maybe_skip(case)
        assert case.variant is not None
        assert case.variant.probe is not None
        start = time.perf_counter()
        ctx = self.context(case)
        try:
            obs = case.variant.probe(ctx, case.claim)
        except ProbeError as exc:
            self._out_of_date(case)
            self.observations[nodeid] = (case, None, (time.perf_counter() - start) * 1000, str(exc))
            raise
        self._out_of_date(case)
        self._save(case, ctx)
        self.judge(nodeid, case, obs, start)

    async def run_async(self, nodeid: str, case: Case) -> None:
        self._maybe_skip(case)
        assert case.variant is not None
        assert case.variant.async_probe is not None
        start = time.perf_counter()
        ctx = self.context(case)
        try:
            obs = await case.variant.async_probe(ctx, case.claim)
        except ProbeError as exc:
            self._out_of_date(case)
            self.observations[nodeid] = (case, None, (time.perf_counter() - start) * 1000, str(exc))
            raise
        self._out_of_date(case)
        self._save(case, ctx)
        self.judge(nodeid, case, obs, start)

    def _maybe_skip(self, case: Case) -> None:
        reason = self.skip_reason(case)
        if reason:
            pytest.skip(reason)

    def record(self, nodeid: str, case: Case, outcome: str, message: str) -> None:
        _, obs, duration, probe_error = self.observations.get(nodeid, (case, None, 0.0, None))
        if probe_error is not None:
            outcome, message = "error", probe_error
        self.run.records.append(
            Record(
                claim=case.claim.id,
                provider=case.claim.provider,
                location=case.claim.location.value,
                field=case.claim.field,
                status=case.claim.status.value,
                variant=case.name,
                outcome=outcome,
                message=message,
                testable=case.untestable is None,
                observed=observed(obs),
                evidence=self.evidence(case, obs),
                duration_ms=round(duration, 2),
                doc_url=case.claim.doc.url,
                values={k: v for k, v in (obs.values if obs else {}).items() if k != "sdk"},
            )
        )

    def evidence(self, case: Case, obs: Observation | None) -> dict[str, Any]:
        if obs is None or not obs.calls or not any(c.attempts for c in obs.calls):
            return {"kind": "none"}
        meta = self.replayed.get(case.id)
        if meta is not None:
            return {
                "kind": "replay",
                "host": str(meta.get("base_url_host", "")),
                "official": bool(meta.get("official", False)),
                "request_id": _request_id(obs),
                "cassette": str(self.cassette(case)),
            }
        base = self.base_url(case.spec)
        return {
            "kind": "live",
            "host": urlsplit(base).netloc,
            "official": base.rstrip("/") == case.spec.provider.base_url.rstrip("/"),
            "request_id": _request_id(obs),
        }


def _request_id(obs: Observation) -> str | None:
    response = obs.main.response
    if response is None:
        return None
    return response.headers.get("request-id") or response.headers.get("x-request-id")


def observed(obs: Observation | None) -> dict[str, Any]:
    """A short, secret-free summary of what came back, per call."""
    if obs is None:
        return {}
    calls = []
    for call in obs.calls:
        response = call.response
        calls.append(
            {
                "label": call.label,
                "status": response.status if response else None,
                "attempts": len(call.attempts),
                "sdk_error": f"{type(call.error).__name__}" if call.error else None,
            }
        )
    return {"calls": calls}


def failure_message(case: Case, reason: str, obs: Observation, secrets: tuple[str, ...]) -> str:
    claim = case.claim
    return "\n".join(
        [
            f"{claim.id} ({claim.status.value}): {reason}",
            f"  doc: {claim.doc.url}",
            f'  quote: "{claim.doc.quote}"',
            "  exchange:",
            obs.describe(secrets),
        ]
    )
