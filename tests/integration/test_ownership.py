"""Ownership against the real emulator (docs/ownership.md): two repositories copied from the
same example share ``project: acme-genai``; the project id tells them apart. The second's
``--prune`` deletes nothing of the first's, its apply writes nothing of the first's; endpoints
tagged before project ids are adopted only with ``--adopt-legacy-ownership`` and never
pruned; Unity AI Gateway services the same way, through their comment marker.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml
from support.cli import run_cli
from support.registry_harness import (
    EXAMPLES,
    FAST_WAITS,
    EmulatorHarness,
    copy_project,
    emulator_registry,
    set_project_id,
)

from reconciler import errors
from reconciler.api import workflow
from reconciler.api.validating import load_project
from reconciler.loading.project import Project
from reconciler.model.live import LiveEndpoint
from reconciler.planning.plan import Plan

ENV = {"OPENAI_API_KEY": "sk-test-not-a-real-key-123456"}
APPLY = workflow.ApplySettings(wait_settings=FAST_WAITS, env=ENV)
PLAN = workflow.PlanSettings(env=ENV)
PRUNE = workflow.PlanSettings(env=ENV, prune=True)
ADOPT = workflow.PlanSettings(env=ENV, adopt_legacy_ownership=True)
FIRST, SECOND = "3f9c2a7e1b4d8c60", "b41d0e9a77c25f13"
# The endpoints of the example manifest a repository drops (with its file).
DROPPED = sorted(d["name"] for d in yaml.safe_load_all(
    (EXAMPLES / "endpoints" / "embeddings.yaml").read_text()) if d)


def repository(tmp_path: Path, name: str, project_id: str | None,
               source: Path = EXAMPLES) -> Path:
    root = copy_project(source, tmp_path / name, own_id=False)
    set_project_id(root, project_id)
    return root


def load(root: Path) -> Project:
    return load_project(root, env=ENV)


async def converge(emu: EmulatorHarness, root: Path,
                   settings: workflow.PlanSettings = PLAN) -> Plan:
    project = load(root)
    plan = await workflow.plan_with(project, emu.registry, settings)
    report = await workflow.apply_with(project, emu.registry, plan, APPLY)
    assert report.ok, [o.error for o in report.failed]
    return plan


async def owners(emu: EmulatorHarness) -> dict[str, tuple[str | None, str | None]]:
    return {e["name"]: (LiveEndpoint.of(e).owner, LiveEndpoint.of(e).owner_id)
            for e in await emu.registry.list_endpoints()}


def test_the_second_repository_with_the_same_name_changes_and_prunes_nothing_of_the_first(
    tmp_path: Path,
) -> None:
    first = repository(tmp_path, "first", FIRST)
    second = repository(tmp_path, "second", SECOND)
    # The second repository dropped one of the example's manifests: with a bare project
    # name, its --prune deleted the first's endpoint of that name.
    (second / "endpoints" / "embeddings.yaml").unlink()

    async def scenario() -> None:
        async with emulator_registry(tmp_path) as emu:
            await converge(emu, first)
            before = await owners(emu)
            assert set(before.values()) == {("acme-genai", FIRST)}
            writes = len(emu.writes())
            project = load(second)
            plan = await workflow.plan_with(project, emu.registry, PRUNE)
            assert not [a for a in plan.actions if a.action in ("delete", "update", "create")]
            assert all(a.blocked and "owned by another repository" in a.reason
                       and FIRST in a.reason for a in plan.actions), plan.actions
            assert not set(DROPPED) & {a.name for a in plan.actions}
            report = await workflow.apply_with(project, emu.registry, plan, APPLY)
            # Blocked endpoints are reported (a conflict for the user), never written.
            assert not report.done and {o.failure for o in report.failed} == {"conflict"}
            assert len(emu.writes()) == writes, "the second repository wrote something"
            assert await owners(emu) == before
            again = await workflow.plan_with(load(first), emu.registry, PRUNE)
            assert not again.has_changes

    asyncio.run(scenario())


def test_legacy_endpoints_are_adopted_only_when_asked_and_never_pruned(tmp_path: Path) -> None:
    first = repository(tmp_path, "first", None)  # as applied before project ids
    second = repository(tmp_path, "second", SECOND)
    (second / "endpoints" / "embeddings.yaml").unlink()

    async def scenario() -> None:
        async with emulator_registry(tmp_path) as emu:
            await converge(emu, first)
            assert set((await owners(emu)).values()) == {("acme-genai", None)}
            # Another repository with an id: the bare-name endpoints are not claimed.
            writes = len(emu.writes())
            plan = await workflow.plan_with(load(second), emu.registry, PRUNE)
            legacy = {a.name: a for a in plan.actions}
            for name in DROPPED:
                assert legacy[name].action == "no-op" and not legacy[name].blocked
                assert "never pruned" in legacy[name].reason
            declared = [a for a in plan.actions if a.name not in DROPPED]
            assert all(a.blocked and "--adopt-legacy-ownership" in a.reason for a in declared)
            await workflow.apply_with(load(second), emu.registry, plan, APPLY)
            assert len(emu.writes()) == writes

            # The first repository migrates: an id, then an explicit adoption.
            set_project_id(first, FIRST)
            project = load(first)
            blocked = await workflow.plan_with(project, emu.registry, PLAN)
            assert all(a.blocked for a in blocked.actions)
            adopt = await workflow.plan_with(project, emu.registry, ADOPT)
            assert adopt.adopt_legacy_ownership
            assert {(a.action, tuple(a.facets)) for a in adopt.actions} == {
                ("update", ("tags",))}
            assert all({c.path for c in a.changes} == {"tags[reconciler-project-id]"}
                       for a in adopt.actions)
            report = await workflow.apply_with(project, emu.registry, adopt, APPLY)
            assert report.ok and len(report.done) == len(adopt.actions)
            assert set((await owners(emu)).values()) == {("acme-genai", FIRST)}
            assert not (await workflow.plan_with(project, emu.registry, PLAN)).has_changes
            # Now the second repository sees another repository's endpoints.
            theirs = await workflow.plan_with(load(second), emu.registry, PRUNE)
            assert not [a for a in theirs.actions if not a.blocked]
            # ... and the first one's prune works on what it owns.
            (first / "endpoints" / "embeddings.yaml").unlink()
            pruned = await converge(emu, first, PRUNE)
            assert [a.name for a in pruned.actions if a.action == "delete"] == DROPPED

    asyncio.run(scenario())


def test_prune_needs_an_id_of_the_projects_own(tmp_path: Path) -> None:
    without = repository(tmp_path, "without", None)
    placeholder = copy_project(EXAMPLES, tmp_path / "placeholder", own_id=False)

    async def scenario() -> None:
        async with emulator_registry(tmp_path) as emu:
            for root, expected in ((without, "--prune needs a project_id"),
                                   (placeholder, "placeholder project_id example-replace-me")):
                with pytest.raises(errors.PlanError, match=expected):
                    await workflow.plan_with(load(root), emu.registry, PRUNE)
            assert emu.requests() == []  # refused before any request

    asyncio.run(scenario())


def test_the_cli_refuses_prune_without_an_id_and_migrate_ownership_adds_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    root = repository(tmp_path, "repo", None)
    code, _out, err = run_cli(capsys, "plan", "-C", str(root), "--prune")
    assert code == 1 and "--prune needs a project_id" in err and "Traceback" not in err
    code, _out, err = run_cli(capsys, "migrate-ownership", "-C", str(root))
    assert code == 0, err
    project_id = load(root).file.project_id
    assert project_id is not None and len(project_id) == 16
    assert f"wrote project_id: {project_id}" in err and "--adopt-legacy-ownership" in err
    text = (root / "reconciler.yaml").read_text()
    assert text.index("project: acme-genai\nproject_id: ") >= 0
    code, _out, err = run_cli(capsys, "migrate-ownership", "-C", str(root))
    assert code == 0 and "already has its own project_id" in err
    assert load(root).file.project_id == project_id  # never changed once set
    code, _out, err = run_cli(capsys, "plan", "-C", str(root), "--prune")
    assert code == 0, err


def test_the_examples_placeholder_is_replaced_by_migrate_ownership(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    root = copy_project(EXAMPLES, tmp_path / "copy", own_id=False)
    assert load(root).file.project_id == "example-replace-me"
    code, _out, err = run_cli(capsys, "migrate-ownership", "-C", str(root))
    assert code == 0, err
    assert load(root).file.project_id not in (None, "example-replace-me")
    assert (root / "reconciler.yaml").read_text().count("project_id:") == 1
    code, out, _err = run_cli(capsys, "validate", "-C", str(root))
    assert code == 0 and "no problems" in out


def test_unity_services_of_another_repository_with_the_same_name_are_left_alone(
    tmp_path: Path,
) -> None:
    source = EXAMPLES / "model-services"
    first = repository(tmp_path, "first", FIRST, source)
    second = repository(tmp_path, "second", SECOND, source)
    (second / "services" / "assistant.yaml").unlink()

    async def scenario() -> None:
        async with emulator_registry(tmp_path) as emu:
            await converge(emu, first)
            writes = len(emu.writes())
            plan = await workflow.plan_with(load(second), emu.registry, PRUNE)
            assert plan.services and all(s.blocked for s in plan.services), plan.services
            assert all(FIRST in s.reason for s in plan.services)
            assert "main.genai.assistant" not in {s.name for s in plan.services}
            await workflow.apply_with(load(second), emu.registry, plan, APPLY)
            assert len(emu.writes()) == writes
            assert not (await workflow.plan_with(load(first), emu.registry, PRUNE)).has_changes

    asyncio.run(scenario())
