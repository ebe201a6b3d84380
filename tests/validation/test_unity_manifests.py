"""The Unity AI Gateway kinds in manifests: kind dispatch, the committed schema, and the
plaintext policy (a key passed as ${env.NAME} stays a reference and is never printed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.cli import run_cli

from reconciler.api import validate_project
from reconciler.loading.project import load_project
from reconciler.model.unity import ModelProviderService, ModelService
from reconciler.redaction import redact_text
from reconciler.validation import json_schema

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "model-services"
KEY = "sk-unity-test-key-0123456789"


def test_kind_selects_the_model_and_endpoints_stay_the_default() -> None:
    project = load_project(EXAMPLE, env={})
    kinds = sorted((type(s.securable).__name__, s.securable.name) for s in project.securables)
    assert kinds == [("McpService", "main.genai.github_tools"),
                     ("ModelProviderService", "main.genai.openai_prod"),
                     ("ModelService", "main.genai.assistant"),
                     ("ModelService", "main.genai.embeddings")]
    assert [e.endpoint.name for e in project.endpoints] == ["legacy-openai-chat"]
    provider = next(s.securable for s in project.securables
                    if isinstance(s.securable, ModelProviderService))
    assert provider.parent() == "schemas/main.genai"
    assert "grants" not in provider.to_wire() and "name" not in provider.to_wire()
    service = next(s.securable for s in project.securables
                   if isinstance(s.securable, ModelService))
    assert service.grants == {"genai-developers": ["EXECUTE"]}


def test_committed_unity_schema_is_up_to_date() -> None:
    committed = (ROOT / "schemas" / json_schema.UNITY_SCHEMA_FILE).read_text()
    assert committed == json_schema.dumps(json_schema.unity_schema()), (
        "schemas/unity-gateway.schema.json is stale: run "
        "`reconciler schema --unity > schemas/unity-gateway.schema.json`")


def _project(tmp_path: Path, policy: str, plaintext: str) -> Path:
    (tmp_path / "reconciler.yaml").write_text(
        f"project: p\nmanifests: [s.yaml]\npolicy: {{plaintext_secrets: {policy}}}\n")
    (tmp_path / "s.yaml").write_text(
        "kind: ModelProviderService\nname: main.genai.openai\nconfig:\n"
        "  provider_type: EXTERNAL_MODEL_PROVIDER_TYPE_OPENAI\n"
        f"  openai: {{direct: {{api_key: {{plaintext: '{plaintext}'}}}}}}\n"
        "  targets: [{model: gpt-4o, native_api_types: [openai/v1/chat/completions]}]\n")
    return tmp_path


def test_plaintext_from_env_stays_a_reference_and_is_masked(tmp_path: Path) -> None:
    root = _project(tmp_path, "env-only", "${env.OPENAI_KEY}")
    project = load_project(root, env={"OPENAI_KEY": KEY})
    provider = project.securables[0].securable
    assert isinstance(provider, ModelProviderService)
    direct = provider.config.openai.direct  # type: ignore[union-attr]
    assert direct.api_key.plaintext == "${env.OPENAI_KEY}"  # type: ignore[union-attr]
    assert redact_text(f"key={KEY}") == "key=(sensitive)"


def test_a_literal_plaintext_is_refused_and_never_printed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _project(tmp_path, "env-only", KEY)
    report = validate_project(root, env={})
    assert [i.rule for i in report.issues] == ["UNITY-008"]
    code, out, err = run_cli(capsys, "validate", "-C", str(root), "--format", "json")
    assert code == 1
    assert "UNITY-008" in out and KEY not in out + err
