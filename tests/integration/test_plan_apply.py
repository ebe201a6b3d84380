"""Plan and apply end to end through reconciler.api against the real emulator, in-process."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from support.registry_harness import (
    EXAMPLES,
    FAST_WAITS,
    EmulatorHarness,
    copy_project,
    emulator_registry,
)

from reconciler.api import workflow
from reconciler.api.validating import load_project
from reconciler.loading.project import Project

EXAMPLE_PROJECTS = {
    "examples": EXAMPLES,
    "secrets-from-env": EXAMPLES / "secrets-from-env",
}
ENV = {"OPENAI_API_KEY": "sk-test-not-a-real-key-123456"}
APPLY = workflow.ApplySettings(wait_settings=FAST_WAITS, env=ENV)


def load(root: Path) -> Project:
    return load_project(root, env=ENV)


@pytest.mark.parametrize("name", sorted(EXAMPLE_PROJECTS))
def test_every_example_applies_then_plans_empty(
    tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", ENV["OPENAI_API_KEY"])
    project = load(copy_project(EXAMPLE_PROJECTS[name], tmp_path / name))
    assert project.endpoints, "the example declares endpoints"

    async def scenario() -> None:
        async with emulator_registry(tmp_path) as emu:
            first = await workflow.plan_with(project, emu.registry, workflow.PlanSettings())
            assert {a.action for a in first.actions} == {"create"}
            report = await workflow.apply_with(project, emu.registry, first, APPLY)
            assert report.ok, [o.error for o in report.failed]
            assert len(report.done) == len(project.endpoints)
            again = await workflow.plan_with(project, emu.registry, workflow.PlanSettings())
            changed = {a.name: [c.path for c in a.changes] for a in again.actions
                       if a.has_changes}
            assert changed == {}, f"a second plan after apply is not empty: {changed}"

    asyncio.run(scenario())


def test_tag_only_edit_is_one_patch_and_no_config_put(tmp_path: Path) -> None:
    root = copy_project(EXAMPLES, tmp_path / "project")
    chat = root / "endpoints" / "chat.yaml"

    async def scenario() -> None:
        async with emulator_registry(tmp_path) as emu:
            project = load(root)
            first = await workflow.plan_with(project, emu.registry, workflow.PlanSettings())
            assert (await workflow.apply_with(project, emu.registry, first, APPLY)).ok
            writes_before = len(emu.writes())

            chat.write_text(chat.read_text().replace("tier: gold", "tier: platinum"))
            project = load(root)
            plan = await workflow.plan_with(project, emu.registry, workflow.PlanSettings())
            changed = [a for a in plan.actions if a.has_changes]
            assert [(a.name, a.facets) for a in changed] == [
                ("bedrock-chat-completions-endpoint", ["tags"])]
            report = await workflow.apply_with(project, emu.registry, plan, APPLY)
            assert report.ok
            writes = emu.writes()[writes_before:]
            assert writes == [
                ("PATCH", "/api/2.0/serving-endpoints/bedrock-chat-completions-endpoint/tags")]
            assert not any(path.endswith("/config") for _, path in writes)
            final = await workflow.plan_with(project, emu.registry, workflow.PlanSettings())
            assert not final.has_changes

    asyncio.run(scenario())


def test_apply_with_faults_converges(tmp_path: Path) -> None:
    """429s, 503s and dropped connections (some after the write happened) still converge."""
    project = load(copy_project(EXAMPLES, tmp_path / "project"))

    async def scenario() -> None:
        async with emulator_registry(tmp_path, fault_rate=0.2, drop_rate=0.15, seed=7) as emu:
            plan = await workflow.plan_with(project, emu.registry, workflow.PlanSettings())
            report = await workflow.apply_with(project, emu.registry, plan, APPLY)
            assert report.ok, [o.error for o in report.failed]
            faults = [r for r in emu.requests() if r.get("fault")]
            assert faults, "the seed injects faults"
            again = await workflow.plan_with(project, emu.registry, workflow.PlanSettings())
            assert not again.has_changes

    asyncio.run(scenario())


def test_prune_deletes_only_our_endpoints(tmp_path: Path) -> None:
    root = copy_project(EXAMPLES, tmp_path / "project")

    async def scenario() -> None:
        async with emulator_registry(tmp_path) as emu:
            project = load(root)
            plan = await workflow.plan_with(project, emu.registry, workflow.PlanSettings())
            assert (await workflow.apply_with(project, emu.registry, plan, APPLY)).ok
            await emu.registry.create_endpoint({"name": "someone-elses", "tags": []})
            (root / "endpoints" / "embeddings.yaml").unlink()
            project = load(root)
            pruned = await workflow.plan_with(project, emu.registry,
                                              workflow.PlanSettings(prune=True))
            deletes = sorted(a.name for a in pruned.actions if a.action == "delete")
            assert deletes and "someone-elses" not in deletes
            report = await workflow.apply_with(project, emu.registry, pruned, APPLY)
            assert report.ok
            live = {e["name"] for e in await emu.registry.list_endpoints()}
            assert "someone-elses" in live and not set(deletes) & live

    asyncio.run(scenario())


@pytest.mark.slow
def test_update_started_by_someone_else_is_waited_for_then_refused_as_stale(tmp_path: Path) -> None:
    root = copy_project(EXAMPLES, tmp_path / "project")
    name = "bedrock-chat-completions-endpoint"
    chat = root / "endpoints" / "chat.yaml"
    only = workflow.PlanSettings(select=(name,))

    async def start_update_by_hand(emu: EmulatorHarness, model: str) -> None:
        live = await emu.registry.get_endpoint(name)
        assert live is not None
        entities = live["config"]["served_entities"]
        for entity in entities:
            entity["external_model"]["name"] = model
        await emu.registry.update_config(name, {"served_entities": entities,
                                                "traffic_config": live["config"]["traffic_config"]})

    async def scenario() -> None:
        async with emulator_registry(tmp_path, ready_after=1.0) as emu:
            project = load(root)
            plan = await workflow.plan_with(project, emu.registry, only)
            assert (await workflow.apply_with(project, emu.registry, plan, APPLY)).ok

            # Our change is planned; then someone starts a config update by hand.
            chat.write_text(chat.read_text().replace("tier: gold", "tier: bronze"))
            project = load(root)
            plan = await workflow.plan_with(project, emu.registry, only)
            assert plan.action_for(name).facets == ["tags"]  # type: ignore[union-attr]
            await start_update_by_hand(emu, "claude-by-hand")
            report = await workflow.apply_with(project, emu.registry, plan, APPLY)
            # The hand edit landed while apply waited: reverting it unannounced would lose
            # it, so the endpoint is refused as stale; the next plan shows the revert.
            [outcome] = [o for o in report.outcomes if o.name == name]
            assert outcome.failure == "stale-plan" and "reconciler plan" in (outcome.error or "")
            plan = await workflow.plan_with(project, emu.registry, only)
            assert plan.action_for(name).facets == ["config", "tags"]  # type: ignore[union-attr]
            assert (await workflow.apply_with(project, emu.registry, plan, APPLY)).ok
            assert not (await workflow.plan_with(project, emu.registry, only)).has_changes

            # The same race against a saved plan: refused, never re-planned.
            chat.write_text(chat.read_text().replace("tier: bronze", "tier: silver"))
            project = load(root)
            saved = await workflow.plan_with(project, emu.registry, only)
            await start_update_by_hand(emu, "claude-by-hand-again")
            report = await workflow.apply_with(project, emu.registry, saved, APPLY, saved=True)
            assert [o.failure for o in report.failed] == ["stale-plan"]

    asyncio.run(scenario())


def test_two_applies_at_once_both_succeed_and_converge(tmp_path: Path) -> None:
    project = load(copy_project(EXAMPLES, tmp_path / "project"))

    async def scenario() -> None:
        async with emulator_registry(tmp_path, ready_after=0.1) as emu:
            plan = await workflow.plan_with(project, emu.registry, workflow.PlanSettings())
            first, second = await asyncio.gather(
                workflow.apply_with(project, emu.registry, plan, APPLY),
                workflow.apply_with(project, emu.registry, plan, APPLY))
            assert first.ok and second.ok, (first.failed, second.failed)
            notes = [o.note or "" for o in (*first.outcomes, *second.outcomes)]
            assert any("another apply" in note for note in notes)
            creates = [r for r in emu.requests() if r["method"] == "POST"]
            assert sorted(r["status"] for r in creates).count(200) == len(project.endpoints)
            again = await workflow.plan_with(project, emu.registry, workflow.PlanSettings())
            assert not again.has_changes

    asyncio.run(scenario())
