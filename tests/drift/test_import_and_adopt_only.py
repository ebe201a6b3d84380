"""Adoption: `reconciler import NAME...` and Databricks-provided (`databricks-*`) endpoints.

An endpoint made by hand is imported into the project's manifest folder; the next plan only
adds the ownership tag and apply makes it ours. A `databricks-*` endpoint can have its rate
limits, gateway and tags managed, and is never created, given a config or deleted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support.cli import run_cli as run

from drift.harness import API, CHAT, behind_our_back, live, tags_of, write_project

HANDMADE: dict[str, Any] = {
    "name": "handmade",
    "config": {"served_entities": [{"name": "claude", "external_model": {
        "name": "claude-3-5-sonnet-20241022", "provider": "anthropic", "task": "llm/v1/chat",
        "anthropic_config": {"anthropic_api_key": "{{secrets/ai/anthropic}}"}}}]},
    "ai_gateway": {"rate_limits": [{"key": "endpoint", "calls": 5, "renewal_period": "minute"}]},
    "tags": [{"key": "owner", "value": "alice"}],
}

SYSTEM = "databricks-meta-llama-3-3-70b-instruct"
SYSTEM_LIVE: dict[str, Any] = {
    "name": SYSTEM,
    "config": {"served_entities": [{
        "entity_name": "system.ai.meta_llama_v3_3_70b_instruct", "entity_version": "1",
        "scale_to_zero_enabled": True}]},
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = write_project(tmp_path / "repo", chat=CHAT)
    with behind_our_back(root) as api:
        for body in (HANDMADE, SYSTEM_LIVE):
            response = api.post(API, json=body)
            assert response.status_code == 200, response.text
    return root


def plan_json(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> dict[str, Any]:
    code, out, err = run(capsys, "plan", "-C", str(root), "--format", "json", *args)
    assert code == 0, err
    data: dict[str, Any] = json.loads(out)
    return data


def test_import_then_plan_only_adds_ownership_and_apply_makes_it_ours(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out, err = run(capsys, "import", "-C", str(project), "handmade")
    assert code == 0, err
    written = project / "endpoints" / "handmade.yaml"
    assert f"wrote {written}" in err
    text = written.read_text()
    assert "reconciler-" not in text.replace("reconciler import", "")
    assert "owner: alice" in text and "calls: 5" in text

    code, out, _ = run(capsys, "validate", "-C", str(project))
    assert code == 0, out
    plan = plan_json(capsys, project, "--select", "handmade")
    [action] = [a for a in plan["actions"] if a["name"] == "handmade"]
    assert action["action"] == "update" and action["facets"] == ["tags"]
    assert [(c["path"], c["new"]) for c in action["changes"]] == [
        ("tags[reconciler-project-id]", "d41f7e0c9b2a5863"),
        ("tags[reconciler-project]", "drift-test")]
    [step] = action["steps"]
    assert step["op"] == "patch_tags" and step["endpoint"] == "handmade"

    code, _out, err = run(capsys, "apply", "-C", str(project), "--auto-approve")
    assert code == 0, err
    tags = tags_of(live(project, "handmade"))
    assert tags["reconciler-project"] == "drift-test" and "reconciler-applied" in tags
    assert tags["reconciler-project-id"] == "d41f7e0c9b2a5863"
    assert not any(a["action"] != "no-op" for a in plan_json(capsys, project)["actions"])
    code, _out, _ = run(capsys, "drift", "-C", str(project))
    assert code == 0


def test_import_refuses_overwrites_managed_names_and_unknown_endpoints(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = project / "endpoints" / "handmade.yaml"
    target.write_text("# mine\n")
    code, _out, err = run(capsys, "import", "-C", str(project), "handmade")
    assert code == 1 and "already exists" in err and "pass --force" in err
    assert target.read_text() == "# mine\n"
    code, _out, err = run(capsys, "import", "-C", str(project), "handmade", "--force")
    assert code == 0 and f"overwrote {target}" in err
    assert "name: handmade" in target.read_text()

    code, _out, err = run(capsys, "import", "-C", str(project), "chat")
    assert code == 1 and "already managed by a manifest: chat" in err
    code, _out, err = run(capsys, "import", "-C", str(project), "nowhere")
    assert code == 1 and "no live endpoint named 'nowhere'" in err


def test_databricks_provided_endpoint_is_adopt_only(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # import writes only what can be managed: no config
    code, _out, err = run(capsys, "import", "-C", str(project), SYSTEM)
    assert code == 0, err
    manifest = project / "endpoints" / f"{SYSTEM}.yaml"
    assert "config" not in manifest.read_text()
    manifest.write_text(f"name: {SYSTEM}\ntags: {{team: genai}}\nrate_limits:\n"
                        "  - {key: user, calls: 100, renewal_period: minute}\n")
    plan = plan_json(capsys, project, "--select", SYSTEM)
    [action] = [a for a in plan["actions"] if a["name"] == SYSTEM]
    assert action["action"] == "update" and action["facets"] == ["ai_gateway", "tags"]
    assert [s["op"] for s in action["steps"]] == ["put_ai_gateway", "patch_tags"]
    code, _out, err = run(capsys, "apply", "-C", str(project), "--auto-approve")
    assert code == 0, err
    body = live(project, SYSTEM)
    assert body["ai_gateway"]["rate_limits"] == [
        {"key": "user", "calls": 100, "renewal_period": "minute"}]
    assert body["config"]["config_version"] == 1  # never given a config

    # with --prune, our tag on it still never leads to a delete
    manifest.unlink()
    plan = plan_json(capsys, project, "--prune")
    [action] = [a for a in plan["actions"] if a["name"] == SYSTEM]
    assert action["action"] == "no-op" and "never deleted" in action["reason"]


def test_databricks_provided_endpoint_with_config_is_invalid_and_never_created(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = project / "endpoints" / "missing.yaml"
    missing.write_text("name: databricks-not-here\nai_gateway:\n"
                       "  usage_tracking_config: {enabled: true}\n")
    # One clear error, exit 1, the same in plan, apply and drift (issue 12 item 12): no run
    # can ever create it, so neither "blocked" on every apply nor a clean drift is right.
    for command in (["plan"], ["apply", "--auto-approve"], ["drift"]):
        code, out, err = run(capsys, *command, "-C", str(project))
        assert code == 1, (command, out, err)
        assert "no Databricks-provided endpoint named 'databricks-not-here' in this " \
               "workspace" in err, command
        assert "--allow-recreate" not in out + err

    missing.write_text("name: databricks-not-here\nconfig:\n  served_entities:\n"
                       "    - {entity_name: system.ai.x, entity_version: '1', "
                       "scale_to_zero_enabled: true}\n")
    code, out, _ = run(capsys, "validate", "-C", str(project))
    assert code == 1
    assert "ENDPOINT-015 config of Databricks-provided endpoints cannot be managed" in out


def test_export_all_covers_every_live_endpoint_but_databricks_ones(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out, err = run(capsys, "apply", "-C", str(project), "--auto-approve",
                          "--select", "chat")
    assert code == 0, err
    out_dir = project / "exported"
    code, _out, err = run(capsys, "export", "-C", str(project), "--all", "--out", str(out_dir))
    assert code == 0, err
    assert sorted(p.name for p in out_dir.iterdir()) == ["chat.yaml", "handmade.yaml"]
    code, out, _ = run(capsys, "export", "-C", str(project), "--select", SYSTEM)
    assert code == 0
    assert f"name: {SYSTEM}" in out and "config" not in out
