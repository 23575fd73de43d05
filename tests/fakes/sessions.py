"""One builder for a live ``Session`` aimed at a fake server, shared by the tests that run cases in-process."""

from __future__ import annotations

from collections.abc import Mapping

from conformance.pytest.options import Settings
from conformance.results.model import Run
from conformance.run.runner import Session
from conformance.run.traffic import Traffic
from conformance.spec.loader import load_specs
from conformance.spec.model import Spec

SPECS: dict[str, Spec] = {spec.provider.id: spec for spec in load_specs(()).specs}
"""Provider id -> the shipped spec."""


def live_session(
    flavor: str,
    url: str | None,
    *,
    timeout: float = 10.0,
    models: Mapping[str, str] | None = None,
    expensive: bool = False,
    traffic: Traffic | None = None,
) -> Session:
    """A live session of one provider at ``url`` (a fake's base URL; None: the spec's own), with a dummy key in the spec's key variable."""
    settings = Settings(
        live=True,
        providers=(flavor,),
        base_urls={flavor: url} if url else {},
        models=dict(models or {}),
        specs=(),
        results_path=None,
        expensive=expensive,
        timeout=timeout,
    )
    env = {SPECS[flavor].provider.api_key_env[0]: "x"}
    if traffic is None:
        return Session(settings=settings, run=Run(mode="live"), env=env)
    return Session(settings=settings, run=Run(mode="live"), env=env, traffic=traffic)
