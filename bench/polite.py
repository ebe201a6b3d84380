"""The polite client against a throttled workspace: ``reconciler plan`` of N endpoints (default
200) against ``reconciler emulator serve --max-rps 20 --latency-ms 50``.

1. Polite: the plan with the client at 18 requests per second. Expected: no 429 at all, and
   a time within 1.15x of the bound (1 list + N GETs) / 18 s = 201/18 = 11.2 s for 200.
2. Throttling off (no budget), for comparison: how many 429s the server answered, how many
   requests were sent in all (retries after ``Retry-After`` included) and the time.
3. ``reconciler plan --max-rps 18`` as a user runs it, for its wall time (process start,
   imports and loading the manifests included, so above the bound by those seconds).

The endpoints are seeded first on the same SQLite file by a server without throttling or
latency. 1 and 2 time ``workflow.plan_with`` in-process (the plan itself); the 429s are
counted in the emulator's request log.

    .venv/bin/python bench/polite.py [--endpoints 200] [--server-rps 20] [--client-rps 18]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from support.emulator_server import EmulatorServer

from reconciler.api import workflow
from reconciler.api.validating import load_project
from reconciler.registry import open_remote

TOKEN_ENV = "BENCH_EMULATOR_TOKEN"
BOUND_FACTOR = 1.15


def write_project(root: Path, count: int, url: str) -> Path:
    (root / "endpoints").mkdir(parents=True, exist_ok=True)
    (root / "reconciler.yaml").write_text(
        "project: bench\nmanifests: [endpoints/]\ndefault_target: emu\n"
        f"targets:\n  emu: {{host: '{url}', token_env: {TOKEN_ENV}}}\n")
    documents = [
        f"name: polite-{index:04d}\ntags: {{team: bench}}\n"
        "config:\n  served_entities:\n    - name: chat\n      external_model:\n"
        "        name: gpt-4o-mini\n        provider: openai\n        task: llm/v1/chat\n"
        "        openai_config: {openai_api_key: '{{secrets/bench/openai}}'}\n"
        for index in range(count)
    ]
    (root / "endpoints" / "all.yaml").write_text("---\n".join(documents))
    return root


async def seed(root: Path, url: str, token: str) -> None:
    project = load_project(root)
    async with open_remote(url, token, parallelism=16) as registry:
        plan = await workflow.plan_with(project, registry, workflow.PlanSettings())
        report = await workflow.apply_with(project, registry, plan, workflow.ApplySettings(
            parallelism=16, wait=False))
        assert report.ok, report.failed


def _log_rows(log: Path, skip: int) -> list[dict[str, object]]:
    time.sleep(0.3)  # the log line of the last request
    rows = [json.loads(line) for line in log.read_text().splitlines()[skip:] if line]
    return [r for r in rows if not str(r["path"]).startswith("/_emulator/")]


def _log_length(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


def measured_plan(root: Path, server: EmulatorServer, client_rps: float) -> dict[str, float]:
    """The plan itself, in-process (one event loop, the client at ``client_rps``; 0: none)."""
    log = Path(server.knobs["request_log"])
    before = _log_length(log)
    project = load_project(root)

    async def run() -> float:
        async with open_remote(server.url, server.token, parallelism=8,
                               max_rps=client_rps or None) as registry:
            started = time.perf_counter()
            await workflow.plan_with(project, registry, workflow.PlanSettings())
            return time.perf_counter() - started

    elapsed = asyncio.run(run())
    rows = _log_rows(log, before)
    return {"seconds": round(elapsed, 2), "requests": len(rows),
            "throttled_429": sum(1 for r in rows if r.get("status") == 429)}


def cli_plan(root: Path, server: EmulatorServer, client_rps: float) -> dict[str, float]:
    """``reconciler plan --max-rps N`` as a user runs it (process start and loading included)."""
    log = Path(server.knobs["request_log"])
    before = _log_length(log)
    env = {**os.environ, TOKEN_ENV: server.token}
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "reconciler", "plan", "-C", str(root),
                             "--max-rps", str(client_rps)], capture_output=True, text=True,
                            env=env, timeout=600)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"plan failed: {result.stderr[-2000:]}")
    rows = _log_rows(log, before)
    return {"seconds": round(elapsed, 2), "requests": len(rows),
            "throttled_429": sum(1 for r in rows if r.get("status") == 429)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoints", type=int, default=200)
    parser.add_argument("--server-rps", type=float, default=20)
    parser.add_argument("--client-rps", type=float, default=18)
    parser.add_argument("--latency-ms", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        db = work / "emulator.db"
        with EmulatorServer.start(db_path=db) as plain:
            root = write_project(work / "project", args.endpoints, plain.url)
            asyncio.run(seed(root, plain.url, plain.token))
            port = plain.port
        with EmulatorServer.start(db_path=db, port=port, max_rps=args.server_rps,
                                  latency_ms=args.latency_ms,
                                  request_log=work / "requests.jsonl") as server:
            polite = measured_plan(root, server, args.client_rps)
            time.sleep(1.5)  # an empty throttle window between the runs
            rude = measured_plan(root, server, 0)
            time.sleep(1.5)
            cli = cli_plan(root, server, args.client_rps)
    bound = (1 + args.endpoints) / args.client_rps
    print(json.dumps({
        "endpoints": args.endpoints, "server_max_rps": args.server_rps,
        "client_max_rps": args.client_rps, "latency_ms": args.latency_ms,
        "bound_seconds": round(bound, 2),
        "polite": {**polite, "x_bound": round(polite["seconds"] / bound, 3)},
        "throttling_off": rude,
        "polite_cli_wall": cli,
        "polite_ok": polite["throttled_429"] == 0 and polite["seconds"] <= BOUND_FACTOR * bound,
    }, indent=2))


if __name__ == "__main__":
    main()
