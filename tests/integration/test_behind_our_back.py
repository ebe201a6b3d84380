"""Changes made behind our back (with the Databricks SDK) show in the next plan, and make a
saved plan made before them stale. Runs the emulator as a real loopback server, because the
SDK speaks plain HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.service.serving import EndpointTag
from support.emulator_server import EmulatorServer
from support.registry_harness import EXAMPLES, FAST_WAITS, add_target, copy_project

from reconciler.api import saved_plans, workflow
from reconciler.api.validating import load_project
from reconciler.loading.project import Project

ENDPOINT = "bedrock-chat-completions-endpoint"
APPLY = workflow.ApplySettings(wait_settings=FAST_WAITS)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[EmulatorServer]:
    with EmulatorServer.start(db_path=tmp_path / "server.db") as running:
        yield running


def remote_project(tmp_path: Path, server: EmulatorServer,
                   monkeypatch: pytest.MonkeyPatch) -> Path:
    root = copy_project(EXAMPLES, tmp_path / "project")
    add_target(root, "emu", server.url, "EMU_TOKEN")
    monkeypatch.setenv("EMU_TOKEN", server.token)
    return root


def load(root: Path) -> Project:
    return load_project(root, target="emu")


def test_sdk_change_shows_in_next_plan_and_stales_a_saved_plan(
    tmp_path: Path, server: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = remote_project(tmp_path, server, monkeypatch)
    project = load(root)
    assert workflow.apply(project, workflow.plan(project), APPLY).ok
    assert not workflow.plan(project).has_changes

    # A reviewed change, saved for later.
    chat = root / "endpoints" / "chat.yaml"
    chat.write_text(chat.read_text().replace("tier: gold", "tier: platinum"))
    project = load(root)
    saved_path = tmp_path / "plan.json"
    saved_plans.save_plan(workflow.plan(project), saved_path)

    # Someone edits the endpoint by hand with the SDK.
    sdk = WorkspaceClient(host=server.url, token=server.token)
    sdk.serving_endpoints.patch(ENDPOINT, add_tags=[EndpointTag(key="team", value="hijacked")])

    fresh = workflow.plan(project)
    action = fresh.action_for(ENDPOINT)
    assert action is not None and action.action == "update"
    assert any("team" in change.path and change.old == "hijacked" for change in action.changes)

    saved = saved_plans.load_saved_plan(saved_path, project)
    report = workflow.apply(project, saved, APPLY, saved=True)
    assert not report.ok
    [failure] = report.failed
    assert failure.name == ENDPOINT and failure.failure == "stale-plan"
    assert "reconciler plan" in (failure.error or "")
    tags = {t.key: t.value for t in sdk.serving_endpoints.get(ENDPOINT).tags or []}
    assert tags["tier"] == "gold" and tags["team"] == "hijacked"  # nothing was written

    # The fresh plan applies and converges.
    assert workflow.apply(project, fresh, APPLY).ok
    assert not workflow.plan(project).has_changes
