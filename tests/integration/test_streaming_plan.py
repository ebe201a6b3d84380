"""The streaming plan (diff while reading) is exactly the planner's whole plan."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from support.registry_harness import EXAMPLES, FAST_WAITS, copy_project, emulator_registry

from reconciler.api import permissions, secrets, streaming_plan, workflow
from reconciler.api.validating import load_project
from reconciler.loading.project import Project
from reconciler.planning.plan import Plan
from reconciler.planning.planner import build_plan
from reconciler.registry import RegistryClient

ENV = {"OPENAI_API_KEY": "sk-test-not-a-real-key-123456"}


async def both(project: Project, registry: RegistryClient) -> tuple[Plan, Plan]:
    desired = workflow.desired_endpoints(project)
    options = workflow.plan_options(project, workflow.PlanSettings())
    assert streaming_plan.applies(desired, options)
    streamed = await streaming_plan.plan_streaming(registry, desired, options, env=ENV,
                                                   parallelism=4)
    live = await workflow.fetch_live(registry, {d.endpoint.name for d in desired},
                                     owner=None, parallelism=4)
    read = await permissions.read_for_plan(registry, desired, live, options,
                                           parallelism=4)
    whole = build_plan(secrets.with_secrets_status(desired, live, ENV), live,
                       permissions.with_caller(options, read), read.grants)
    return streamed, whole


@pytest.mark.parametrize("example", ["examples", "secrets-from-env"])
def test_streaming_plan_equals_the_whole_plan(
    tmp_path: Path, example: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", ENV["OPENAI_API_KEY"])
    source = EXAMPLES if example == "examples" else EXAMPLES / example
    root = copy_project(source, tmp_path / "project")
    apply = workflow.ApplySettings(wait_settings=FAST_WAITS, env=ENV)

    async def scenario() -> None:
        async with emulator_registry(tmp_path, ready_after=0.5) as emu:
            project = load_project(root, env=ENV)
            states = []
            streamed, whole = await both(project, emu.registry)  # nothing live: creates
            states.append((streamed, whole))
            assert (await workflow.apply_with(project, emu.registry, whole, apply)).ok
            states.append(await both(project, emu.registry))  # in sync: no-ops
            for manifest in sorted((root / "endpoints").glob("*.yaml")):
                text = manifest.read_text()
                text = text.replace("tier: gold", "tier: silver")
                manifest.write_text(text.replace("name: gpt-4o", "name: gpt-41"))
            live = await emu.registry.list_endpoints()
            first = sorted(e["name"] for e in live)[0]
            await emu.registry.patch_tags(first, [{"key": "by-hand", "value": "yes"}], [])
            project = load_project(root, env=ENV)
            states.append(await both(project, emu.registry))  # edits and drift: updates
            plan = states[-1][1]
            no_wait = workflow.ApplySettings(wait=False, env=ENV)
            assert (await workflow.apply_with(project, emu.registry, plan, no_wait)).ok
            states.append(await both(project, emu.registry))  # updates in progress
            for streamed, whole in states:
                assert streamed.model_dump() == whole.model_dump()
            assert any(a.action == "update" for a in states[2][0].actions)
            if example == "examples":  # its edits include config changes, left in progress
                assert any(a.pending_config_version for a in states[3][0].actions)

    asyncio.run(scenario())
