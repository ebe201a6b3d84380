"""Two applies of different changes to the same endpoints at once: no update is lost silently.

Both plans are made from the same live state, then both applies run at the same moment in
one event loop, each with its own connection pool, against ``reconciler emulator serve`` on
loopback with injected latency: their requests really interleave at the server (both
re-read an endpoint before either writes it, the race a stale check alone cannot see).

The guarantee checked (README, "Two applies at once"): for every endpoint, each apply either
reports it done and its change is in the final live state, or reports it failed as
``stale-plan`` / ``conflict`` with a message saying to plan again. Two changes to the same
field are never both reported done. (Every apply also rewrites the ``reconciler-applied``
tag, so two applies racing on one endpoint always share a field: the later one is refused
even when their own changes are in different facets.)
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support.emulator_server import EmulatorServer

from reconciler.api import workflow
from reconciler.api.validating import load_project
from reconciler.applying.report import ApplyReport
from reconciler.applying.waiting import WaitSettings
from reconciler.loading.project import Project
from reconciler.registry import open_remote
from reliability.generated import TOKEN_ENV, set_manifests, write_project

ENDPOINTS = 24
WAITS = WaitSettings(timeout=60.0, min_interval=0.05, max_interval=0.2)
Value = Callable[[dict[str, Any]], object]


def tier(live: dict[str, Any]) -> object:
    return {t["key"]: t.get("value") for t in live.get("tags") or []}.get("tier")


def calls(live: dict[str, Any]) -> object:
    return ((live.get("ai_gateway") or {}).get("rate_limits") or [{}])[0].get("calls")


def model(live: dict[str, Any]) -> object:
    entities = (live.get("config") or {}).get("served_entities") or [{}]
    return (entities[0].get("external_model") or {}).get("name")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[EmulatorServer]:
    with EmulatorServer.start(db_path=tmp_path / "emulator.db", log_path=tmp_path / "srv.log",
                              latency_ms=40, ready_after=0.3) as running:
        yield running


def _project(root: Path, server: EmulatorServer) -> Project:
    return load_project(root, env={TOKEN_ENV: server.token})


async def _apply(project: Project, server: EmulatorServer, saved: bool) -> tuple[
        Any, ApplyReport]:
    async with open_remote(server.url, server.token, parallelism=4) as registry:
        plan = await workflow.plan_with(project, registry, workflow.PlanSettings())
        return plan, await workflow.apply_with(
            project, registry, plan,
            workflow.ApplySettings(parallelism=4, wait_settings=WAITS, env={}), saved=saved)


async def _race(a: Project, b: Project, server: EmulatorServer,
                saved: bool) -> tuple[ApplyReport, ApplyReport]:
    # Plans first (both from the same state), then both applies released together.
    async with open_remote(server.url, server.token, parallelism=4) as registry:
        plan_a = await workflow.plan_with(a, registry, workflow.PlanSettings())
        plan_b = await workflow.plan_with(b, registry, workflow.PlanSettings())
    assert plan_a.has_changes and plan_b.has_changes

    async def apply(project: Project, plan: Any) -> ApplyReport:
        async with open_remote(server.url, server.token, parallelism=4) as registry:
            return await workflow.apply_with(
                project, registry, plan,
                workflow.ApplySettings(parallelism=4, wait_settings=WAITS, env={}),
                saved=saved)

    report_a, report_b = await asyncio.gather(apply(a, plan_a), apply(b, plan_b))
    return report_a, report_b


def _check(reports: dict[str, tuple[ApplyReport, Value, object]],
           final: dict[str, dict[str, Any]]) -> dict[str, int]:
    """The guarantee, endpoint by endpoint; the tally of outcomes for the figures."""
    tally = {"both done": 0, "one done, one refused": 0, "both refused": 0,
             "refused as stale-plan": 0, "refused as conflict": 0}
    for name, live in final.items():
        done = 0
        for label, (report, value, wanted) in reports.items():
            [outcome] = [o for o in report.outcomes if o.name == name]
            if outcome.status == "done":
                done += 1
                assert value(live) == wanted, (
                    f"{name}: apply {label} reported done but its change was lost "
                    f"(live {value(live)!r}, wanted {wanted!r})")
            else:
                assert outcome.status == "failed", outcome
                assert outcome.failure in ("stale-plan", "conflict"), outcome
                assert "plan" in (outcome.error or ""), outcome.error
                tally[f"refused as {outcome.failure}"] += 1
        tally[["both refused", "one done, one refused", "both done"][done]] += 1
    return tally


def _run(tmp_path: Path, server: EmulatorServer, change_a: dict[str, Any],
         change_b: dict[str, Any], saved: bool) -> dict[str, int]:
    target = f"{{host: '{server.url}', token_env: {TOKEN_ENV}, max_rps: 0}}"
    base = write_project(tmp_path / "a", ENDPOINTS, target=target, project="shared")
    shutil.copytree(base, tmp_path / "b")
    _plan, seeded = asyncio.run(_apply(_project(base, server), server, saved=False))
    assert seeded.ok and len(seeded.done) == ENDPOINTS
    set_manifests(tmp_path / "a", ENDPOINTS, **change_a)
    set_manifests(tmp_path / "b", ENDPOINTS, **change_b)
    a, b = _project(tmp_path / "a", server), _project(tmp_path / "b", server)
    report_a, report_b = asyncio.run(_race(a, b, server, saved))

    async def final() -> dict[str, dict[str, Any]]:
        async with open_remote(server.url, server.token) as registry:
            return {e.endpoint.name: await registry.get_endpoint(e.endpoint.name) or {}
                    for e in a.endpoints}

    live = asyncio.run(final())
    values = {"tier": tier, "calls": calls, "model": model}
    return _check({"A": (report_a, values[next(iter(change_a))], next(iter(change_a.values()))),
                   "B": (report_b, values[next(iter(change_b))], next(iter(change_b.values())))},
                  live)


@pytest.mark.slow
@pytest.mark.parametrize("saved", [True, False], ids=["saved-plans", "plan-and-apply"])
def test_same_tag_two_values_at_once(tmp_path: Path, server: EmulatorServer,
                                     saved: bool) -> None:
    tally = _run(tmp_path, server, {"tier": "silver"}, {"tier": "bronze"}, saved)
    print("same tag:", tally)
    assert tally["both done"] == 0


@pytest.mark.slow
def test_tags_and_ai_gateway_at_once(tmp_path: Path, server: EmulatorServer) -> None:
    tally = _run(tmp_path, server, {"tier": "silver"}, {"calls": 250}, saved=True)
    print("tags + ai_gateway:", tally)
    assert tally["both refused"] < ENDPOINTS  # one of the two goes through


@pytest.mark.slow
def test_same_config_two_models_at_once(tmp_path: Path, server: EmulatorServer) -> None:
    tally = _run(tmp_path, server, {"model": "gpt-4o"}, {"model": "o1-mini"}, saved=False)
    print("same config:", tally)
    assert tally["both done"] == 0
