"""Rule behaviour a user notices, beyond the one-file-per-rule golden cases."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from reconciler.api import validate_paths
from reconciler.model.project import Policy

OPENAI_PLAINTEXT = """
name: openai-completions-endpoint
config:
  served_entities:
    - name: openai-completions
      external_model:
        name: gpt-3.5-turbo-instruct
        provider: openai
        task: llm/v1/completions
        openai_config:
          openai_api_key_plaintext: {key}
"""


def rules(
    tmp_path: Path,
    text: str,
    policy: Policy | None = None,
    env: Mapping[str, str] | None = None,
) -> list[str]:
    path = tmp_path / "endpoint.yaml"
    path.write_text(text)
    report = validate_paths([path], env=env or {}, policy=policy)
    return [issue.rule for issue in report.issues]


@pytest.mark.parametrize(
    ("mode", "key", "env", "expected"),
    [
        ("forbid", "sk-yourApiKey", {}, ["POLICY-004"]),
        ("forbid", "${env.OPENAI_API_KEY}", {"OPENAI_API_KEY": "sk-x"}, ["POLICY-004"]),
        ("env-only", "sk-yourApiKey", {}, ["POLICY-004"]),
        ("env-only", "${env.OPENAI_API_KEY}", {"OPENAI_API_KEY": "sk-x"}, []),
        ("env-only", "${env.OPENAI_API_KEY}", {}, ["INTERP-002"]),
        ("allow", "sk-yourApiKey", {}, []),
    ],
)
def test_plaintext_policy(
    tmp_path: Path, mode: str, key: str, env: dict[str, str], expected: list[str]
) -> None:
    policy = Policy(plaintext_secrets=mode)  # type: ignore[arg-type]
    assert rules(tmp_path, OPENAI_PLAINTEXT.format(key=key), policy, env) == expected


def test_tags_in_the_api_list_form_are_accepted(tmp_path: Path) -> None:
    text = "name: ep\ntags:\n  - {key: team, value: genai}\n  - {key: empty}\n"
    assert rules(tmp_path, text) == []


def test_generated_entity_names_count_for_uniqueness(tmp_path: Path) -> None:
    entity = """
    - external_model:
        name: gpt-4o
        provider: openai
        task: llm/v1/chat
        openai_config: {openai_api_key: "{{secrets/s/k}}"}"""
    text = f"name: ep\nconfig:\n  served_entities:{entity}{entity}\n"
    text += "  traffic_config: {routes: [{served_entity_name: gpt-4o, traffic_percentage: 100}]}\n"
    assert rules(tmp_path, text) == ["ENDPOINT-002"]


def test_legacy_rate_limits_alone_are_fine(tmp_path: Path) -> None:
    text = "name: ep\nrate_limits:\n  - {key: user, renewal_period: minute, calls: 20}\n"
    assert rules(tmp_path, text) == []


@pytest.mark.parametrize(
    "auth",
    [
        "instance_profile_arn: arn:aws:iam::1:instance-profile/x",
        "uc_service_credential_name: bedrock-cred",
        'aws_access_key_id_plaintext: "${env.AWS_KEY}"\n'
        '          aws_secret_access_key: "{{secrets/aws/secret}}"',
    ],
)
def test_bedrock_auth_methods(tmp_path: Path, auth: str) -> None:
    text = f"""
name: ep
config:
  served_entities:
    - external_model:
        name: anthropic.claude-v2
        provider: amazon-bedrock
        task: llm/v1/chat
        amazon_bedrock_config:
          aws_region: us-east-1
          bedrock_provider: AMAZON
          {auth}
"""
    policy = Policy(plaintext_secrets="env-only")
    assert rules(tmp_path, text, policy, {"AWS_KEY": "AKIA"}) == []


def test_field_in_the_wrong_block_is_an_unknown_field_with_its_path(tmp_path: Path) -> None:
    text = """
name: ep
config:
  served_entities:
    - external_model:
        name: gpt-4o
        provider: openai
        task: llm/v1/chat
        openai_api_key: "{{secrets/s/k}}"
"""
    path = tmp_path / "endpoint.yaml"
    path.write_text(text)
    report = validate_paths([path], env={})
    assert [i.rule for i in report.issues] == ["STRUCT-001"]
    issue = report.issues[0]
    assert issue.location is not None and (issue.location.line, issue.location.column) == (9, 9)
    assert "config.served_entities[0].external_model" in issue.message
    assert issue.message.endswith("it belongs in 'openai_config'")


def test_two_entities_need_a_traffic_config(tmp_path: Path) -> None:
    entity = """
    - name: m{n}
      entity_name: main.ml.model
      entity_version: "{n}"
      scale_to_zero_enabled: true"""
    text = "name: ep\nconfig:\n  served_entities:" + entity.format(n=1) + entity.format(n=2)
    assert rules(tmp_path, text + "\n") == ["ENDPOINT-008"]


def test_config_less_endpoint_is_valid(tmp_path: Path) -> None:
    assert rules(tmp_path, "name: placeholder-endpoint\n") == []


def test_plaintext_values_never_appear_in_messages(tmp_path: Path) -> None:
    secret = "123456789"  # a key that YAML reads as a number: a structural error
    text = OPENAI_PLAINTEXT.format(key=secret)
    path = tmp_path / "endpoint.yaml"
    path.write_text(text)
    report = validate_paths([path], env={})
    assert [i.rule for i in report.issues] == ["STRUCT-003"]
    assert all(secret not in i.message for i in report.issues)
    literal = OPENAI_PLAINTEXT.format(key="sk-literal-secret")
    path.write_text(literal.replace("openai_api_key_plaintext", "openai_api_key"))
    report = validate_paths([path], env={})
    assert [i.rule for i in report.issues] == ["PROVIDER-005"]
    assert all("sk-literal-secret" not in i.message for i in report.issues)
    assert "_plaintext" in report.issues[0].message  # the hint says where a literal key goes


def test_mlflow_legacy_config_shape_points_to_the_top_level(tmp_path: Path) -> None:
    path = tmp_path / "endpoint.yaml"
    path.write_text("name: ep\nconfig:\n  rate_limits: [{key: user, calls: 20}]\n")
    (issue,) = validate_paths([path], env={}).issues
    assert issue.rule == "STRUCT-001"
    assert issue.message.endswith("it belongs at the top level of the document")
