"""The ``permissions:`` list and ``policy.permissions``: what a user pastes in, and notices."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler import errors
from reconciler.api import validate_paths, validate_project
from reconciler.loading.project import load_documents, read_project_file
from reconciler.model.permissions import PermissionsPolicy, Principal
from reconciler.model.project import Policy

ENDPOINT = """
name: chat
config:
  served_entities:
    - external_model:
        name: gpt-4o-mini
        provider: openai
        task: llm/v1/chat
        openai_config: {{openai_api_key: "{{{{secrets/s/k}}}}"}}
permissions:
{grants}
"""
SP = "6b1f2c7e-4d3a-4f0e-9a55-1c2d3e4f5a6b"


def rules(tmp_path: Path, grants: str, policy: Policy | None = None) -> list[str]:
    path = tmp_path / "chat.yaml"
    path.write_text(ENDPOINT.format(grants=grants))
    return [i.rule for i in validate_paths([path], env={}, policy=policy).issues]


def test_rest_and_bundle_entries_paste_in_and_stay_out_of_the_create_body(
        tmp_path: Path) -> None:
    rest = (f"  - {{group_name: data-science, permission_level: CAN_QUERY}}\n"
            f"  - {{service_principal_name: {SP}, permission_level: CAN_QUERY}}\n")
    bundle = "  - {level: CAN_MANAGE, user_name: alice@example.com}\n"
    assert rules(tmp_path, rest + bundle) == []
    loaded = load_documents([tmp_path / "chat.yaml"], variables={}, env={}).endpoints[0]
    assert "permissions" not in loaded.endpoint.to_wire()
    entries = loaded.endpoint.permissions or []
    assert entries[-1].to_wire() == {"user_name": "alice@example.com",
                                     "permission_level": "CAN_MANAGE"}
    assert entries[0].principal() == Principal("group_name", "data-science")


def test_principal_keys_and_user_names_ignore_case() -> None:
    assert Principal("group_name", "data-science").key == "group:data-science"
    assert Principal("service_principal_name", SP).key == f"service_principal:{SP}"
    assert Principal("user_name", "A@x.com").identity == Principal("user_name", "a@x.com").identity
    assert Principal("group_name", "G").identity != Principal("group_name", "g").identity


@pytest.mark.parametrize(("grants", "policy", "expected"), [
    ("  - {user_name: a@x.com, permission_level: CAN_MANAGE}",
     Policy(permissions=PermissionsPolicy(max_user_level="CAN_QUERY")), ["POLICY-006"]),
    ("  - {user_name: a@x.com, level: CAN_QUERY}",
     Policy(permissions=PermissionsPolicy(max_user_level="CAN_QUERY")), []),
    ("  - {user_name: a@x.com, permission_level: CAN_QUERY}",
     Policy(permissions=PermissionsPolicy(max_user_level="CAN_VIEW")), ["POLICY-006"]),
    ("  - {group_name: g, permission_level: CAN_MANAGE}",
     Policy(permissions=PermissionsPolicy(max_user_level="CAN_VIEW")), []),
    ("  - {group_name: ops, permission_level: CAN_MANAGE}",
     Policy(permissions=PermissionsPolicy.model_validate(
         {"required_grants": [{"group_name": "ops", "permission_level": "CAN_QUERY"}]})), []),
    ("  - {group_name: ops, permission_level: CAN_VIEW}",
     Policy(permissions=PermissionsPolicy.model_validate(
         {"required_grants": [{"group_name": "ops", "level": "CAN_QUERY"}]})), ["POLICY-007"]),
    ("  []", Policy(permissions=PermissionsPolicy(required=True)), []),
])
def test_permission_policy(tmp_path: Path, grants: str, policy: Policy,
                           expected: list[str]) -> None:
    assert rules(tmp_path, grants, policy) == expected


def test_required_permissions_spare_databricks_provided_endpoints(tmp_path: Path) -> None:
    path = tmp_path / "system.yaml"
    path.write_text("name: databricks-meta-llama-3-3-70b-instruct\ntags: {team: genai}\n")
    policy = Policy(permissions=PermissionsPolicy(required=True))
    assert validate_paths([path], env={}, policy=policy).ok


def test_a_required_grant_without_one_principal_is_located_in_the_project_file(
        tmp_path: Path) -> None:
    (tmp_path / "reconciler.yaml").write_text(
        "project: p\npolicy:\n  permissions:\n    required_grants:\n"
        "      - {permission_level: CAN_MANAGE}\n")
    with pytest.raises(errors.ManifestError) as caught:
        read_project_file(tmp_path)
    (issue,) = caught.value.issues
    assert issue.rule == "STRUCT-003" and "exactly one of" in issue.message
    assert issue.location is not None and (issue.location.line, issue.location.column) == (5, 9)


def test_a_valid_permissions_project_passes(tmp_path: Path) -> None:
    (tmp_path / "endpoints").mkdir()
    (tmp_path / "reconciler.yaml").write_text(
        "project: p\npolicy:\n  permissions:\n    required: true\n"
        "    max_user_level: CAN_QUERY\n")
    (tmp_path / "endpoints" / "chat.yaml").write_text(ENDPOINT.format(
        grants="  - {group_name: ml-platform, permission_level: CAN_MANAGE}"))
    assert validate_project(tmp_path, env={}).ok


SYSTEM = """
name: databricks-meta-llama-3-3-70b-instruct
tags: {team: genai}
"""


def test_permissions_on_a_databricks_provided_endpoint_are_an_error_at_the_key(
        tmp_path: Path) -> None:
    path = tmp_path / "system.yaml"
    path.write_text(SYSTEM)
    assert not validate_paths([path], env={}).issues
    path.write_text(SYSTEM + "permissions:\n  - {group_name: g, permission_level: CAN_QUERY}\n")
    (issue,) = validate_paths([path], env={}).issues
    assert (issue.rule, issue.severity) == ("PERMISSION-006", "error")
    assert issue.location is not None
    assert (issue.location.line, issue.location.column) == (4, 1)
    assert "does not own it" in issue.message and "remove permissions" in issue.message
    # An empty list is a list too: still not the project's to manage.
    path.write_text(SYSTEM + "permissions: []\n")
    assert [i.rule for i in validate_paths([path], env={}).issues] == ["PERMISSION-006"]
