"""Seeded reliability trials against served emulators, and what every trial ends with.

A trial (tests/reliability: crash-resume, the restart and SIGINT rows of the fault matrix)
interrupts a real ``reconciler`` process or the real emulator process, then checks that the
next run converges. ``run_trials`` runs a few at a time, each on its own server, port and
database: a trial spends most of its time waiting on a process or a server, so another one
uses the CPU meanwhile. The starting state and the final plan are made in-process by the
library against the same server (``apply_in_process``, ``changes_in_process``): they are
what the trial starts from and checks, not what it tests, and each saves a CLI start-up
(about a second of CPU).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import httpx
from reliability.generated import API, TOKEN_ENV

from reconciler.api import workflow
from reconciler.api.validating import load_project
from reconciler.applying.report import ApplyReport
from reconciler.planning.plan import Plan
from reconciler.registry import open_remote
from support.emulator_server import EmulatorServer

T = TypeVar("T")
AT_ONCE = 2  # trials at a time: one per core of the 2-core CI machine


def run_trials(trial: Callable[[int], T], count: int, *, at_once: int = AT_ONCE) -> list[T]:
    """``[trial(0), ..., trial(count - 1)]``, ``at_once`` of them running at a time."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=at_once) as pool:
        return list(pool.map(trial, range(count)))


def apply_in_process(root: Path, server: EmulatorServer) -> ApplyReport:
    """Plan and apply the generated project at ``root`` (``reliability.generated``: its token
    in ``TOKEN_ENV``) on ``server`` with the library; fails unless every endpoint was done."""

    async def apply() -> ApplyReport:
        async with open_remote(server.url, server.token) as registry:
            project = load_project(root, env={TOKEN_ENV: server.token})
            plan = await workflow.plan_with(project, registry, workflow.PlanSettings())
            return await workflow.apply_with(project, registry, plan, workflow.ApplySettings())

    report = asyncio.run(apply())
    assert report.ok, [(o.name, o.status, o.error) for o in report.outcomes]
    return report


def changes_in_process(root: Path, server: EmulatorServer) -> list[str]:
    """The endpoints a plan of the generated project at ``root`` would change (or finds
    blocked): empty exactly when ``reconciler plan --detailed-exitcode`` exits 0."""

    async def plan() -> Plan:
        async with open_remote(server.url, server.token) as registry:
            project = load_project(root, env={TOKEN_ENV: server.token})
            return await workflow.plan_with(project, registry, workflow.PlanSettings())

    planned = asyncio.run(plan())
    return [a.name for a in planned.actions if a.has_changes] + [
        s.name for s in planned.services if s.has_changes]


def live_names(server: EmulatorServer) -> list[str]:
    listed = httpx.get(server.url + API, timeout=30,
                       headers={"Authorization": f"Bearer {server.token}"}).json()
    return sorted(e["name"] for e in listed.get("endpoints", []))


def assert_created_once(server: EmulatorServer, rows: Iterable[dict[str, Any]],
                        names: list[str], trial: object) -> None:
    """Nothing was deleted, each of ``names`` was created by exactly one successful POST,
    and exactly ``names`` are live."""
    rows = list(rows)
    assert not [r for r in rows if r["method"] == "DELETE"], f"trial {trial} deleted"
    ok_creates = sum(1 for r in rows if r["method"] == "POST" and r["status"] == 200
                     and r["path"].rstrip("/") == API)
    assert ok_creates == len(names), (trial, ok_creates)
    assert live_names(server) == names
