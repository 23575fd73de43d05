"""Which probe and which check show a claim true or false; or why none can yet.

``plan(claim, sdk)`` returns the variants of a claim (``sync`` always; ``async`` and
``stream`` where the claim is about them), or a :class:`Untestable` reason that is
reported as "not testable", never as a pass.

A claim that names a registered probe (``probe: openai.stop``, :mod:`conformance.providers.registry`) gets one variant
with that probe (``sync`` or ``async``, as the probe is) and the claim's ``check:``; without a ``check:`` it keeps the
check the planner would pick for it, and is untestable when the planner has none. Every other claim is planned by its
location, status and field by its SDK family's planner (``providers/<family>/plan.py``); never by its id. This module
holds what the planners share: the variant types, the checks each status gets, and the errors no probe provokes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from conformance.providers import registry
from conformance.providers.registry import AsyncProbe, SyncProbe
from conformance.spec.model import Claim, Location, Sdk, Status


@dataclass(frozen=True, slots=True)
class Variant:
    """One way of probing a claim: a sync or an async probe, and the check that judges it."""

    name: str
    check: str
    probe: SyncProbe | None = None
    async_probe: AsyncProbe | None = None

    @property
    def is_async(self) -> bool:
        return self.async_probe is not None

    @property
    def probe_name(self) -> str:
        """The name the variant's probe is registered under (:mod:`conformance.providers.registry`)."""
        function = self.probe or self.async_probe
        assert function is not None, "a variant has a sync or an async probe"
        return registry.name_of(function)


@dataclass(frozen=True, slots=True)
class Untestable:
    reason: str


Plan = list[Variant] | Untestable

NOT_OBSERVABLE = {
    Location.PLATFORM: "a console/SDK fact: no HTTP exchange can show it",
    Location.AUTH: "about how keys are found or issued, not about an exchange a probe can send",
    Location.LIMIT: "a rate or size limit: showing it would need to exhaust a quota or send a very large body",
}
ONLY_ON_ERRORS = {"retry-after": "only sent with 429/529 answers, which no probe provokes on purpose"}
RESPONSE_CHECK = {
    Status.SUPPORTED: "response_present",
    Status.PARTIAL: "response_present",
    Status.CONSTANT: "response_constant",
    Status.ALWAYS_EMPTY: "response_empty",
}
HEADER_CHECK = {
    Status.SUPPORTED: "header_present",
    Status.CONSTANT: "header_constant",
    Status.ALWAYS_EMPTY: "header_empty",
}


def one(probe: SyncProbe, check: str) -> list[Variant]:
    return [Variant("sync", check, probe=probe)]


def sync_async_stream(sync: SyncProbe, async_: AsyncProbe, stream: SyncProbe, check: str) -> list[Variant]:
    return [
        Variant("sync", check, probe=sync),
        Variant("async", check, async_probe=async_),
        Variant("stream", check, probe=stream),
    ]


def error_probe(claim: Claim, wrong_key: SyncProbe, unknown_model: SyncProbe, invalid: SyncProbe | None) -> Plan:
    text = f"{claim.field} {claim.params}".lower()
    code = claim.params.get("status_code") or claim.params.get("error_status")
    if code == 401 or any(w in text for w in ("401", "api-key", "api_key", "authentication")):
        return one(wrong_key, "error_shape")
    if code == 404 or any(w in text for w in ("404", "not-found", "model_not_found")):
        return one(unknown_model, "error_shape")
    if code in (429, 403, 413, 500, 503, 529) or "request_too_large" in text:
        return Untestable(f"HTTP {code or 413} cannot be provoked cheaply and on purpose")
    if claim.status is Status.PARTIAL:
        return Untestable(f"about error wording ({claim.params.get('restriction', '')}), which no check can judge")
    if invalid is not None:
        return one(invalid, "error_shape")
    return Untestable("no probe provokes this error yet")


@functools.cache
def planners() -> dict[Sdk, Callable[[Claim], Plan]]:
    """Each SDK family's planner (``providers/<family>/plan.py``), imported on first use: they import this module."""
    from conformance.providers.anthropic.plan import plan_anthropic
    from conformance.providers.gemini.plan import plan_gemini
    from conformance.providers.openai.plan import plan_openai

    return {Sdk.OPENAI: plan_openai, Sdk.ANTHROPIC: plan_anthropic, Sdk.GOOGLE_GENAI: plan_gemini}


API_OF_SDK = {Sdk.OPENAI: "openai", Sdk.ANTHROPIC: "anthropic", Sdk.GOOGLE_GENAI: "gemini"}
"""The probe-name prefix (:data:`conformance.providers.registry.APIS`) of the probes that talk through each SDK."""


def _named(claim: Claim, name: str, sdk: Sdk) -> Plan:
    """The claim's own probe (its ``probe:`` key), with its ``check:`` or else the check the planner picks."""
    try:
        named = registry.get(name)
    except registry.UnknownProbe as exc:
        return Untestable(str(exc))
    if named.api != API_OF_SDK[sdk]:
        return Untestable(f"probe {name!r} talks to the {named.api} API, not through the {sdk.value} SDK")
    check = claim.check
    if check is None:
        planned = planners()[sdk](claim)
        if isinstance(planned, Untestable) or not planned:
            why = f" ({planned.reason})" if isinstance(planned, Untestable) else ""
            return Untestable(f"names probe {name!r} but no check, and the planner picks none for it{why}")
        check = planned[0].check
    return [
        Variant("async", check, async_probe=named.async_)
        if named.async_ is not None
        else Variant("sync", check, probe=named.sync)
    ]


def plan(claim: Claim, sdk: Sdk) -> Plan:
    """The variants that probe ``claim`` through ``sdk``, or why it cannot be probed (an undocumented claim is
    probed as its reference documents it)."""
    claim = claim.as_documented
    if claim.location is Location.PLATFORM:
        return Untestable(NOT_OBSERVABLE[Location.PLATFORM])
    if claim.probe is not None:
        return _named(claim, claim.probe, sdk)
    result = planners()[sdk](claim)
    if claim.check and isinstance(result, list):
        return [Variant(v.name, claim.check, v.probe, v.async_probe) for v in result]
    return result
