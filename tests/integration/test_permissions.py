"""The permissions facet end to end through reconciler.api on the in-process emulator."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from support.cli import run_cli
from support.registry_harness import FAST_WAITS, EmulatorHarness, emulator_registry

from reconciler.api import gitops, workflow
from reconciler.api.validating import load_project
from reconciler.diff.permissions import live_direct_grants
from reconciler.loading.project import Project
from reconciler.model.permissions import Principal
from reconciler.planning.drift import drift_report
from reconciler.registry import permissions as permissions_api
from reconciler.render.plan_text import render_plan_text

APPLY = workflow.ApplySettings(wait_settings=FAST_WAITS, env={})
PLAN = workflow.PlanSettings()
PERMS = "/api/2.0/permissions/serving-endpoints/"
SP = "6b1f2c7e-4d3a-4f0e-9a55-1c2d3e4f5a6b"
ME = Principal("user_name", "emulator@localhost")

ENDPOINT = """name: {name}
tags: {{team: genai}}
{extra}config:
  served_entities:
    - name: gpt
      external_model:
        name: gpt-4o-mini
        provider: openai
        task: llm/v1/chat
        openai_config: {{openai_api_key: "{{{{secrets/s/k}}}}"}}
{grants}"""
GRANTS = ("permissions:\n  - {group_name: data-science, permission_level: CAN_VIEW}\n"
          f"  - {{service_principal_name: {SP}, permission_level: CAN_QUERY}}\n")


def write_project(root: Path, grants: str = GRANTS, *, tags: str = "{team: genai}",
                  extra: str = "", names: tuple[str, ...] = ("chat",)) -> Project:
    (root / "endpoints").mkdir(parents=True, exist_ok=True)
    (root / "reconciler.yaml").write_text("project: perms\nmanifests: [endpoints/]\n")
    docs = [ENDPOINT.format(name=n, grants=grants, extra=extra).replace(
        "{team: genai}", tags) for n in names]
    (root / "endpoints" / "chat.yaml").write_text("---\n".join(docs))
    return load_project(root, env={})


def run(tmp_path: Path, scenario: Callable[[EmulatorHarness], Awaitable[None]]) -> None:
    async def main() -> None:
        async with emulator_registry(tmp_path) as emu:
            await scenario(emu)

    asyncio.run(main())


async def grants(emu: EmulatorHarness, name: str = "chat") -> dict[Principal, str]:
    live = await emu.registry.get_endpoint(name)
    assert live is not None
    return live_direct_grants(await permissions_api.get_permissions(emu.registry, live["id"]))


async def converge(emu: EmulatorHarness, project: Project) -> Any:
    plan = await workflow.plan_with(project, emu.registry, PLAN)
    report = await workflow.apply_with(project, emu.registry, plan, APPLY)
    assert report.ok, [o.error for o in report.failed]
    return plan


def test_create_grants_on_the_new_id_and_a_second_plan_is_empty(tmp_path: Path) -> None:
    async def scenario(emu: EmulatorHarness) -> None:
        project = write_project(tmp_path / "p")
        plan = await converge(emu, project)
        assert [s.op for s in plan.actions[0].steps] == ["create", "set_permissions"]
        endpoint_id = (await emu.registry.get_endpoint("chat") or {})["id"]
        assert ("PATCH", PERMS + endpoint_id) in emu.writes()
        assert await grants(emu) == {ME: "CAN_MANAGE", Principal("group_name", "data-science"):
                                     "CAN_VIEW", Principal("service_principal_name", SP):
                                     "CAN_QUERY"}
        again = await workflow.plan_with(project, emu.registry, PLAN)
        assert not again.has_changes, [c.path for a in again.actions for c in a.changes]

    run(tmp_path, scenario)


def test_a_permissions_only_change_is_one_permissions_request(tmp_path: Path) -> None:
    async def scenario(emu: EmulatorHarness) -> None:
        await converge(emu, write_project(tmp_path / "p"))
        before = len(emu.writes())
        raised = GRANTS.replace("CAN_VIEW", "CAN_QUERY")
        plan = await converge(emu, write_project(tmp_path / "p", raised))
        text = render_plan_text(plan)
        assert '~ permissions[group:data-science]: "CAN_VIEW" -> "CAN_QUERY"  (in-place)' \
            in text, text
        writes = emu.writes()[before:]
        perms = [w for w in writes if w[1].startswith(PERMS)]
        assert [m for m, _ in perms] == ["PATCH"]  # only raising: a merge
        assert not any(p.endswith("/config") for _, p in writes)
        # Besides it only the tags PATCH that records the new applied mark.
        assert [w for w in writes if not w[1].startswith(PERMS)] == [
            ("PATCH", "/api/2.0/serving-endpoints/chat/tags")]
        # Removing a grant is one PUT of the whole list, the caller's CAN_MANAGE kept.
        before = len(emu.writes())
        only_view = "permissions:\n  - {group_name: data-science, permission_level: CAN_VIEW}\n"
        await converge(emu, write_project(tmp_path / "p", only_view))
        assert [m for m, p in emu.writes()[before:] if p.startswith(PERMS)] == ["PUT"]
        assert await grants(emu) == {ME: "CAN_MANAGE",
                                     Principal("group_name", "data-science"): "CAN_VIEW"}

    run(tmp_path, scenario)


def test_a_tag_only_change_sends_no_permissions_request(tmp_path: Path) -> None:
    async def scenario(emu: EmulatorHarness) -> None:
        await converge(emu, write_project(tmp_path / "p"))
        before = len(emu.writes())
        plan = await converge(emu, write_project(tmp_path / "p", tags="{team: platform}"))
        assert [a.facets for a in plan.actions] == [["tags"]]
        assert emu.writes()[before:] == [("PATCH", "/api/2.0/serving-endpoints/chat/tags")]

    run(tmp_path, scenario)


CUSTOM = """name: chat
route_optimized: {optimized}
config:
  served_entities:
    - {{name: m-1, entity_name: main.ml.churn, entity_version: "1", workload_size: Small,
       scale_to_zero_enabled: true}}
"""


def test_a_recreate_keeps_the_grants_on_the_new_id(tmp_path: Path) -> None:
    root = tmp_path / "p"
    write_project(root)
    manifest = root / "endpoints" / "chat.yaml"

    async def scenario(emu: EmulatorHarness) -> None:
        manifest.write_text(CUSTOM.format(optimized="false") + GRANTS)
        await converge(emu, load_project(root, env={}))
        old_id = (await emu.registry.get_endpoint("chat") or {})["id"]
        wanted = await grants(emu)
        assert len(wanted) == 3
        manifest.write_text(CUSTOM.format(optimized="true") + GRANTS)  # recreate-only
        project = load_project(root, env={})
        plan = await workflow.plan_with(project, emu.registry,
                                        workflow.PlanSettings(allow_recreate=True))
        (action,) = plan.actions
        assert action.action == "recreate"
        assert [s.op for s in action.steps] == ["delete", "create", "set_permissions"]
        assert not [c for c in action.changes if c.facet == "permissions"]  # nothing is lost
        report = await workflow.apply_with(project, emu.registry, plan, APPLY)
        assert report.ok, [o.error for o in report.failed]
        new_id = (await emu.registry.get_endpoint("chat") or {})["id"]
        assert new_id != old_id
        assert ("PATCH", PERMS + new_id) in emu.writes()
        assert await grants(emu) == wanted
        again = await workflow.plan_with(project, emu.registry, PLAN)
        assert not again.has_changes

    run(tmp_path, scenario)


def test_an_out_of_band_grant_is_drift_and_apply_removes_it(tmp_path: Path) -> None:
    async def scenario(emu: EmulatorHarness) -> None:
        project = write_project(tmp_path / "p")
        await converge(emu, project)
        endpoint_id = (await emu.registry.get_endpoint("chat") or {})["id"]
        await permissions_api.write_permissions(emu.registry, endpoint_id, "PATCH", {
            "access_control_list": [
                {"user_name": "mallory@example.com", "permission_level": "CAN_MANAGE"},
                {"group_name": "data-science", "permission_level": "CAN_MANAGE"}]})
        plan = await workflow.plan_with(project, emu.registry, PLAN)
        (action,) = plan.actions
        assert {(c.path, c.old, c.new, c.cause) for c in action.changes} == {
            ("permissions[user:mallory@example.com]", "CAN_MANAGE", None, "drift"),
            ("permissions[group:data-science]", "CAN_MANAGE", "CAN_VIEW", "drift"),
        }
        assert "changed outside the repository: permissions" in action.reason
        (drifted,) = drift_report(plan).endpoints  # what `reconciler drift` shows
        assert {(f.path, f.live, f.manifest) for f in drifted.fields} == {
            ("permissions[user:mallory@example.com]", "CAN_MANAGE", None),
            ("permissions[group:data-science]", "CAN_MANAGE", "CAN_VIEW")}
        before = len(emu.writes())
        result = await workflow.apply_with(project, emu.registry, plan, APPLY)
        assert result.ok
        # One PUT puts the grants back; the mark was right already, so no tags PATCH.
        assert emu.writes()[before:] == [("PUT", PERMS + endpoint_id)]
        assert Principal("user_name", "mallory@example.com") not in await grants(emu)
        assert not (await workflow.plan_with(project, emu.registry, PLAN)).has_changes

    run(tmp_path, scenario)


def test_the_caller_is_asked_once_per_run_and_grants_only_when_declared(
        tmp_path: Path) -> None:
    async def scenario(emu: EmulatorHarness) -> None:
        names = ("a", "b", "c")
        await converge(emu, write_project(tmp_path / "p", names=names))
        gets = [r["path"] for r in emu.requests() if r["method"] == "GET"]
        assert gets.count("/api/2.0/preview/scim/v2/Me") == 1
        before = len(emu.requests())
        await workflow.plan_with(write_project(tmp_path / "q", grants="", names=names),
                                 emu.registry, PLAN)
        paths = [r["path"] for r in emu.requests()[before:]]
        assert not [p for p in paths if p.startswith(PERMS) or "scim" in p]

    run(tmp_path, scenario)


def test_export_and_import_write_the_direct_grants(tmp_path: Path) -> None:
    async def scenario(emu: EmulatorHarness) -> None:
        project = write_project(tmp_path / "p")
        await converge(emu, project)
        (manifest,) = await workflow.export_with(project, emu.registry,
                                                 workflow.ExportSettings())
        assert manifest["permissions"] == [
            {"group_name": "data-science", "permission_level": "CAN_VIEW"},
            {"service_principal_name": SP, "permission_level": "CAN_QUERY"},
            {"user_name": "emulator@localhost", "permission_level": "CAN_MANAGE"},
        ]
        empty = tmp_path / "empty"
        (empty / "endpoints").mkdir(parents=True)
        (empty / "reconciler.yaml").write_text("project: perms\nmanifests: [endpoints/]\n")
        (empty / "endpoints" / "other.yaml").write_text(ENDPOINT.format(
            name="other", extra="", grants=""))
        imported = await gitops.import_with(load_project(empty, env={}), emu.registry,
                                            gitops.ImportSettings(names=("chat",)))
        (only,) = imported.manifests
        assert only.manifest["permissions"] == manifest["permissions"]

    run(tmp_path, scenario)


def test_the_embedded_local_target_manages_grants_through_the_cli(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`local:` (the embedded registry, no server): apply grants, change one, drift, export."""
    root = tmp_path / "p"
    write_project(root)
    (root / "reconciler.yaml").write_text(
        "project: perms\nmanifests: [endpoints/]\ndefault_target: local\n"
        "targets:\n  local: {local: .reconciler/local.db}\n")
    code, out, err = run_cli(capsys, "apply", "-C", str(root), "--auto-approve",
                             "--format", "json")
    assert code == 0, err
    (outcome,) = json.loads(out)["outcomes"]
    assert [r.split(" ")[0] for r in outcome["requests"]] == ["POST", "PATCH"]
    assert outcome["requests"][1].startswith("PATCH /api/2.0/permissions/serving-endpoints/")
    assert run_cli(capsys, "plan", "-C", str(root), "--detailed-exitcode")[0] == 0
    # Lower a grant: one PUT, the plan line keyed by the principal.
    manifest = root / "endpoints" / "chat.yaml"
    manifest.write_text(manifest.read_text().replace(
        f"{{service_principal_name: {SP}, permission_level: CAN_QUERY}}",
        f"{{service_principal_name: {SP}, permission_level: CAN_VIEW}}"))
    code, out, _err = run_cli(capsys, "plan", "-C", str(root), "--detailed-exitcode")
    assert code == 2
    assert f'~ permissions[service_principal:{SP}]: "CAN_QUERY" -> "CAN_VIEW"' in out, out
    code, out, err = run_cli(capsys, "apply", "-C", str(root), "--auto-approve",
                             "--format", "json")
    assert code == 0, err
    (outcome,) = json.loads(out)["outcomes"]
    assert [r.split(" ")[0] for r in outcome["requests"]] == ["PUT", "PATCH"]  # grants, mark
    assert run_cli(capsys, "plan", "-C", str(root), "--detailed-exitcode")[0] == 0
    code, out, err = run_cli(capsys, "export", "-C", str(root))
    assert code == 0, err
    assert f'- service_principal_name: "{SP}"\n    permission_level: CAN_VIEW' in out, out
