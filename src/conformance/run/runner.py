"""Turning claims into cases and running one case: context, probe, check, record.

A case runs in two steps. :meth:`Session.probe_sync` / :meth:`Session.probe_async` (the case's fixture setup)
send the probe, check the cassette, write it and run the check; they end in a :class:`Judgement`, or raise a
:class:`~conformance.run.outcomes.CaseError` when there is nothing to judge (the provider gave no usable answer, a
cassette cannot be used, our own code crashed), which pytest shows as ERROR. :meth:`Judgement.settle` (the test
body) passes, fails with the :class:`ConformanceFailure`, or skips as "could not tell".
"""

from __future__ import annotations

import asyncio
import dataclasses
import fnmatch
import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import urlsplit

import httpx2
import pytest

import conformance.checks  # noqa: F401  (registers every check)
from conformance.cassettes.store import (
    CassetteError,
    Replayer,
    cassette_path,
    read_cassette,
    rerecord_hint,
    write_cassette,
)
from conformance.checks.registry import CHECKS, ConformanceFailure, CouldNotTell
from conformance.exchange.model import Attempt, Call, Observation, attempt_history, attempt_summary, mask_text, trim
from conformance.exchange.secret import Secret, Secrets, revealed
from conformance.providers.base import ProbeContext, ProbeError
from conformance.providers.clients import close_shared_clients, status_errors
from conformance.pytest.options import Settings
from conformance.results.model import Outcome, Provenance, Run, build_record
from conformance.run.outcomes import AttemptsError, CaseError, HarnessBug
from conformance.run.plan import Untestable, Variant, plan
from conformance.run.traffic import Traffic
from conformance.spec.model import Claim, Spec, Status, behaves_as, differs_from

if TYPE_CHECKING:
    from conformance.run.ahead import Ahead


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


def api_key(spec: Spec, env: Mapping[str, str]) -> Secret | None:
    for name in spec.provider.api_key_env:
        if env.get(name):
            return Secret(env[name])
    return None


def missing_key_reason(spec: Spec) -> str:
    names = " or ".join(spec.provider.api_key_env)
    return f"no API key for {spec.provider.id}: set {names}"


@dataclass(frozen=True, slots=True)
class Judgement:
    """What a case's evidence says about its claim: a failure message, a reason it could not tell, or a pass."""

    failure: str | None = None
    could_not_tell: str | None = None

    def settle(self) -> None:
        """Pass, fail (ConformanceFailure) or skip as "could not tell": the test body of a conformance case."""
        if self.could_not_tell is not None:
            pytest.skip(f"could not tell: {self.could_not_tell}")
        if self.failure is not None:
            raise ConformanceFailure(self.failure)


@dataclass(slots=True)
class Sent:
    """A probe sent and recorded, not yet judged: its context and observation, the exception the probe raised, or
    what stopped it before it was sent (a skip, an unusable cassette)."""

    ctx: ProbeContext | None = None
    start: float = 0.0
    obs: Observation | None = None
    failed: Exception | None = None
    raised: BaseException | None = None


@dataclass
class Session:
    """State of one pytest run: settings, the run's records, and per-case observations.

    ``env`` holds the keys: it is left out of the repr (pytest prints the arguments of a failing frame).
    """

    settings: Settings
    run: Run
    env: Mapping[str, str] = dataclasses.field(default_factory=lambda: dict(os.environ), repr=False)
    observations: dict[str, tuple[Case, Observation | None, float, str | None]] = dataclasses.field(
        default_factory=dict
    )
    undocumented: dict[str, tuple[Outcome, str]] = dataclasses.field(default_factory=dict)
    """Node id -> (outcome, message) of an undocumented claim that differs from its reference."""
    replayers: dict[str, Replayer] = dataclasses.field(default_factory=dict)
    traffic: Traffic = dataclasses.field(default_factory=Traffic)  # retries, budgets, slots per provider
    ahead: Ahead | None = None  # live probes sent ahead of their test items (--conformance-concurrency)

    def close(self) -> None:
        """The end of the run: close the providers' connection pools and drop the shared SDK clients."""
        self.traffic.close()
        close_shared_clients()

    def secrets(self) -> tuple[Secret, ...]:
        named = set(self.settings.key_envs.values())  # --conformance-key-env: a gateway's own variable
        return tuple(Secret(v) for k, v in self.env.items() if (k.endswith("_API_KEY") or k in named) and v)

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
        """Answered from its cassette: offline, or live with --record-mode once or new_episodes and a cassette."""
        exists = self.cassette(case).is_file()
        return exists and (not self.settings.live or self.settings.record_mode in ("once", "new_episodes"))

    def hint(self, case: Case) -> str:
        return rerecord_hint(case.spec.provider.id, case.spec.provider.api_key_env, case.claim.id)

    def skip_reason(self, case: Case) -> str | None:
        """Why this case does not run now (checked at run time, in this order)."""
        if case.untestable:
            return f"not testable: {case.untestable}"
        if self.replays(case):
            return None
        if not self.settings.live:
            names = " or ".join(case.spec.provider.api_key_env)
            flag = self.settings.flag
            return (
                f"no recording: run `pytest {flag('live')} {flag('record-mode')} once {flag('provider')} "
                f"{case.spec.provider.id}` with {names} set"
            )
        if self.case_model(case) is None:
            return (
                f"about {' / '.join(case.claim.models)} models, and this run uses {self.model(case.spec)}: "
                f"choose one with {self.settings.flag('model')} {case.spec.provider.id}=MODEL"
            )
        if "expensive" in case.claim.markers and not self.settings.expensive:
            return "costs real money beyond a few tokens: opt in with --conformance-expensive"
        if api_key(case.spec, self.env) is None:
            return missing_key_reason(case.spec)
        return self.traffic.spent(case.spec.provider.id)  # "budget spent: ..." once a budget is used up

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
            recorder=self.traffic.recorder(case.spec.provider.id),
            secrets=self.secrets(),
        )

    def replay_context(self, case: Case) -> ProbeContext:
        """Answers from the case's cassette; with --live --record-mode new_episodes, unmatched requests go live."""
        cassette = read_cassette(self.cassette(case), self.hint(case))
        episodes = self.settings.live and self.settings.record_mode == "new_episodes"
        live = (httpx2.HTTPTransport(), httpx2.AsyncHTTPTransport()) if episodes else None
        replayer = Replayer(cassette, live=live)
        self.replayers[case.id] = replayer
        sync, async_ = replayer.transports()
        meta = cassette.metadata
        key = api_key(case.spec, self.env) if episodes else None
        return ProbeContext(
            provider=case.spec.provider,
            base_url=self.base_url(case.spec) if episodes else str(meta.get("base_url") or self.base_url(case.spec)),
            api_key=key or Secret("replay"),
            model=str(meta.get("model") or self.model(case.spec)),
            timeout=self.settings.timeout,
            recorder=self.traffic.replay_recorder(sync, async_),
            secrets=self.secrets(),
        )

    def _check_cassette(self, case: Case, obs: Observation | None) -> None:
        """A replayed case whose probe no longer matches its cassette, or whose recorded answer the SDK cannot
        parse, fails with the cassette's path and the command that re-records it."""
        replayer = self.replayers.get(case.id)
        if replayer is None:
            return
        if replayer.mismatches:
            raise ConformanceFailure(
                f"cassette out of date: {self.cassette(case)} has no interaction for {replayer.mismatches[0]}; "
                f"{self.hint(case)}"
            )
        for call in obs.calls if obs else []:
            response = call.response
            if call.error is None or response is None or isinstance(call.error, status_errors()):
                continue
            raise CassetteError(
                f"{self.cassette(case)}: the {case.spec.provider.sdk.value} SDK cannot parse the recorded answer "
                f"({response.status}, {trim(response.body, 120)!r}): {type(call.error).__name__}: {call.error}; "
                f"{self.hint(case)}"
            )

    def _save(self, case: Case, ctx: ProbeContext) -> None:
        """With --live and a record mode, write the case's exchanges (secrets replaced by the writer)."""
        mode, path = self.settings.record_mode, self.cassette(case)
        if not self.settings.live or mode == "none":
            return
        attempts = ctx.recorder.attempts
        replayer = self.replayers.get(case.id)
        if replayer is not None:  # once: nothing new; new_episodes: append what went live
            attempts = replayer.new_attempts(attempts)
            if not attempts:
                return
            attempts = [*replayer.cassette.attempts, *attempts]
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
        write_cassette(path, attempts, metadata, (*(s.reveal() for s in self.secrets()), ctx.api_key.reveal()))

    def judge(self, nodeid: str, case: Case, obs: Observation, start: float) -> Judgement:
        assert case.variant is not None
        obs.values.setdefault("sdk", case.spec.provider.sdk.value)
        self.observations[nodeid] = (case, obs, (time.perf_counter() - start) * 1000, None)
        try:
            CHECKS[case.variant.check](case.claim.as_documented, obs)
        except CouldNotTell as exc:
            return Judgement(could_not_tell=str(exc))
        except ConformanceFailure as exc:
            if case.claim.status is Status.UNDOCUMENTED:  # never the provider failing its docs: noted, not raised
                self.undocumented[nodeid] = (Outcome.FAIL, differs_from(case.claim, str(exc)))
                return Judgement()
            return Judgement(failure=failure_message(case, str(exc), obs, self.secrets()))
        return Judgement()

    def _start(self, nodeid: str, case: Case) -> ProbeContext:
        self._maybe_skip(case)
        try:
            return self.context(case)
        except CassetteError as exc:
            self._unusable(nodeid, case, exc)

    def _unusable(self, nodeid: str, case: Case, exc: CassetteError, obs: Observation | None = None) -> NoReturn:
        """A cassette that cannot be used is the case's ``error`` (not the provider's failure); others still run."""
        message = f"unusable cassette: {exc}"
        self.observations[nodeid] = (case, obs, 0.0, message)
        raise CaseError(message) from None

    def _finish(self, nodeid: str, case: Case, ctx: ProbeContext, obs: Observation, start: float) -> Judgement:
        try:
            self._check_cassette(case, obs)
        except CassetteError as exc:
            self._unusable(nodeid, case, exc, obs)
        except ConformanceFailure as exc:  # the probe no longer matches its cassette
            self.observations[nodeid] = (case, obs, (time.perf_counter() - start) * 1000, None)
            return Judgement(failure=str(exc))
        self._save(case, ctx)
        return self.judge(nodeid, case, obs, start)

    def _probe_failed(self, nodeid: str, case: Case, ctx: ProbeContext, start: float, exc: Exception) -> Judgement:
        """A probe that could not get a usable answer: ``error``, with every attempt it made. In pure replay no
        network is involved, so the cassette is what is wrong, and the message says which one and how to re-record
        it (a probe that sent what its cassette does not hold fails as out of date). Any other exception out of a
        probe is a harness bug, also ``error``, never the provider's ``fail``."""
        obs = failed_observation(ctx.recorder.attempts, exc)
        error: CaseError = exc if isinstance(exc, ProbeError) else HarnessBug(exc)
        if isinstance(exc, ProbeError):
            try:
                self._check_cassette(case, None)
            except ConformanceFailure as stale:
                self.observations[nodeid] = (case, obs, (time.perf_counter() - start) * 1000, None)
                return Judgement(failure=str(stale))
            replayer = self.replayers.get(case.id)
            if replayer is not None and replayer.live is None:
                self._unusable(nodeid, case, CassetteError(f"{self.cassette(case)}: {exc}; {self.hint(case)}"), obs)
        message = mask_text(str(error), self.secrets())
        self.observations[nodeid] = (case, obs, (time.perf_counter() - start) * 1000, message)
        if error is exc:
            raise error
        raise error from exc

    @contextmanager
    def _no_crash(self, nodeid: str, case: Case) -> Iterator[None]:
        """Outside the probe (choosing a context, checking and writing the cassette, the check itself), an
        exception that is none of our outcomes is a harness bug: the case's ``error``, with file and line."""
        try:
            yield
        except CaseError:
            raise
        except Exception as exc:
            bug = HarnessBug(exc)
            _, obs, duration, _ = self.observations.get(nodeid, (case, None, 0.0, None))
            self.observations[nodeid] = (case, obs, duration, mask_text(str(bug), self.secrets()))
            raise bug from exc

    def send_sync(self, nodeid: str, case: Case) -> Sent:
        """The case's probe sent (its context chosen, its answers recorded), not yet judged: what may run ahead of
        the test item, in another thread (:mod:`conformance.run.ahead`). A skip or an unusable cassette is kept in
        ``Sent.raised`` and raised where the case is judged."""
        try:
            ctx = self._start(nodeid, case)
        except BaseException as exc:  # pytest.skip (a BaseException), CaseError: raised again where it is judged
            return Sent(raised=exc)
        assert case.variant is not None
        assert case.variant.probe is not None
        start = time.perf_counter()
        try:
            with ctx.recorder.active():  # the shared SDK clients record on, and send through, this probe's recorder
                obs = case.variant.probe(ctx, case.claim.as_documented)
        except Exception as exc:
            return Sent(ctx=ctx, start=start, failed=exc)
        finally:
            ctx.recorder.close()
        return Sent(ctx=ctx, start=start, obs=obs)

    async def send_async(self, nodeid: str, case: Case) -> Sent:
        """:meth:`send_sync` through the SDK's async client."""
        try:
            ctx = self._start(nodeid, case)
        except BaseException as exc:
            return Sent(raised=exc)
        assert case.variant is not None
        assert case.variant.async_probe is not None
        start = time.perf_counter()
        try:
            with ctx.recorder.active():  # set in this task (and thread): asyncio tasks started here inherit it
                obs = await case.variant.async_probe(ctx, case.claim.as_documented)
        except Exception as exc:
            return Sent(ctx=ctx, start=start, failed=exc)
        finally:
            await ctx.recorder.aclose()
        return Sent(ctx=ctx, start=start, obs=obs)

    def settle(self, nodeid: str, case: Case, sent: Sent) -> Judgement:
        """Judge what a sent probe got (the case's setup); CaseError when nothing can be judged."""
        with self._no_crash(nodeid, case):
            if sent.raised is not None:
                raise sent.raised
            assert sent.ctx is not None
            if sent.failed is not None:
                return self._probe_failed(nodeid, case, sent.ctx, sent.start, sent.failed)
            assert sent.obs is not None
            return self._finish(nodeid, case, sent.ctx, sent.obs, sent.start)

    def probe_sync(self, nodeid: str, case: Case) -> Judgement:
        """Send the case's probe (or take it from those sent ahead) and judge what came back."""
        ahead = self.ahead.take(nodeid) if self.ahead is not None else None
        sent = ahead.result() if ahead is not None else self.send_sync(nodeid, case)
        return self.settle(nodeid, case, sent)

    async def probe_async(self, nodeid: str, case: Case) -> Judgement:
        """:meth:`probe_sync` through the SDK's async client."""
        ahead = self.ahead.take(nodeid) if self.ahead is not None else None
        sent = await asyncio.wrap_future(ahead) if ahead is not None else await self.send_async(nodeid, case)
        return self.settle(nodeid, case, sent)

    def run_sync(self, nodeid: str, case: Case) -> None:
        """Probe and settle in one step (the harness's own tests; pytest splits them into setup and call)."""
        self.probe_sync(nodeid, case).settle()

    async def run_async(self, nodeid: str, case: Case) -> None:
        (await self.probe_async(nodeid, case)).settle()

    def _maybe_skip(self, case: Case) -> None:
        reason = self.skip_reason(case)
        if reason:
            pytest.skip(reason)

    def record(self, nodeid: str, case: Case, outcome: Outcome, message: str) -> None:
        _, obs, duration, probe_error = self.observations.get(nodeid, (case, None, 0.0, None))
        if probe_error is not None:
            outcome, message = Outcome.ERROR, probe_error
        elif case.claim.status is Status.UNDOCUMENTED and outcome == Outcome.PASS:
            outcome, message = self.undocumented.pop(nodeid, (Outcome.PASS, behaves_as(case.claim)))
        self.run.records.append(
            build_record(
                case.claim,
                variant=case.name,
                outcome=outcome,
                message=message,
                testable=case.untestable is None,
                observed=observed(obs, self.secrets()),
                evidence=self.evidence(case, obs),
                duration_ms=duration,
                values={k: v for k, v in (obs.values if obs else {}).items() if k != "sdk"},
            )
        )

    def evidence(self, case: Case, obs: Observation | None) -> dict[str, Any]:
        """Where the record's exchanges come from (an ``error`` keeps the attempts it made, so it has some too)."""
        if obs is None or not any(a.response is not None for c in obs.calls for a in c.attempts):
            return {"kind": Provenance.NONE}  # nothing came back: a refused connection is no evidence of anything
        replayer = self.replayers.get(case.id)
        if replayer is not None and not any(replayer.went_live):
            meta = replayer.cassette.metadata
            return {
                "kind": Provenance.REPLAY,
                "host": str(meta.get("base_url_host", "")),
                "official": bool(meta.get("official", False)),
                "request_id": _request_id(obs),
                "cassette": str(self.cassette(case)),
            }
        base = self.base_url(case.spec)
        return {
            "kind": Provenance.LIVE,
            "host": urlsplit(base).netloc,
            "official": base.rstrip("/") == case.spec.provider.base_url.rstrip("/"),
            "request_id": _request_id(obs),
        }


def _request_id(obs: Observation) -> str | None:
    response = obs.main.response
    if response is None:
        return None
    return response.headers.get("request-id") or response.headers.get("x-request-id")


def failed_observation(attempts: list[Attempt], exc: BaseException) -> Observation:
    """What a probe that raised had sent and got: the failing call with its attempts, and the calls before it."""
    own = exc.attempts if isinstance(exc, AttemptsError) else []
    label = exc.label if isinstance(exc, AttemptsError) and exc.label else "the failing call"
    earlier = attempts[: len(attempts) - len(own)]
    calls = [Call("calls before the error", attempts=earlier)] if earlier else []
    calls += [Call(label, error=exc, attempts=own)] if own else []
    return Observation(calls=calls)


def observed(obs: Observation | None, secrets: Secrets = ()) -> dict[str, Any]:
    """A short, secret-free summary of what was sent and what came back, per call: its last attempt in full and,
    when it was retried, every attempt in ``history``: the wait before it, status, headers, start of the body."""
    if obs is None:
        return {}
    secrets = revealed(secrets)
    calls = []
    for call in obs.calls:
        response = call.response
        summary: dict[str, Any] = {
            "label": call.label,
            "status": response.status if response else None,
            "attempts": len(call.attempts),
            "sdk_error": f"{type(call.error).__name__}" if call.error else None,
        }
        summary |= attempt_summary(call.attempts[-1], secrets) if call.attempts else {}
        if len(call.attempts) > 1:  # retried: every attempt, not only the last
            summary["history"] = attempt_history(call.attempts, secrets)
        calls.append(summary)
    return {"calls": calls}


def failure_message(case: Case, reason: str, obs: Observation, secrets: Secrets) -> str:
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
