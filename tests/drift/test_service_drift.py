"""``reconciler drift`` on Unity AI Gateway services: a change someone else made in the
workspace (the read's ``updated_by`` is not the identity that plans) is drift, exit 2, in
text, JSON and Markdown; a manifest change waiting to be applied is not; a revoked grant of
a principal the manifest names is drift; apply puts it back (issue 16)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support.cli import run_cli
from support.emulator_inprocess import InProcessApi
from support.registry_harness import EXAMPLES, copy_project

UC = "/api/2.1/unity-catalog"
ASSISTANT = f"{UC}/model-services/main.genai.assistant"
SOMEONE = "alice@example.com"


@pytest.fixture
def project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    root = copy_project(EXAMPLES / "model-services", tmp_path / "project")
    code, _out, err = run_cli(capsys, "apply", "-C", str(root), "--auto-approve")
    assert code == 0, err
    return root


def as_someone_else(root: Path) -> InProcessApi:
    """The same workspace, written by another user (a hand edit in Catalog Explorer)."""
    return InProcessApi(db_path=root / ".reconciler" / "local.db", creator=SOMEONE)


def drift_json(capsys: pytest.CaptureFixture[str], root: Path) -> tuple[int, dict[str, Any]]:
    code, out, _err = run_cli(capsys, "drift", "-C", str(root), "--format", "json")
    return code, json.loads(out)


def test_no_drift_after_apply_and_a_pending_manifest_change_is_not_drift(
        capsys: pytest.CaptureFixture[str], project: Path) -> None:
    code, report = drift_json(capsys, project)
    assert (code, report["drift"], report["services_checked"]) == (0, False, 4)
    manifest = project / "services" / "assistant.yaml"
    manifest.write_text(manifest.read_text().replace("requests: 20", "requests: 50"))
    code, report = drift_json(capsys, project)
    assert (code, report["services"], report["unattributed_services"]) == (0, [], [])
    code, out, _ = run_cli(capsys, "drift", "-C", str(project))
    assert code == 0 and "None of 4 service(s) was changed outside the repository" in out


def test_a_change_someone_else_made_is_drift_and_apply_puts_it_back(
        capsys: pytest.CaptureFixture[str], project: Path) -> None:
    with as_someone_else(project) as api:
        limits = api.get(ASSISTANT).json()["config"]["rate_limits"]
        limits[0]["requests"] = 99
        edited = api.patch(ASSISTANT, params={"update_mask": "config.rate_limits"},
                           json={"config": {"rate_limits": limits}})
        assert edited.status_code == 200 and edited.json()["updated_by"] == SOMEONE
    code, report = drift_json(capsys, project)
    assert code == 2 and report["drift"] is True
    [service] = report["services"]
    assert (service["kind"], service["name"]) == ("ModelService", "main.genai.assistant")
    [field] = service["fields"]
    assert field["path"] == "config.rate_limits"
    assert field["live"][0]["requests"] == 99 and field["manifest"][0]["requests"] == 20
    code, out, _ = run_cli(capsys, "drift", "-C", str(project))
    assert code == 2 and "! ModelService main.genai.assistant" in out
    assert "1 field(s) on 1 of 4 service(s) changed outside the repository" in out
    code, out, _ = run_cli(capsys, "drift", "-C", str(project), "--format", "markdown")
    assert code == 2 and "| `ModelService main.genai.assistant` | `config.rate_limits` |" in out
    code, out, _ = run_cli(capsys, "plan", "-C", str(project))
    assert "~ config.rate_limits:" in out and "(changed outside the repository)" in out
    code, _out, err = run_cli(capsys, "apply", "-C", str(project), "--auto-approve")
    assert code == 0, err
    code, report = drift_json(capsys, project)
    assert (code, report["services"]) == (0, [])


def test_a_revoked_grant_of_a_managed_principal_is_drift(
        capsys: pytest.CaptureFixture[str], project: Path) -> None:
    with as_someone_else(project) as api:
        revoked = api.patch(f"{UC}/permissions/MODEL_SERVICE/main.genai.assistant", json={
            "changes": [{"principal": "genai-developers", "remove": ["EXECUTE"]},
                        {"principal": "someone-else", "add": ["EXECUTE"]}]})
        assert revoked.status_code == 200
    code, report = drift_json(capsys, project)
    assert code == 2
    [service] = report["services"]
    assert service["fields"] == [{"path": "grants[genai-developers]", "live": [],
                                  "manifest": ["EXECUTE"], "facet": "grants"}]


def test_plan_and_drift_select_a_service_by_its_full_name(
        capsys: pytest.CaptureFixture[str], project: Path) -> None:
    with as_someone_else(project) as api:
        limits = api.get(ASSISTANT).json()["config"]["rate_limits"][:1]
        assert api.patch(ASSISTANT, params={"update_mask": "config.rate_limits"},
                         json={"config": {"rate_limits": limits}}).status_code == 200
    code, out, err = run_cli(capsys, "plan", "-C", str(project), "--select",
                             "main.genai.assistant", "--format", "json")
    assert code == 0, err
    plan = json.loads(out)
    assert [s["name"] for s in plan["services"]] == ["main.genai.assistant"]
    assert [a["reason"] for a in plan["actions"]] == ["not selected"]
    code, out, _ = run_cli(capsys, "drift", "-C", str(project), "--select",
                           "main.genai.assistant", "--format", "json")
    report = json.loads(out)
    assert code == 2 and [s["name"] for s in report["services"]] == ["main.genai.assistant"]
    code, _out, err = run_cli(capsys, "plan", "-C", str(project), "--select", "main.genai.nope")
    assert code == 1 and "--select names no service manifest or live service: main.genai.nope" \
        in err


def test_a_hand_edited_comment_without_the_marker_is_listed_as_unattributed(
        capsys: pytest.CaptureFixture[str], project: Path) -> None:
    with as_someone_else(project) as api:
        assert api.patch(ASSISTANT, params={"update_mask": "comment"},
                         json={"comment": "edited by hand"}).status_code == 200
    code, report = drift_json(capsys, project)
    assert (code, report["services"]) == (0, [])
    assert report["unattributed_services"] == ["ModelService main.genai.assistant"]
