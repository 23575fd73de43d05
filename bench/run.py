"""``nox -s bench``: the harness's own costs, measured side by side in one run; prints them and writes
``reports/bench.json``. Not collected by pytest (no ``test_`` names); no test asserts a time.

1. harness time per exchange against a local fake ÷ a bare SDK call against the same fake (goal ≤ 1.5)
2. load + plan time of a generated spec with 1,000 claims (goal < 1 s), and ``pytest --collect-only`` of it next to
   the same command without that spec (the difference is what the 1,000 claims cost; the rest is start-up)
3. report render time for 10,000 synthetic results (goal < 2 s), when ``conformance.report`` is there
4. replay of every cassette (``pytest tests/test_conformance.py -m conformance`` offline, the command
   ``nox -s conformance`` runs) and ``conformance audit cassettes/imported``
5. the start-up the plugin adds to an unrelated one-test project (``-p no:conformance`` beside it; goal < 0.3 s)
6. the live wall time of one spec against a fake answering after 0.4 s, against requests x latency / 4 plus
   start-up (goal <= 1.3x, without xdist: probes are sent ahead, ``--conformance-concurrency`` at a time)

``--only 1,6`` measures a selection (written to ``reports/bench-only-1-6.json``). Figure 1 goes through the real
probe path (``Session.run_sync``: the shared SDK client, the provider's kept-alive connection pool, the recorder);
the fake sets ``TCP_NODELAY`` and keeps connections alive, as the bare loop's.

The machine may be noisy: compare ratios, not absolute times. Each figure carries the 1-minute load average
measured just before it, so a figure taken under load can be told from a slow harness.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

EXCHANGES = 150
CLAIMS = 1000
RESULTS = 10_000


def _load() -> float | None:
    """The 1-minute load average (None where the OS has none)."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def _best_of(fn: Callable[[], None], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def harness_ratio() -> dict[str, Any]:
    import openai

    from conformance.pytest.options import Settings
    from conformance.results.model import Run
    from conformance.run.runner import Session, cases_for
    from conformance.run.traffic import traffic_for
    from conformance.spec.loader import load_specs
    from tests.fakes import FakeServer

    load = _load()
    spec = next(s for s in load_specs(()).specs if s.provider.id == "openai")
    case = next(c for c in cases_for(spec) if c.id == "openai.response.id")
    with FakeServer("openai", keep_alive=True) as server:
        client = openai.OpenAI(api_key="x", base_url=server.base_url, max_retries=0)
        messages: Any = [{"role": "user", "content": "Reply with the single word OK."}]

        def bare() -> None:
            for _ in range(EXCHANGES):
                client.chat.completions.create(model="gpt-4o-mini", messages=messages, max_tokens=16)

        settings = Settings(
            live=True, providers=("openai",), base_urls={"openai": server.base_url}, models={}, specs=(),
            results_path=None, expensive=False, timeout=30.0,
        )  # fmt: skip
        session = Session(settings=settings, run=Run(mode="live"), env={"OPENAI_API_KEY": "x"}, traffic=traffic_for())

        def harness() -> None:
            for i in range(EXCHANGES):
                session.run_sync(f"bench-{i}", case)
                session.record(f"bench-{i}", case, "pass", "")

        bare(), harness()  # warm up both (the harness's SDK client and connection are built once, then reused)
        bare_s, harness_s = _best_of(bare), _best_of(harness)
        session.close()
        client.close()
    per_bare, per_harness = bare_s / EXCHANGES * 1000, harness_s / EXCHANGES * 1000
    return {
        "bare_sdk_ms_per_exchange": round(per_bare, 3),
        "harness_ms_per_exchange": round(per_harness, 3),
        "ratio": round(per_harness / per_bare, 2),
        "load_average": load,
        "goal": "<= 1.5",
    }


def _spec_text(n: int) -> str:
    claims = "\n".join(
        f"""  - id: bench.response.field_{i}
    location: response
    field: field_{i}
    status: supported
    doc:
      url: https://example.invalid/docs#field_{i}
      source: "bench"
      quote: "field_{i} is returned"
"""
        for i in range(n)
    )
    return f"""spec_version: 1
provider:
  id: bench
  title: "Generated spec for the collection benchmark"
  sdk: openai
  base_url: https://example.invalid/v1/
  api_key_env:
    - BENCH_API_KEY
  default_model: bench-model
claims:
{claims}"""


def collection() -> dict[str, Any]:
    from conformance.run.runner import cases_for
    from conformance.spec.loader import load_specs

    load = _load()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.yaml"
        path.write_text(_spec_text(CLAIMS), encoding="utf-8")
        no_recordings = Path(tmp) / "no-recordings"  # not cassettes/imported, and not the folder holding the spec
        no_recordings.mkdir()
        loaded: list[Any] = []

        def load_and_plan() -> None:
            result = load_specs((path,))
            spec = next(s for s in result.specs if s.provider.id == "bench")
            loaded.append((len(spec.claims), len(cases_for(spec)), [str(p) for p in result.problems][:3]))

        start = time.perf_counter()
        load_and_plan()  # the first call in this process: also builds the schema validator, once per process
        first = time.perf_counter() - start
        seconds = _best_of(load_and_plan)
        claims, cases, problems = loaded[-1]
        collect = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                   "--imported", str(no_recordings), "tests/test_conformance.py"]  # fmt: skip
        runs = {}
        for name, command in {
            "with_spec": [*collect, "--specs", str(path), "--provider", "bench"],
            "without_spec": collect,
        }.items():
            start = time.perf_counter()
            proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
            runs[name] = (time.perf_counter() - start, proc.returncode == 0)
    return {
        "claims": claims,
        "cases": cases,
        "problems": problems,
        "load_and_plan_s": round(seconds, 3),
        "load_and_plan_first_call_s": round(first, 3),
        "pytest_collect_only_s": round(runs["with_spec"][0], 2),
        "pytest_collect_only_ok": runs["with_spec"][1],
        "pytest_collect_only_without_the_spec_s": round(runs["without_spec"][0], 2),
        "load_average": load,
        "goal": "< 1 s (load and plan)",
    }


def report_render() -> dict[str, Any]:
    try:
        from conformance.report import render_report
        from conformance.report.synthetic import write_synthetic
    except ImportError:
        return {"note": "report renderer not available yet"}
    load = _load()
    with tempfile.TemporaryDirectory() as tmp:
        results = write_synthetic(Path(tmp) / "results.json", RESULTS)
        seconds = _best_of(lambda: render_report([results], Path(tmp) / "out"), repeat=2)
    return {"results": RESULTS, "render_s": round(seconds, 3), "load_average": load, "goal": "< 2 s"}


def replay_and_audit() -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    out: dict[str, Any] = {"cassettes": sum(1 for _ in (ROOT / "cassettes").rglob("*.yaml"))}
    with tempfile.TemporaryDirectory() as tmp:
        commands = {
            "replay_all_cassettes_s": [sys.executable, "-m", "pytest", "tests/test_conformance.py", "-m", "conformance",
                                       "-q", "-p", "no:cacheprovider", "--conformance-json", f"{tmp}/replay.json"],
            "audit_imported_s": [sys.executable, "-m", "conformance", "audit", "cassettes/imported",
                                 "--json", f"{tmp}/audit.json"],
        }  # fmt: skip
        for name, command in commands.items():
            out[name.replace("_s", "_load_average")] = _load()
            start = time.perf_counter()
            proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
            out[name] = round(time.perf_counter() - start, 2)
            out[name.replace("_s", "_exit")] = proc.returncode
    return out


LATENCY = 0.4


def live_wall() -> dict[str, Any]:
    """One spec's live run (openai, no xdist) against a faithful fake that answers after 0.4 s, next to the ideal
    with 4 requests in flight: requests x latency / 4 plus the same command's start-up (``--collect-only``)."""
    from tests.fakes import FakeServer
    from tests.fakes.server import Reply, Request

    class Slow(FakeServer):
        def handle(self, request: Request) -> Reply:
            time.sleep(LATENCY)
            return super().handle(request)

    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env["OPENAI_API_KEY"] = "fake-bench-key"
    load = _load()
    with tempfile.TemporaryDirectory() as tmp, Slow("openai", keep_alive=True) as server:
        base = [sys.executable, "-m", "pytest", CASES_MODULE, "-m", "conformance", "--live", "--provider", "openai",
                "--base-url", f"openai={server.base_url}", f"--imported={tmp}/none", "-p", "no:cacheprovider", "-q",
                "--conformance-concurrency", "4"]  # fmt: skip
        start = time.perf_counter()
        subprocess.run([*base, "--collect-only"], cwd=ROOT, env=env, capture_output=True, timeout=300)
        startup_s = time.perf_counter() - start
        start = time.perf_counter()
        subprocess.run(
            [*base, f"--conformance-json={tmp}/live.json"], cwd=ROOT, env=env, capture_output=True, timeout=900
        )
        wall = time.perf_counter() - start
        usage = json.loads(Path(tmp, "live.json").read_text())["run"]["usage"]["openai"]
    ideal = usage["requests"] * LATENCY / 4 + startup_s
    return {
        "requests": usage["requests"],
        "wall_s": round(wall, 2),
        "startup_s": round(startup_s, 2),
        "ideal_s": round(ideal, 2),
        "ratio": round(wall / ideal, 2),
        "load_average": load,
    }


CASES_MODULE = "tests/test_conformance.py"


def startup() -> dict[str, Any]:
    """What installing the plugin adds to an unrelated project's pytest run: one trivial test, with the plugin and
    with ``-p no:conformance`` (goal: < 0.3 s added), best of 5 each, alternating."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "test_one.py").write_text("def test_one():\n    assert 1 + 1 == 2\n", encoding="utf-8")
        base = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_one.py"]
        times: dict[str, list[float]] = {"with": [], "without": []}
        load = _load()
        for _ in range(5):
            for name, extra in (("with", []), ("without", ["-p", "no:conformance"])):
                start = time.perf_counter()
                subprocess.run([*base, *extra], cwd=tmp, env=env, capture_output=True, check=True, timeout=120)
                times[name].append(time.perf_counter() - start)
    best = {name: min(values) for name, values in times.items()}
    return {
        "with_plugin_s": round(best["with"], 3),
        "without_plugin_s": round(best["without"], 3),
        "added_s": round(best["with"] - best["without"], 3),
        "load_average": load,
    }


FIGURES: dict[str, Callable[[], dict[str, Any]]] = {
    "harness_vs_bare_sdk": harness_ratio,
    "collection_1000_claims": collection,
    "report_render_10000_results": report_render,
    "replay_and_audit": replay_and_audit,
    "startup_unrelated_project": startup,
    "live_wall_one_spec": live_wall,
}
"""The figures in their numbered order (``--only 1,6`` measures the first and the sixth)."""


def _print(figures: dict[str, Any]) -> None:
    loads = []
    if (h := figures.get("harness_vs_bare_sdk")) is not None:
        loads.append(h.get("load_average"))
        print(f"1. harness / bare SDK per exchange: {h['harness_ms_per_exchange']} ms / {h['bare_sdk_ms_per_exchange']}"
              f" ms = {h['ratio']} (goal <= 1.5)")  # fmt: skip
    if (c := figures.get("collection_1000_claims")) is not None:
        loads.append(c.get("load_average"))
        print(f"2. load + plan {c['claims']} claims ({c['cases']} cases): {c['load_and_plan_s']} s (goal < 1 s);"
              f" pytest --collect-only: {c['pytest_collect_only_s']} s"
              f" ({c['pytest_collect_only_without_the_spec_s']} s without the spec)")  # fmt: skip
    if (r := figures.get("report_render_10000_results")) is not None:
        loads.append(r.get("load_average"))
        shown = f"{r['render_s']} s (goal < 2 s)" if "render_s" in r else r["note"]
        print(f"3. report render, {RESULTS} results: {shown}")
    if (a := figures.get("replay_and_audit")) is not None:
        loads += [a.get("replay_all_cassettes_load_average"), a.get("audit_imported_load_average")]
        print(f"4. replay of all cassettes ({a['cassettes']} files): {a['replay_all_cassettes_s']} s;"
              f" audit cassettes/imported: {a['audit_imported_s']} s")  # fmt: skip
    if (s := figures.get("startup_unrelated_project")) is not None:
        loads.append(s.get("load_average"))
        print(f"5. an unrelated one-test project: {s['with_plugin_s']} s with the plugin, {s['without_plugin_s']} s"
              f" with -p no:conformance: {s['added_s']} s added (goal < 0.3 s)")  # fmt: skip
    if (w := figures.get("live_wall_one_spec")) is not None:
        loads.append(w.get("load_average"))
        print(f"6. live run of one spec ({w['requests']} requests, fake answering after {LATENCY} s, no xdist):"
              f" {w['wall_s']} s; ideal with 4 in flight {w['ideal_s']} s (requests x latency / 4 +"
              f" {w['startup_s']} s start-up): {w['ratio']}x (goal <= 1.3)")  # fmt: skip
    print(f"1-minute load average before each figure: {', '.join(str(x) for x in loads)} ({os.cpu_count()} CPUs)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--only", help="comma-separated figure numbers to measure (default: all), e.g. 1,6")
    args = parser.parse_args(argv)
    names = list(FIGURES)
    chosen = names
    if args.only:
        numbers = [int(n) for n in args.only.split(",") if n.strip()]
        if any(not 1 <= n <= len(names) for n in numbers):
            parser.error(f"--only takes figure numbers 1 to {len(names)}")
        chosen = [names[n - 1] for n in sorted(set(numbers))]
    figures: dict[str, Any] = {name: FIGURES[name]() for name in chosen}
    figures["python"] = sys.version.split()[0]
    figures["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    _print(figures)
    figures["cpus"] = os.cpu_count()
    target = (
        ROOT
        / "reports"
        / ("bench.json" if chosen == names else f"bench-only-{'-'.join(str(names.index(n) + 1) for n in chosen)}.json")
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(f"written to {target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
