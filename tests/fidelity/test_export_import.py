"""Issue 12 item 11: export/import of endpoints with write-only keys; import starts a project."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support.cli import run_cli as run
from support.emulator_inprocess import InProcessApi
from support.roundtrip import write_project

from reconciler.api import validate_project

API = "/api/2.0/serving-endpoints"


def external(name: str, provider: str, block: str, config: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "config": {"served_entities": [{"name": "m", "external_model": {
        "name": "model-1", "provider": provider, "task": "llm/v1/chat", block: config}}]}}


# Made with plaintext keys by someone else's script: GET never shows a key again.
HANDMADE: list[dict[str, Any]] = [
    external("oa", "openai", "openai_config", {"openai_api_key_plaintext": "sk-1"}),
    external("entra", "openai", "openai_config", {
        "openai_api_type": "azuread", "openai_api_base": "https://x.openai.azure.com",
        "openai_deployment_name": "d", "openai_api_version": "2024-02-01",
        "microsoft_entra_tenant_id": "t", "microsoft_entra_client_id": "c",
        "microsoft_entra_client_secret_plaintext": "s-1"}),
    external("bedrock", "amazon-bedrock", "amazon_bedrock_config", {
        "aws_region": "us-east-1", "bedrock_provider": "anthropic",
        "aws_access_key_id_plaintext": "AKIA1", "aws_secret_access_key_plaintext": "s"}),
    external("custom", "custom", "custom_provider_config", {
        "custom_provider_url": "https://llm.example.com",
        "bearer_token_auth": {"token_plaintext": "t-1"}}),
    external("vertex", "google-cloud-vertex-ai", "google_cloud_vertex_ai_config", {
        "project_id": "p", "region": "us-central1", "private_key_plaintext": "k"}),
]


@pytest.fixture
def empty_project(tmp_path: Path) -> Path:
    """A project whose manifests folder is still empty, on a local target that someone
    else's scripts already filled."""
    root = write_project(tmp_path, {}, plaintext="env-only")
    with InProcessApi(db_path=root / ".reconciler" / "local.db") as api:
        for body in HANDMADE:
            response = api.post(API, json=body)
            assert response.status_code == 200, response.text
    return root


def test_import_into_an_empty_project_writes_env_references_that_validate(
    empty_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = [b["name"] for b in HANDMADE]
    code, _out, err = run(capsys, "import", "-C", str(empty_project), *names)
    assert code == 0, err
    assert "OA_M_OPENAI_API_KEY" in err and "is write-only" in err
    text = (empty_project / "endpoints" / "oa.yaml").read_text()
    assert 'openai_api_key_plaintext: "${env.OA_M_OPENAI_API_KEY}"' in text
    env = {
        "OA_M_OPENAI_API_KEY": "sk-1",
        "ENTRA_M_MICROSOFT_ENTRA_CLIENT_SECRET": "s-1",
        "BEDROCK_M_AWS_ACCESS_KEY_ID": "AKIA1",
        "BEDROCK_M_AWS_SECRET_ACCESS_KEY": "s",
        "CUSTOM_M_TOKEN": "t-1",
        "VERTEX_M_PRIVATE_KEY": "k",
    }
    report = validate_project(empty_project, env=env)
    assert [(i.rule, i.message) for i in report.issues if i.severity == "error"] == []
    for variable in env:
        assert variable in err


def test_export_says_which_variables_to_set_on_stderr(
    empty_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (empty_project / "endpoints" / "keep.yaml").write_text("name: keep\n")
    code, out, err = run(capsys, "export", "-C", str(empty_project), "--select", "bedrock")
    assert code == 0, err
    assert 'aws_secret_access_key_plaintext: "${env.BEDROCK_M_AWS_SECRET_ACCESS_KEY}"' in out
    assert "${env.BEDROCK_M_AWS_SECRET_ACCESS_KEY}" in err
    assert "plaintext_secrets: env-only" in err
