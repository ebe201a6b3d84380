"""``reconciler export`` and ``import`` of Unity AI Gateway services: the manifests they
write validate and then plan empty (an imported service: only this project's marker), a
plaintext key is written as ``plaintext: ${env.NAME}`` and said on stderr, never guessed or
printed, and names that are not ``catalog.schema.id`` never become file names (issue 16)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from support.cli import run_cli
from support.emulator_inprocess import InProcessApi
from support.registry_harness import EXAMPLES, copy_project

UC = "/api/2.1/unity-catalog"
KEY = "sk-export-test-key-0123456789"
SERVICES = ["main.genai.assistant", "main.genai.embeddings", "main.genai.github_tools",
            "main.genai.openai_prod"]


@pytest.fixture
def project(tmp_path: Path, capsys: pytest.CaptureFixture[str],
            monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example with its OpenAI key as plaintext from the environment, applied."""
    root = copy_project(EXAMPLES / "model-services", tmp_path / "project")
    (root / "reconciler.yaml").write_text((root / "reconciler.yaml").read_text()
                                          + "policy: {plaintext_secrets: env-only}\n")
    provider = root / "services" / "openai.yaml"
    provider.write_text(provider.read_text().replace(
        "{secret_reference: {name: secrets/main.genai.openai_key}}",
        "{plaintext: '${env.OPENAI_KEY}'}"))
    monkeypatch.setenv("OPENAI_KEY", KEY)
    code, _out, err = run_cli(capsys, "apply", "-C", str(root), "--auto-approve")
    assert code == 0, err
    return root


def plan_json(capsys: pytest.CaptureFixture[str], root: Path) -> dict[str, object]:
    code, out, err = run_cli(capsys, "plan", "-C", str(root), "--format", "json")
    assert code == 0, err
    data: dict[str, object] = json.loads(out)
    return data


def changed(plan: dict[str, object]) -> list[tuple[str, str]]:
    services = plan["services"]
    assert isinstance(services, list)
    return [(s["name"], s["action"]) for s in services if s["action"] != "no-op" or s["steps"]]


def test_exported_services_validate_and_plan_empty(
        capsys: pytest.CaptureFixture[str], project: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    out_dir = project / "exported"
    code, _out, err = run_cli(capsys, "export", "-C", str(project), "--out", str(out_dir))
    assert code == 0, err
    written = sorted(p.name for p in out_dir.iterdir())
    assert written == ["legacy-openai-chat.yaml", *(f"{n}.yaml" for n in SERVICES)]
    assert KEY not in err
    assert ("main.genai.openai_prod: config.openai.direct.api_key.plaintext is input-only"
            in err and "${env.OPENAI_PROD_API_KEY}" in err)
    provider = yaml.safe_load((out_dir / "main.genai.openai_prod.yaml").read_text())
    assert provider["kind"] == "ModelProviderService"
    assert provider["comment"] == "OpenAI for the assistant"  # without the marker
    assert provider["config"]["openai"]["direct"]["api_key"] == {
        "plaintext": "${env.OPENAI_PROD_API_KEY}"}
    assert provider["grants"] == {"genai-developers": ["EXECUTE"]}
    # The exported files replace the hand-written ones: same services, no change to plan.
    shutil.rmtree(project / "services")
    out_dir.rename(project / "services")
    monkeypatch.setenv("OPENAI_PROD_API_KEY", KEY)
    code, out, _ = run_cli(capsys, "validate", "-C", str(project))
    assert code == 0, out
    plan = plan_json(capsys, project)
    assert len(plan["services"]) == 4  # type: ignore[arg-type]
    assert changed(plan) == [] and plan["actions"] and not any(
        a["action"] != "no-op" for a in plan["actions"])  # type: ignore[attr-defined]


def test_export_selects_services_by_full_name(capsys: pytest.CaptureFixture[str],
                                              project: Path) -> None:
    code, out, _ = run_cli(capsys, "export", "-C", str(project), "--select",
                           "main.genai.embeddings")
    assert code == 0
    [doc] = list(yaml.safe_load_all(out))
    assert (doc["kind"], doc["name"]) == ("ModelService", "main.genai.embeddings")
    code, _out, err = run_cli(capsys, "export", "-C", str(project), "--select", "main.genai.x")
    assert code == 1 and "no live service named 'main.genai.x'" in err


def test_import_adopts_a_hand_made_service_with_only_the_marker_to_write(
        capsys: pytest.CaptureFixture[str], project: Path) -> None:
    with InProcessApi(db_path=project / ".reconciler" / "local.db") as api:
        made = api.post(f"{UC}/model-services", params={
            "parent": "schemas/main.genai", "model_service_id": "handmade"},
            json={"comment": "made in Catalog Explorer", "config": {"routing": {
                "destinations": [{"name": "d", "destination_type":
                                  "DESTINATION_TYPE_PAY_PER_TOKEN_FOUNDATION_MODEL",
                                  "pay_per_token_config": {"model": "models/system.ai.x"}}]},
                "rate_limits": [{"key": "RATE_LIMIT_KEY_SERVICE", "renewal_period":
                                 "RATE_LIMIT_RENEWAL_PERIOD_MINUTE", "requests": 5}]}})
        assert made.status_code == 200
    code, _out, err = run_cli(capsys, "import", "-C", str(project), "main.genai.handmade")
    assert code == 0, err
    path = project / "services" / "main.genai.handmade.yaml"
    text = path.read_text()
    assert text.startswith("# Imported from the live service")
    assert yaml.safe_load(text)["comment"] == "made in Catalog Explorer"
    plan = plan_json(capsys, project)
    [handmade] = [s for s in plan["services"] if s["name"] == "main.genai.handmade"]  # type: ignore[attr-defined,index]
    assert handmade["action"] == "update"
    assert [s["update_mask"] for s in handmade["steps"]] == [["comment"]]
    code, _out, err = run_cli(capsys, "apply", "-C", str(project), "--auto-approve")
    assert code == 0, err
    assert changed(plan_json(capsys, project)) == []
    code, _out, err = run_cli(capsys, "import", "-C", str(project), "main.genai.handmade")
    assert code == 1 and "already managed by a manifest" in err


@pytest.mark.parametrize("name", ["main.genai", "main.genai.x/../y", "a..b"])
def test_import_refuses_a_name_that_is_not_catalog_schema_id(
        capsys: pytest.CaptureFixture[str], project: Path, name: str) -> None:
    before = sorted(p.name for p in (project / "services").iterdir())
    code, _out, err = run_cli(capsys, "import", "-C", str(project), name)
    assert code == 1 and "nothing was written" in err
    assert sorted(p.name for p in (project / "services").iterdir()) == before
