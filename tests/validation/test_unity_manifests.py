"""The Unity AI Gateway kinds in manifests: kind dispatch, the committed schema, and the
plaintext policy (a key passed as ${env.NAME} stays a reference and is never printed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.cli import run_cli

from reconciler.api import validate_project
from reconciler.api.validating import load_project
from reconciler.model.unity import ModelProviderService, ModelService
from reconciler.redaction import redact_text, secret_run
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
        f"project: p\nproject_id: 3f9c2a7e1b4d8c60\nmanifests: [s.yaml]\n"
        f"policy: {{plaintext_secrets: {policy}}}\n")
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
    with secret_run(project.secrets):  # the project's run masks it (redaction.secret_run)
        assert redact_text(f"key={KEY}") == "key=(sensitive)"


def test_a_literal_plaintext_is_refused_and_never_printed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _project(tmp_path, "env-only", KEY)
    report = validate_project(root, env={})
    assert [i.rule for i in report.issues] == ["UNITY-008"]
    code, out, err = run_cli(capsys, "validate", "-C", str(root), "--format", "json")
    assert code == 1
    assert "UNITY-008" in out and KEY not in out + err


def test_the_validate_summary_counts_services_too(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "validate", "-C", str(EXAMPLE))
    assert code == 0
    # The one warning: the examples' placeholder project_id (docs/ownership.md).
    assert out.strip().endswith("4 files, 1 endpoint, 4 services: 0 errors, 1 warning")
    assert "PROJECT-003 project_id example-replace-me" in out
    code, out, _ = run_cli(capsys, "validate", "-C", str(EXAMPLE), "--format", "json")
    document = json.loads(out)
    assert document["summary"]["services"] == 4
    assert sorted(document["services"]) == ["main.genai.assistant", "main.genai.embeddings",
                                            "main.genai.github_tools", "main.genai.openai_prod"]
    code, out, _ = run_cli(capsys, "validate", str(EXAMPLE / "services" / "openai.yaml"))
    assert out.strip().endswith("1 file, 0 endpoints, 1 service: no problems")


def test_the_emulator_and_the_offline_rules_share_one_definition_of_the_shapes() -> None:
    """Name formats, auth modes and the structural shapes are defined once, in model/unity.py:
    the emulator's schemas are derived from the manifest models, not a second copy."""
    from reconciler.emulator import uc_schemas, uc_validation
    from reconciler.model import unity
    from reconciler.validation import unity_rules

    for name in ("SECRET_NAME", "SCHEMA_NAME", "CONNECTION_NAME", "PROVIDER_REF", "MODEL_REF",
                 "AUTH_MODES", "REQUIRED_DIRECT"):
        assert getattr(uc_validation, name) is getattr(unity, name)
        assert getattr(unity_rules, name) is getattr(unity, name)
    assert not hasattr(uc_schemas, "PROVIDER_TYPES") and not hasattr(uc_schemas, "RATE_LIMIT_KEYS")
    properties = uc_schemas.MODEL_SERVICE_CONFIG["properties"]
    assert set(properties) == set(unity.ModelServiceConfig.model_fields)
    limit = properties["rate_limits"]["items"]
    assert limit["properties"]["key"]["enum"] == list(unity.RATE_LIMIT_KEYS)
    assert limit["required"] == ["key", "renewal_period"]
    for block, members in unity.ALLOWED_DIRECT.items():
        direct = uc_schemas.PROVIDER_CONFIG["properties"][block]["properties"]["direct"]
        assert tuple(direct["properties"]) == tuple(
            m for m in unity.DirectConfig.model_fields if m in members)
