"""Permission writes of one apply stay within 30 per second, whatever the parallelism.

Creates N endpoints (default 120), each with grants beyond its creator's, on the in-process
emulator (the local target's path): N creates, then N permission PATCHes, all endpoints at
``--parallelism`` at once. The emulator's request log timestamps every request; the script
reports the permission writes, the busiest one-second window of them, and the apply's wall
time next to its lower bound (N - 1) / 27 s (the pacing alone: 10 % under the documented
30/s). Then it changes every endpoint's
grants (N PUTs, nothing else written) and measures again.

    .venv/bin/python bench/permissions.py [--endpoints 120] [--parallelism 32]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from support.registry_harness import FAST_WAITS, emulator_registry

from reconciler.api import workflow
from reconciler.api.validating import load_project
from reconciler.registry.budget import CLASS_LIMITS, PERMISSION_WRITES

PACED_PER_SECOND = CLASS_LIMITS[PERMISSION_WRITES]

PERMS = "/api/2.0/permissions/serving-endpoints/"


def write_project(root: Path, count: int, level: str) -> None:
    (root / "endpoints").mkdir(parents=True, exist_ok=True)
    (root / "reconciler.yaml").write_text("project: bench\nmanifests: [endpoints/]\n")
    docs = [
        f"name: ep-{i:04d}\ntags: {{team: bench}}\nconfig:\n  served_entities:\n"
        "    - name: chat\n      external_model:\n        name: gpt-4o-mini\n"
        "        provider: openai\n        task: llm/v1/chat\n"
        "        openai_config: {openai_api_key: '{{secrets/bench/openai}}'}\n"
        f"permissions:\n  - {{group_name: readers, permission_level: {level}}}\n"
        for i in range(count)
    ]
    (root / "endpoints" / "all.yaml").write_text("---\n".join(docs))


def busiest_second(times: list[float]) -> int:
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


async def run(count: int, parallelism: int) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "project"
        async with emulator_registry(Path(tmp)) as emu:
            settings = workflow.ApplySettings(wait_settings=FAST_WAITS, env={},
                                              parallelism=parallelism)
            for what, level in (("create + PATCH", "CAN_VIEW"), ("PUT (lowered)", "CAN_VIEW"),
                                ("PATCH (raised)", "CAN_QUERY")):
                if what.startswith("PUT"):
                    # lowering needs a higher level first: raise outside the measurement
                    write_project(root, count, "CAN_MANAGE")
                    project = load_project(root, env={})
                    plan = await workflow.plan_with(project, emu.registry,
                                                    workflow.PlanSettings())
                    await workflow.apply_with(project, emu.registry, plan, settings)
                write_project(root, count, level)
                project = load_project(root, env={})
                plan = await workflow.plan_with(project, emu.registry,
                                                workflow.PlanSettings(parallelism=parallelism))
                before = len(emu.requests())
                started = time.perf_counter()
                report = await workflow.apply_with(project, emu.registry, plan, settings)
                wall = time.perf_counter() - started
                assert report.ok, [o.error for o in report.failed]
                writes = [r for r in emu.requests()[before:]
                          if r["path"].startswith(PERMS) and r["method"] != "GET"]
                rows.append({
                    "run": what, "endpoints": count, "parallelism": parallelism,
                    "permission_writes": len(writes),
                    "busiest_second": busiest_second([float(r["ts"]) for r in writes]),
                    "apply_s": round(wall, 2),
                    "lower_bound_s": round((len(writes) - 1) / PACED_PER_SECOND, 2),
                })
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoints", type=int, default=120)
    parser.add_argument("--parallelism", type=int, default=32)
    args = parser.parse_args()
    for row in asyncio.run(run(args.endpoints, args.parallelism)):
        print(json.dumps(row))


if __name__ == "__main__":
    main()
