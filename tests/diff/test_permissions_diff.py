"""The permissions facet's pure diff: one change per principal, one write, caller kept."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.diff.permissions import (
    PermissionsShapeError,
    caller_principal,
    diff_permissions,
    live_direct_grants,
    lost_grants,
)
from reconciler.model.permissions import PermissionEntry, Principal

ME = Principal("user_name", "deployer@corp.example")
DS = Principal("group_name", "data-science")
SP = Principal("service_principal_name", "6b1f2c7e-4d3a-4f0e-9a55-1c2d3e4f5a6b")


def entries(*grants: tuple[Principal, str]) -> list[PermissionEntry]:
    return [PermissionEntry.model_validate(p.entry(level)) for p, level in grants]


def lines(result: Any) -> list[tuple[str, str | None, str | None]]:
    return [(c.path, c.old, c.new) for c in result.changes]


def test_adding_and_raising_is_one_patch_of_only_those_grants() -> None:
    live = {ME: "CAN_MANAGE", DS: "CAN_VIEW"}
    result = diff_permissions(entries((DS, "CAN_QUERY"), (SP, "CAN_QUERY")), live, ME)
    assert lines(result) == [
        ("permissions[group:data-science]", "CAN_VIEW", "CAN_QUERY"),
        (f"permissions[service_principal:{SP.name}]", None, "CAN_QUERY"),
    ]
    assert result.write is not None and result.write.method == "PATCH"
    assert result.write.access_control_list == [DS.entry("CAN_QUERY"), SP.entry("CAN_QUERY")]


@pytest.mark.parametrize("desired", [
    [(DS, "CAN_VIEW")],                   # SP removed
    [(DS, "CAN_VIEW"), (SP, "CAN_VIEW")],  # SP lowered
])
def test_removing_or_lowering_is_one_put_of_the_whole_list_with_the_caller(
        desired: list[tuple[Principal, str]]) -> None:
    live = {ME: "CAN_MANAGE", DS: "CAN_VIEW", SP: "CAN_QUERY"}
    result = diff_permissions(entries(*desired), live, ME)
    assert [p for p, _, _ in lines(result)] == [f"permissions[service_principal:{SP.name}]"]
    assert result.write is not None and result.write.method == "PUT"
    assert {tuple(e.items()) for e in result.write.access_control_list} == {
        tuple(p.entry(level).items()) for p, level in [*desired, (ME, "CAN_MANAGE")]}


def test_the_caller_is_kept_unless_named_and_named_decides() -> None:
    live = {ME: "CAN_MANAGE", DS: "CAN_VIEW"}
    assert diff_permissions(entries((DS, "CAN_VIEW")), live, ME).changes == []
    named = diff_permissions(entries((DS, "CAN_VIEW"), (ME, "CAN_QUERY")), live, ME)
    assert lines(named) == [("permissions[user:deployer@corp.example]", "CAN_MANAGE",
                             "CAN_QUERY")]
    assert named.changes[0].origin is not None and "named" in named.changes[0].origin
    assert named.write is not None and named.write.method == "PUT"
    # Removed behind our back: put back, and the line says why it is there.
    readded = diff_permissions(entries((DS, "CAN_VIEW")), {DS: "CAN_VIEW"}, ME)
    assert lines(readded) == [("permissions[user:deployer@corp.example]", None, "CAN_MANAGE")]
    assert readded.changes[0].origin is not None and "keeps" in readded.changes[0].origin


def test_user_names_match_without_case() -> None:
    live = {Principal("user_name", "alice@example.com"): "CAN_QUERY", ME: "CAN_MANAGE"}
    spelled = entries((Principal("user_name", "Alice@Example.com"), "CAN_QUERY"))
    assert diff_permissions(spelled, live, ME).changes == []


def test_a_create_changes_only_what_the_creator_grant_does_not_cover() -> None:
    result = diff_permissions(entries((DS, "CAN_VIEW")), {}, ME, impact="create")
    assert lines(result) == [("permissions[group:data-science]", None, "CAN_VIEW")]
    assert result.write is not None and result.write.method == "PATCH"
    assert diff_permissions(entries(), {}, ME, impact="create").write is None
    lowered = diff_permissions(entries((ME, "CAN_VIEW")), {}, ME, impact="create")
    assert lowered.write is not None and lowered.write.method == "PUT"


def test_live_answer_keeps_direct_grants_and_ignores_inherited() -> None:
    answer = {"access_control_list": [
        {"user_name": "deployer@corp.example", "all_permissions": [
            {"permission_level": "CAN_MANAGE", "inherited": False}]},
        {"group_name": "admins", "all_permissions": [
            {"permission_level": "CAN_MANAGE", "inherited": True,
             "inherited_from_object": ["/serving-endpoints/"]}]},
        {"group_name": "data-science", "all_permissions": [
            {"permission_level": "CAN_VIEW", "inherited": False},
            {"permission_level": "CAN_MANAGE", "inherited": True}]},
    ]}
    assert live_direct_grants(answer) == {ME: "CAN_MANAGE", DS: "CAN_VIEW"}
    assert live_direct_grants({}) == {}
    with pytest.raises(PermissionsShapeError):
        live_direct_grants({"access_control_list": [{"group_name": "g", "all_permissions": [
            {"inherited": False}]}]})


def test_caller_from_scim_me() -> None:
    assert caller_principal({"userName": "deployer@corp.example"}) == ME
    assert caller_principal({"userName": SP.name}) == SP
    assert caller_principal({}) is None


def acl(*grants: tuple[Principal, str], inherited: bool = False) -> dict[str, Any]:
    return {"access_control_list": [
        {p.field: p.name, "all_permissions": [{"permission_level": level,
                                               "inherited": inherited}]}
        for p, level in grants]}


def test_the_read_back_must_have_exactly_the_grants_the_write_left() -> None:
    left = acl((ME, "CAN_MANAGE"), (DS, "CAN_VIEW"))
    body = {"access_control_list": [DS.entry("CAN_VIEW"), ME.entry("CAN_MANAGE")]}
    assert lost_grants(body, left, left) == []
    # Inherited entries (admins) are never ours to verify.
    same = {"access_control_list": [*left["access_control_list"],
                                    *acl((Principal("group_name", "admins"), "CAN_MANAGE"),
                                         inherited=True)["access_control_list"]]}
    assert lost_grants(body, left, same) == []
    mallory = Principal("user_name", "mallory@example.com")
    raced = acl((ME, "CAN_MANAGE"), (DS, "CAN_MANAGE"), (mallory, "CAN_MANAGE"))
    assert lost_grants(body, left, raced) == [
        "permissions[group:data-science] (now CAN_MANAGE; this apply left CAN_VIEW)",
        "permissions[user:mallory@example.com] (granted CAN_MANAGE by someone else)",
    ]
    assert lost_grants(body, left, acl((ME, "CAN_MANAGE"))) == [
        "permissions[group:data-science] (removed; this apply left CAN_VIEW)"]


def test_without_an_acl_in_the_answer_the_grants_sent_must_still_be_live() -> None:
    body = {"access_control_list": [SP.entry("CAN_QUERY")]}
    live = acl((ME, "CAN_MANAGE"), (SP, "CAN_QUERY"), (DS, "CAN_VIEW"))
    assert lost_grants(body, {}, live) == []  # others' grants: a PATCH leaves them
    assert lost_grants(body, {}, acl((SP, "CAN_VIEW"))) == [
        f"permissions[service_principal:{SP.name}] (now CAN_VIEW; this apply left CAN_QUERY)"]
    assert lost_grants(body, {}, None) == ["permissions (not read back)"]
    assert lost_grants(body, {}, {"access_control_list": "x"})[0].startswith(
        "permissions (the read-back is not a permissions answer")
