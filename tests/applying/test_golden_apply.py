"""Golden apply cases: tests/golden/apply/<case>.json as data, run against the real emulator.

Each case is (plan, scripted live answers) -> the write requests apply sends, in order, and
each endpoint's outcome. A case file holds:

* ``about``: what the case pins, in one sentence;
* ``emulator``: emulator settings (``ready_after``: seconds a create or config update stays in
  progress);
* ``initial``: endpoint manifests applied first (plan + apply, so the endpoints carry our tags
  and applied marks); ``foreign``: create bodies of endpoints made by someone else;
* ``manifests`` and ``options`` (``prune``, ``allow_recreate``): what is planned;
* ``between``: what someone else does after the plan is made and before apply runs: plan
  steps in the plan JSON form (``{"op": "patch_tags", "endpoint": ..., ...}``), or
  ``{"control": "fail-next-update", "body": {...}}`` (an emulator control);
* ``saved``: true to apply as a saved plan (never re-planned); ``stop_after_writes``: apply
  is asked to stop once that many writes were sent;
* ``expected``: ``writes`` (``[method, path]`` in order, across endpoints) and ``outcomes``
  (``{name: [status, failure]}``), plus ``notes`` (``{name: substring}``) where it matters.

``UPDATE_GOLDEN=1 pytest tests/applying/test_golden_apply.py`` rewrites ``expected`` from what
apply did; review every rewritten file by hand, they are the spec.
"""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter
from support.registry_harness import FAST_WAITS, EmulatorHarness, emulator_registry

from reconciler.applying.executor import ApplyOptions, apply_plan
from reconciler.applying.report import ApplyReport
from reconciler.model.endpoint import ServingEndpoint
from reconciler.model.steps import PlanStep
from reconciler.planning.plan import EndpointAction, Plan
from reconciler.planning.planner import DesiredEndpoint, PlanOptions, build_plan

CASES = Path(__file__).resolve().parents[1] / "golden" / "apply"
PROJECT = "acme-genai"
STEP = TypeAdapter(PlanStep)


def case_names() -> list[str]:
    return sorted(p.stem for p in CASES.glob("*.json"))


def _desired(manifests: list[dict[str, Any]]) -> list[DesiredEndpoint]:
    return [DesiredEndpoint(ServingEndpoint.model_validate(m)) for m in manifests]


async def _settle(emu: EmulatorHarness) -> dict[str, dict[str, Any]]:
    """Every live endpoint's GET body, once none is updating."""
    for _ in range(200):
        names = [e["name"] for e in await emu.registry.list_endpoints(keep=("name",))]
        bodies = {n: b for n in names if (b := await emu.registry.get_endpoint(n)) is not None}
        if not any((b.get("state") or {}).get("config_update") == "IN_PROGRESS"
                   for b in bodies.values()):
            return bodies
        await asyncio.sleep(0.02)
    raise AssertionError("the emulator did not settle")


def _options(case: dict[str, Any]) -> PlanOptions:
    raw = case.get("options", {})
    return PlanOptions(project=PROJECT, target_name="golden", prune=raw.get("prune", False),
                       allow_recreate=raw.get("allow_recreate", False))


async def _run(emu: EmulatorHarness, case: dict[str, Any]) -> tuple[ApplyReport, list[Any]]:
    options = _options(case)
    if case.get("initial"):
        first = build_plan(_desired(case["initial"]), await _settle(emu), options)
        setup = await apply_plan(first, emu.registry, ApplyOptions(wait_settings=FAST_WAITS))
        assert setup.ok, setup.failed
    for body in case.get("foreign", []):
        await emu.registry.create_endpoint(body)
    desired = _desired(case["manifests"])
    plan: Plan = build_plan(desired, await _settle(emu), options)
    for item in case.get("between", []):
        if "control" in item:
            await emu.control(item["control"], item["body"])
        else:
            await emu.registry.write(STEP.validate_python(item), STEP.validate_python(item)
                                     .wire_body())
    start = len(emu.writes())
    def replan(name: str, fresh: dict[str, Any] | None) -> EndpointAction:
        # As apply's re-plan does: the same manifests and options, for this endpoint only.
        one = replace(options, select=(name,))
        again = build_plan(desired, {name: fresh} if fresh else {}, one).action_for(name)
        assert again is not None
        return again

    stop_after = case.get("stop_after_writes")
    report = await apply_plan(plan, emu.registry, ApplyOptions(
        wait_settings=FAST_WAITS, parallelism=case.get("parallelism", 8),
        replan=None if case.get("saved") else replan,
        stop_requested=None if stop_after is None
        else lambda: len(emu.writes()) - start >= stop_after))
    return report, [list(w) for w in emu.writes()[start:]]


def _view(report: ApplyReport, writes: list[Any], case: dict[str, Any]) -> dict[str, Any]:
    view: dict[str, Any] = {
        "writes": writes,
        "outcomes": {o.name: [o.status, o.failure] for o in report.outcomes},
    }
    notes = case.get("expected", {}).get("notes")
    if notes:
        view["notes"] = notes
    return view


@pytest.mark.parametrize("name", case_names())
def test_golden_apply_case(tmp_path: Path, name: str) -> None:
    path = CASES / f"{name}.json"
    case = json.loads(path.read_text())

    async def main() -> tuple[ApplyReport, list[Any]]:
        async with emulator_registry(tmp_path, **case.get("emulator", {})) as emu:
            return await _run(emu, case)

    report, writes = asyncio.run(main())
    actual = _view(report, writes, case)
    if os.environ.get("UPDATE_GOLDEN"):
        case["expected"] = actual
        path.write_text(json.dumps(case, indent=2) + "\n")
        return
    expected = case["expected"]
    assert actual["writes"] == expected["writes"], report.model_dump_json(indent=2)
    assert actual["outcomes"] == expected["outcomes"], report.model_dump_json(indent=2)
    for endpoint, text in expected.get("notes", {}).items():
        outcome = next(o for o in report.outcomes if o.name == endpoint)
        assert text in f"{outcome.note} {outcome.error}", outcome


def test_there_are_at_least_twenty_cases() -> None:
    assert len(case_names()) >= 20
