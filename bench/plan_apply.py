"""Plan and apply at scale against ``reconciler emulator serve --latency-ms 50``.

Three measurements, each next to its lower bound (round trips / parallelism x latency):

1. ``plan`` of N endpoints (default 1,000) that all exist: one list call, then one GET per
   endpoint at the chosen parallelism, then the pure diff. Lower bound: (1 + N / P) x latency.
2. The same read done the way a user's script would: the Databricks SDK's
   ``serving_endpoints.get`` for each endpoint, one after another (the baseline).
3. ``apply`` creating M endpoints (default 200) on an empty emulator with
   ``--ready-after 5``: plan (one list), creates at parallelism P, then wait until every
   endpoint is ready. Lower bound: (1 list + M / P creates + 1 list) x latency + ready-after.

The number of API calls of each run is counted by the client (the emulator's request log
agrees). The endpoints are seeded on a server without latency, then the same SQLite file is
served with latency for the measured runs.

    .venv/bin/python bench/plan_apply.py [--endpoints 1000] [--create 200] [--parallelism 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from support.emulator_server import EmulatorServer

from reconciler.api import workflow
from reconciler.api.validating import load_project
from reconciler.loading.project import Project
from reconciler.registry import open_remote

TOKEN_ENV = "BENCH_EMULATOR_TOKEN"


def write_project(root: Path, count: int, url: str, prefix: str) -> Path:
    """A project of ``count`` external-model endpoints, one manifest file."""
    (root / "endpoints").mkdir(parents=True)
    (root / "reconciler.yaml").write_text(
        "project: bench\nmanifests: [endpoints/]\ndefault_target: emu\n"
        f"targets:\n  emu: {{host: '{url}', token_env: {TOKEN_ENV}, max_rps: 0}}\n")
    documents = []
    for index in range(count):
        documents.append(
            f"name: {prefix}-{index:04d}\n"
            "tags: {team: bench, tier: gold}\n"
            "config:\n  served_entities:\n    - name: chat\n      external_model:\n"
            "        name: gpt-4o-mini\n        provider: openai\n        task: llm/v1/chat\n"
            "        openai_config: {openai_api_key: '{{secrets/bench/openai}}'}\n"
            "ai_gateway:\n  usage_tracking_config: {enabled: true}\n"
            "  rate_limits: [{key: user, renewal_period: minute, calls: 100}]\n")
    (root / "endpoints" / "all.yaml").write_text("---\n".join(documents))
    return root


def load(root: Path) -> Project:
    return load_project(root)


async def timed_plan(project: Project, url: str, token: str, parallelism: int) -> dict[str, float]:
    settings = workflow.PlanSettings(parallelism=parallelism)
    async with open_remote(url, token, parallelism=parallelism) as registry:
        started = time.perf_counter()
        plan = await workflow.plan_with(project, registry, settings)
        elapsed = time.perf_counter() - started
        assert not plan.has_changes, plan.counts()
        return {"seconds": elapsed, "calls": registry.stats.total}


def sdk_baseline(url: str, token: str, names: list[str]) -> dict[str, float]:
    from databricks.sdk import WorkspaceClient

    client = WorkspaceClient(host=url, token=token)
    client.serving_endpoints.get(names[0])  # SDK set-up (host metadata probe) not timed
    started = time.perf_counter()
    for name in names:
        client.serving_endpoints.get(name)
    return {"seconds": time.perf_counter() - started, "calls": len(names)}


def seed(root: Path, db: Path) -> None:
    """Create every endpoint of the project on a latency-free server with the same file."""
    with EmulatorServer.start(db_path=db) as server:
        os.environ[TOKEN_ENV] = server.token
        project = load(root)
        project = project.__class__(**{**project.__dict__, "target": project.target.model_copy(
            update={"host": server.url})})
        plan = workflow.plan(project, workflow.PlanSettings(parallelism=16))
        report = workflow.apply(project, plan, workflow.ApplySettings(parallelism=16))
        assert report.ok, report.failed[:3]


def bench_plan(args: argparse.Namespace, work: Path) -> dict[str, object]:
    db = work / "plan.db"
    port_root = work / "plan-project"
    with EmulatorServer.start(db_path=db, latency_ms=args.latency_ms) as server:
        root = write_project(port_root, args.endpoints, server.url, "plan")
        os.environ[TOKEN_ENV] = server.token
        server.stop()
        seed(root, db)
        server.restart()
        os.environ[TOKEN_ENV] = server.token
        started = time.perf_counter()
        project = load(root)
        load_seconds = time.perf_counter() - started
        names = [e.endpoint.name for e in project.endpoints]
        latency = args.latency_ms / 1000
        rows = []
        for parallelism in args.plan_parallelism:
            runs = [asyncio.run(timed_plan(project, server.url, server.token, parallelism))
                    for _ in range(args.repeat)]
            best = min(runs, key=lambda r: r["seconds"])
            bound = (1 + math.ceil(len(names) / parallelism)) * latency
            rows.append({"parallelism": parallelism, "seconds": best["seconds"],
                         "all_seconds": [round(r["seconds"], 2) for r in runs],
                         "calls": best["calls"], "lower_bound": bound,
                         "ratio": best["seconds"] / bound})
        baseline = sdk_baseline(server.url, server.token, names[: args.baseline_endpoints])
        scale = len(names) / len(names[: args.baseline_endpoints])
        return {"endpoints": len(names), "load_seconds": load_seconds, "plans": rows,
                "sdk_seconds": baseline["seconds"] * scale, "sdk_calls": len(names),
                "sdk_measured_endpoints": len(names[: args.baseline_endpoints])}


def bench_apply(args: argparse.Namespace, work: Path) -> dict[str, object]:
    with EmulatorServer.start(db_path=work / "apply.db", latency_ms=args.latency_ms,
                              ready_after=args.ready_after) as server:
        root = write_project(work / "apply-project", args.create, server.url, "new")
        os.environ[TOKEN_ENV] = server.token
        project = load(root)
        parallelism = args.parallelism

        async def run() -> tuple[float, int, int, dict[str, int]]:
            async with open_remote(server.url, server.token, parallelism=parallelism) as reg:
                started = time.perf_counter()
                plan = await workflow.plan_with(project, reg,
                                                workflow.PlanSettings(parallelism=parallelism))
                plan_calls = reg.stats.total
                report = await workflow.apply_with(
                    project, reg, plan, workflow.ApplySettings(parallelism=parallelism))
                elapsed = time.perf_counter() - started
                assert report.ok, report.failed[:3]
                return elapsed, plan_calls, reg.stats.total, report.calls

        elapsed, plan_calls, total_calls, apply_calls = asyncio.run(run())
        latency = args.latency_ms / 1000
        bound = (1 + math.ceil(args.create / parallelism) + 1) * latency + args.ready_after
        return {"endpoints": args.create, "parallelism": parallelism, "seconds": elapsed,
                "lower_bound": bound, "ratio": elapsed / bound, "calls": total_calls,
                "plan_calls": plan_calls, "apply_calls": apply_calls}


def _rounded(value: object) -> object:
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoints", type=int, default=1000)
    parser.add_argument("--create", type=int, default=200)
    parser.add_argument("--parallelism", type=int, default=8)
    parser.add_argument("--plan-parallelism", type=int, nargs="+", default=[8])
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--ready-after", type=float, default=5.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline-endpoints", type=int, default=1000,
                        help="SDK gets actually made (the time is scaled to --endpoints).")
    parser.add_argument("--skip", choices=["plan", "apply"], action="append", default=[])
    args = parser.parse_args()
    # Other work on the machine shows in the figures; the load average says how much.
    results: dict[str, object] = {"load_average_before": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory(prefix="bench-plan-apply-") as tmp:
        work = Path(tmp)
        if "plan" not in args.skip:
            results["plan"] = bench_plan(args, work)
        if "apply" not in args.skip:
            results["apply"] = bench_apply(args, work)
    results["load_average_after"] = os.getloadavg()[0]
    print(json.dumps(_rounded(results), indent=2))


if __name__ == "__main__":
    main()
