"""Model provider services and model services through plan and apply, in-process against
the emulator: apply then plan empty, minimal update masks, stale etags, prune of what this
project owns only, secret rotation, and queries of the applied services."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from support.registry_harness import EXAMPLES, FAST_WAITS, copy_project, emulator_registry

from reconciler import errors
from reconciler.api import workflow
from reconciler.api.validating import load_project
from reconciler.render.plan_json import render_plan_json
from reconciler.render.plan_markdown import render_plan_markdown
from reconciler.render.plan_text import render_plan_text

UC = "/api/2.1/unity-catalog"
APPLY = workflow.ApplySettings(wait_settings=FAST_WAITS, env={})
PLAN = workflow.PlanSettings(env={})
PRUNE = workflow.PlanSettings(env={}, prune=True)
ASSISTANT = "model-services/main.genai.assistant"


def project_copy(tmp_path: Path) -> Path:
    return copy_project(EXAMPLES / "model-services", tmp_path / "project")


async def converge(root: Path, emu: Any, env: dict[str, str] | None = None) -> None:
    project = load_project(root, env=env or {})
    settings = workflow.PlanSettings(env=env or {})
    plan = await workflow.plan_with(project, emu.registry, settings)
    report = await workflow.apply_with(project, emu.registry, plan,
                                       workflow.ApplySettings(wait_settings=FAST_WAITS,
                                                              env=env or {}))
    assert report.ok, [o.error for o in report.failed]


def test_the_example_applies_plans_empty_and_answers_queries(tmp_path: Path) -> None:
    root = project_copy(tmp_path)

    async def scenario() -> None:
        async with emulator_registry(tmp_path) as emu:
            project = load_project(root, env={})
            first = await workflow.plan_with(project, emu.registry, PLAN)
            assert [(s.kind, s.action) for s in first.services] == [
                ("ModelProviderService", "create"), ("ModelService", "create"),
                ("ModelService", "create"), ("McpService", "create")]
            assert [a.action for a in first.actions] == ["create"]  # the endpoint beside
            report = await workflow.apply_with(project, emu.registry, first, APPLY)
            assert report.ok and len(report.done) == 5
            again = await workflow.plan_with(project, emu.registry, PLAN)
            assert not again.has_changes, [s.changes for s in again.services]
            grants = (await emu.registry._http.get(
                f"{UC}/permissions/MODEL_SERVICE/main.genai.assistant")).json()
            assert grants == {"privilege_assignments": [
                {"principal": "genai-developers", "privileges": ["EXECUTE"]}]}
            chat = await emu.registry._http.post("/ai-gateway/mlflow/v1/chat/completions", json={
                "model": "main.genai.assistant", "messages": [{"role": "user", "content": "hi"}]})
            assert chat.status_code == 200 and chat.headers["served-model-name"] in {
                "mini", "full"}
            embed = await emu.registry._http.post("/ai-gateway/mlflow/v1/embeddings", json={
                "model": "main.genai.embeddings", "input": "hi"})
            assert embed.status_code == 200 and embed.json()["data"]

    asyncio.run(scenario())


def test_a_rate_limit_change_is_one_patch_with_a_minimal_mask(tmp_path: Path) -> None:
    root = project_copy(tmp_path)
    manifest = root / "services" / "assistant.yaml"

    async def scenario() -> None:
        async with emulator_registry(tmp_path) as emu:
            await converge(root, emu)
            before = len(emu.writes())
            manifest.write_text(manifest.read_text().replace("requests: 20", "requests: 50"))
            project = load_project(root, env={})
            plan = await workflow.plan_with(project, emu.registry, PLAN)
            changed = [s for s in plan.services if s.has_changes]
            assert [(s.name, s.mask) for s in changed] == [
                ("main.genai.assistant", ["config.rate_limits"])]
            assert set(changed[0].body or {}) == {"config"}
            assert set(changed[0].body["config"]) == {"rate_limits"}  # type: ignore[index]
            text = render_plan_text(plan)
            assert "update_mask: config.rate_limits" in text
            assert "config.rate_limits" in render_plan_markdown(plan)
            assert '"op": "update_service"' in render_plan_json(plan)
            assert '"update_mask"' in render_plan_json(plan)
            assert (await workflow.apply_with(project, emu.registry, plan, APPLY)).ok
            assert emu.writes()[before:] == [("PATCH", f"{UC}/{ASSISTANT}")]
            got = (await emu.registry._http.get(f"{UC}/{ASSISTANT}")).json()
            assert got["config"]["rate_limits"][0]["requests"] == 50
            assert not (await workflow.plan_with(project, emu.registry, PLAN)).has_changes

    asyncio.run(scenario())


def test_an_mcp_tool_selector_change_masks_only_the_selectors(tmp_path: Path) -> None:
    root = project_copy(tmp_path)
    manifest = root / "services" / "mcp.yaml"

    async def scenario() -> None:
        async with emulator_registry(tmp_path) as emu:
            await converge(root, emu)
            manifest.write_text(manifest.read_text().replace(", list_*", ""))
            project = load_project(root, env={})
            plan = await workflow.plan_with(project, emu.registry, PLAN)
            changed = [s for s in plan.services if s.has_changes]
            assert [(s.kind, s.mask) for s in changed] == [
                ("McpService", ["config.include_tool_selectors"])]
            assert (await workflow.apply_with(project, emu.registry, plan, APPLY)).ok
            got = (await emu.registry._http.get(
                f"{UC}/mcp-services/main.genai.github_tools")).json()
            assert got["config"]["include_tool_selectors"] == ["search_issues",
                                                               "get_pull_request"]
            assert not (await workflow.plan_with(project, emu.registry, PLAN)).has_changes

    asyncio.run(scenario())


def test_a_stale_etag_is_refused_as_a_stale_plan(tmp_path: Path) -> None:
    root = project_copy(tmp_path)
    manifest = root / "services" / "assistant.yaml"

    async def scenario() -> None:
        async with emulator_registry(tmp_path) as emu:
            await converge(root, emu)
            manifest.write_text(manifest.read_text().replace("requests: 20", "requests: 50"))
            project = load_project(root, env={})
            plan = await workflow.plan_with(project, emu.registry, PLAN)
            # Someone edits the service between plan and apply.
            answer = await emu.registry._http.patch(
                f"{UC}/{ASSISTANT}", params={"update_mask": "comment"},
                json={"comment": "edited by hand"})
            assert answer.status_code == 200
            before = len(emu.writes())
            report = await workflow.apply_with(project, emu.registry, plan, APPLY, saved=True)
            assert [(o.name, o.failure) for o in report.failed] == [(ASSISTANT, "stale-plan")]
            assert "run plan again" in (report.failed[0].error or "")
            assert len(emu.writes()) == before + 1  # the one refused PATCH, not retried
            got = (await emu.registry._http.get(f"{UC}/{ASSISTANT}")).json()
            assert got["comment"] == "edited by hand"

    asyncio.run(scenario())


def test_prune_deletes_only_our_services_model_services_first(tmp_path: Path) -> None:
    root = project_copy(tmp_path)

    async def scenario() -> None:
        async with emulator_registry(tmp_path) as emu:
            await converge(root, emu)
            stranger = await emu.registry._http.post(
                f"{UC}/model-services", params={"parent": "schemas/main.genai",
                                                "model_service_id": "someone_elses"},
                json={"config": {"routing": {"destinations": [{
                    "name": "d", "destination_type":
                    "DESTINATION_TYPE_PAY_PER_TOKEN_FOUNDATION_MODEL",
                    "pay_per_token_config": {"model": "models/system.ai.x"}}]}}})
            assert stranger.status_code == 200
            for name in ("assistant.yaml", "openai.yaml"):
                (root / "services" / name).unlink()
            (root / "services" / "keep.yaml").write_text(
                "kind: ModelService\nname: main.genai.keep\nconfig:\n  routing:\n"
                "    destinations:\n      - name: d\n"
                "        destination_type: DESTINATION_TYPE_PAY_PER_TOKEN_FOUNDATION_MODEL\n"
                "        pay_per_token_config: {model: models/system.ai.x}\n")
            project = load_project(root, env={})
            without = await workflow.plan_with(project, emu.registry, PLAN)
            assert not [s for s in without.services if s.action == "delete"]
            plan = await workflow.plan_with(project, emu.registry, PRUNE)
            assert [(s.action, s.name) for s in plan.services if s.action != "no-op"] == [
                ("create", "main.genai.keep"), ("delete", "main.genai.assistant"),
                ("delete", "main.genai.embeddings"), ("delete", "main.genai.openai_prod")]
            assert (await workflow.apply_with(project, emu.registry, plan, APPLY)).ok
            listed = (await emu.registry._http.get(f"{UC}/model-services", params={
                "parent": "schemas/main.genai"})).json()
            assert sorted(s["name"] for s in listed["model_services"]) == [
                "model-services/main.genai.keep", "model-services/main.genai.someone_elses"]

    asyncio.run(scenario())


def test_a_rotated_plaintext_key_is_one_masked_change(tmp_path: Path) -> None:
    root = project_copy(tmp_path)
    (root / "reconciler.yaml").write_text((root / "reconciler.yaml").read_text() +
                                          "policy: {plaintext_secrets: env-only}\n")
    provider = root / "services" / "openai.yaml"
    provider.write_text(provider.read_text().replace(
        "{secret_reference: {name: secrets/main.genai.openai_key}}",
        "{plaintext: '${env.OPENAI_KEY}'}"))
    old, new = "sk-old-key-000000000000", "sk-new-key-111111111111"

    async def scenario() -> None:
        async with emulator_registry(tmp_path) as emu:
            await converge(root, emu, {"OPENAI_KEY": old})
            same = await workflow.plan_with(load_project(root, env={"OPENAI_KEY": old}),
                                            emu.registry, workflow.PlanSettings(
                                                env={"OPENAI_KEY": old}))
            assert not same.has_changes
            env = {"OPENAI_KEY": new}
            project = load_project(root, env=env)
            plan = await workflow.plan_with(project, emu.registry,
                                            workflow.PlanSettings(env=env))
            changed = [s for s in plan.services if s.has_changes]
            assert [(s.name, s.mask) for s in changed] == [
                ("main.genai.openai_prod", ["comment", "config.provider"])]
            shown = render_plan_text(plan) + render_plan_json(plan) + render_plan_markdown(plan)
            assert old not in shown and new not in shown
            assert "${env.OPENAI_KEY}" in render_plan_json(plan)
            report = await workflow.apply_with(project, emu.registry, plan,
                                               workflow.ApplySettings(wait_settings=FAST_WAITS,
                                                                      env=env))
            assert report.ok
            again = await workflow.plan_with(project, emu.registry,
                                             workflow.PlanSettings(env=env))
            assert not again.has_changes

    asyncio.run(scenario())


def test_a_provider_service_neither_in_the_project_nor_live_is_a_plan_error(
        tmp_path: Path) -> None:
    root = project_copy(tmp_path)
    (root / "services" / "openai.yaml").unlink()

    async def scenario() -> None:
        async with emulator_registry(tmp_path) as emu:
            with pytest.raises(errors.PlanError, match="neither in the project nor"):
                await workflow.plan_with(load_project(root, env={}), emu.registry, PLAN)

    asyncio.run(scenario())
