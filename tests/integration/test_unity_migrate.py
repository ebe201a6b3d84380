"""``reconciler migrate``: every external-model example becomes provider and model services
that validate, apply on the emulator, plan empty and answer queries; and plan's preflight on
a workspace that enforces Unity Gateway."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from support.cli import run_cli
from support.registry_harness import EXAMPLES, FAST_WAITS, copy_project, emulator_registry

from reconciler.api import validate_project, workflow
from reconciler.api.validating import load_project
from reconciler.render.plan_text import render_plan_text

ENV = {"OPENAI_API_KEY": "sk-test-not-a-real-key-123456"}
QUERIES = {"openai/v1/chat/completions": ("/ai-gateway/mlflow/v1/chat/completions",
                                          {"messages": [{"role": "user", "content": "hi"}]}),
           "openai/v1/embeddings": ("/ai-gateway/mlflow/v1/embeddings", {"input": "hi"})}


def test_migrated_examples_validate_apply_plan_empty_and_answer(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = copy_project(EXAMPLES, tmp_path / "project")
    code, out, _ = run_cli(capsys, "migrate", "-C", str(root), "--catalog", "main",
                           "--schema", "genai", "--out", str(root / "unity-gateway"))
    assert code == 0, out
    assert "Not carried over:" in out and "provider 'cohere'" in out
    assert "main.genai.openai_api_key  <- {{secrets/my_openai_secret_scope/openai_api_key}}" \
        in out
    migrated = tmp_path / "migrated"
    migrated.mkdir()
    shutil.move(str(root / "unity-gateway"), migrated / "unity-gateway")
    (migrated / "reconciler.yaml").write_text("project: migrated\nmanifests: [unity-gateway/]\n")
    report = validate_project(migrated, env=ENV)
    assert report.ok, [f"{i.location} {i.rule} {i.message}" for i in report.issues]
    project = load_project(migrated, env=ENV)
    assert len(project.securables) >= 15

    async def scenario() -> None:
        async with emulator_registry(tmp_path) as emu:
            settings = workflow.PlanSettings(env=ENV)
            plan = await workflow.plan_with(project, emu.registry, settings)
            applied = await workflow.apply_with(project, emu.registry, plan,
                                                workflow.ApplySettings(
                                                    wait_settings=FAST_WAITS, env=ENV))
            assert applied.ok, [o.error for o in applied.failed]
            assert not (await workflow.plan_with(project, emu.registry, settings)).has_changes
            answered = 0
            for item in project.securables:
                service = item.securable
                if service.kind != "ModelService":
                    continue
                target = service.config.routing.destinations[0]  # type: ignore[union-attr]
                types = target.external_model_config.target.native_api_types  # type: ignore
                for api_type, (path, body) in QUERIES.items():
                    if api_type in (types or []):
                        answer = await emu.registry._http.post(
                            path, json={"model": service.name, **body})
                        assert answer.status_code == 200, (service.name, answer.text)
                        answered += 1
            assert answered >= 5

    asyncio.run(scenario())


def test_select_and_an_unknown_endpoint(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    root = copy_project(EXAMPLES, tmp_path / "project")
    code, _out, _ = run_cli(capsys, "migrate", "-C", str(root), "--catalog", "main",
                            "--schema", "genai", "--select", "openai-chat-endpoint")
    assert code == 0
    written = sorted(p.name for p in (root / "unity-gateway").iterdir())
    assert written == ["openai_chat_endpoint.yaml", "providers.yaml"]
    code, _, err = run_cli(capsys, "migrate", "-C", str(root), "--catalog", "main",
                           "--schema", "genai", "--select", "nope")
    assert code == 1 and "nope" in err


def test_plan_preflight_points_to_migrate_when_unity_gateway_is_enforced(
        tmp_path: Path) -> None:
    project = load_project(copy_project(EXAMPLES, tmp_path / "project"), env=ENV)

    async def scenario() -> None:
        async with emulator_registry(tmp_path) as emu:
            settings = workflow.PlanSettings(env=ENV)
            normal = await workflow.plan_with(project, emu.registry, settings)
            assert not normal.blocked
            await emu.control("unity-gateway", {"enforce_unity_gateway": True})
            plan = await workflow.plan_with(project, emu.registry, settings)
            external = {e.endpoint.name for e in project.endpoints
                        if e.endpoint.external_models()}
            assert {a.name for a in plan.blocked} == external
            assert "reconciler migrate" in render_plan_text(plan)
            report = await workflow.apply_with(project, emu.registry, plan, workflow.
                                               ApplySettings(wait_settings=FAST_WAITS,
                                                             env=ENV))
            assert {o.name for o in report.failed} == external
            creates = [w for w in emu.writes() if w[0] == "POST"]
            assert len(creates) == len(project.endpoints) - len(external)  # the others only

    asyncio.run(scenario())
