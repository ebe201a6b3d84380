"""Endpoint permissions and SCIM Me: in-process, and through the official SDK over a socket."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import InvalidParameterValue, NotFound
from databricks.sdk.service import iam, serving
from support.emulator_inprocess import InProcessApi
from support.emulator_server import EmulatorServer

from .test_emulator_api import BASE, create, error

PERMS = "/api/2.0/permissions/serving-endpoints"
SP = "6b1f2c7e-4d3a-4f0e-9a55-1c2d3e4f5a6b"


def direct(acl: dict[str, Any]) -> dict[str, str]:
    """principal -> level of the direct (not inherited) grants of a permissions answer."""
    out: dict[str, str] = {}
    for entry in acl["access_control_list"]:
        name = entry.get("user_name") or entry.get("group_name") or entry["service_principal_name"]
        for grant in entry["all_permissions"]:
            if not grant["inherited"]:
                out[name] = grant["permission_level"]
    return out


def test_creator_manages_and_admins_inherit(api: InProcessApi) -> None:
    endpoint_id = create(api, "p")["id"]
    acl = api.get(f"{PERMS}/{endpoint_id}").json()
    assert acl["object_id"] == f"/serving-endpoints/{endpoint_id}"
    assert acl["object_type"] == "serving-endpoint"
    assert direct(acl) == {"emulator@localhost": "CAN_MANAGE"}
    admins = next(e for e in acl["access_control_list"] if e.get("group_name") == "admins")
    assert admins["all_permissions"] == [{"permission_level": "CAN_MANAGE", "inherited": True,
                                          "inherited_from_object": ["/serving-endpoints/"]}]


def test_put_replaces_patch_merges_and_empty_put_removes_all(api: InProcessApi) -> None:
    path = f"{PERMS}/{create(api, 'p')['id']}"
    patch = [{"group_name": "data-science", "permission_level": "CAN_VIEW"},
             {"service_principal_name": SP, "permission_level": "CAN_QUERY"}]
    acl = api.patch(path, json={"access_control_list": patch}).json()
    assert direct(acl) == {"emulator@localhost": "CAN_MANAGE", "data-science": "CAN_VIEW",
                           SP: "CAN_QUERY"}
    raised = [{"group_name": "data-science", "permission_level": "CAN_QUERY"}]
    assert direct(api.patch(path, json={"access_control_list": raised}).json())[
        "data-science"] == "CAN_QUERY"
    acl = api.put(path, json={"access_control_list": raised}).json()
    assert direct(acl) == {"data-science": "CAN_QUERY"}
    assert direct(api.get(path).json()) == {"data-science": "CAN_QUERY"}
    emptied = api.put(path, json={"access_control_list": []}).json()
    assert direct(emptied) == {}
    # The inherited admins grant is never removed, and a removed creator is not brought back.
    assert [e["group_name"] for e in emptied["access_control_list"]] == ["admins"]
    assert direct(api.get(path).json()) == {}


def test_a_direct_admins_grant_shares_the_inherited_entry(api: InProcessApi) -> None:
    path = f"{PERMS}/{create(api, 'p')['id']}"
    grant = [{"group_name": "admins", "permission_level": "CAN_MANAGE"}]
    acl = api.put(path, json={"access_control_list": grant}).json()
    (admins,) = acl["access_control_list"]
    assert [g["inherited"] for g in admins["all_permissions"]] == [False, True]


@pytest.mark.parametrize(("entry", "needle"), [
    ({"group_name": "g", "permission_level": "CAN_RUN"}, "permission_level"),
    ({"group_name": "g", "user_name": "u@x.com", "permission_level": "CAN_VIEW"},
     "exactly one of"),
    ({"permission_level": "CAN_VIEW"}, "exactly one of"),
    ({"group_name": "g"}, "permission_level"),
    ({"service_principal_name": "my-sp", "permission_level": "CAN_QUERY"}, "application id"),
])
def test_bad_entries_are_invalid_parameter_value(api: InProcessApi, entry: dict[str, Any],
                                                  needle: str) -> None:
    path = f"{PERMS}/{create(api, 'p')['id']}"
    for method in ("PUT", "PATCH"):
        message = error(api.request(method, path, json={"access_control_list": [entry]}), 400,
                        "INVALID_PARAMETER_VALUE")
        assert needle in message
    assert direct(api.get(path).json()) == {"emulator@localhost": "CAN_MANAGE"}


def test_keyed_by_id_and_removed_with_the_endpoint(api: InProcessApi) -> None:
    old_id = create(api, "p")["id"]
    grant = {"access_control_list": [{"group_name": "g", "permission_level": "CAN_QUERY"}]}
    api.patch(f"{PERMS}/{old_id}", json=grant)
    error(api.get(f"{PERMS}/p"), 404, "RESOURCE_DOES_NOT_EXIST")  # a name is not an id
    assert api.delete(f"{BASE}/p").status_code == 200
    for method in ("GET", "PUT", "PATCH"):
        error(api.request(method, f"{PERMS}/{old_id}", json=grant), 404,
              "RESOURCE_DOES_NOT_EXIST")
    error(api.get(f"{PERMS}/{old_id}/permissionLevels"), 404, "RESOURCE_DOES_NOT_EXIST")
    new_id = create(api, "p")["id"]
    assert new_id != old_id
    assert direct(api.get(f"{PERMS}/{new_id}").json()) == {"emulator@localhost": "CAN_MANAGE"}
    rows = api.app.store._reader.execute("SELECT endpoint_id FROM acls").fetchall()
    assert rows == [(new_id,)]


def test_scim_me_is_the_creator() -> None:
    with InProcessApi(creator="robot@corp.example") as api:
        me = api.get("/api/2.0/preview/scim/v2/Me").json()
        assert me["userName"] == "robot@corp.example" and me["active"] is True
        assert me["emails"][0]["value"] == "robot@corp.example"
        assert create(api, "p")["creator"] == "robot@corp.example"
    with InProcessApi(creator=SP) as api:
        assert api.get("/api/2.0/preview/scim/v2/Me").json()["userName"] == SP
        acl = api.get(f"{PERMS}/{create(api, 'p')['id']}").json()
        assert acl["access_control_list"][0]["service_principal_name"] == SP


# --- the official SDK over a socket (one server for the module) -------------------------

@pytest.fixture(scope="module")
def sdk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkspaceClient]:
    folder: Path = tmp_path_factory.mktemp("perms-sdk")
    with EmulatorServer.start(db_path=folder / "e.db", log_path=folder / "server.log",
                              user_name="deployer@corp.example") as server:
        yield WorkspaceClient(host=server.url, token=server.token, auth_type="pat")


def _sdk_endpoint(w: WorkspaceClient, name: str) -> str:
    entity = serving.ServedEntityInput(name="gpt", external_model=serving.ExternalModel(
        name="gpt-4o-mini", provider=serving.ExternalModelProvider.OPENAI, task="llm/v1/chat",
        openai_config=serving.OpenAiConfig(openai_api_key="{{secrets/s/k}}")))
    config = serving.EndpointCoreConfigInput(name="", served_entities=[entity])
    created = w.serving_endpoints.create(name=name, config=config).response
    assert created.id is not None
    return created.id


def _sdk_direct(acl: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for entry in acl.access_control_list:
        name = entry.user_name or entry.group_name or entry.service_principal_name
        for grant in entry.all_permissions:
            if not grant.inherited:
                out[name] = grant.permission_level.value
    return out


@pytest.mark.e2e  # a served emulator subprocess (module-scoped)
def test_sdk_serving_endpoint_permissions(sdk: WorkspaceClient) -> None:
    assert sdk.current_user.me().user_name == "deployer@corp.example"
    endpoint_id = _sdk_endpoint(sdk, "sdk-perms")
    acl = sdk.serving_endpoints.get_permissions(endpoint_id)
    assert acl.object_id == f"/serving-endpoints/{endpoint_id}"
    assert _sdk_direct(acl) == {"deployer@corp.example": "CAN_MANAGE"}
    admins = next(e for e in acl.access_control_list if e.group_name == "admins")
    assert admins.all_permissions[0].inherited_from_object == ["/serving-endpoints/"]

    level = serving.ServingEndpointPermissionLevel
    acr = serving.ServingEndpointAccessControlRequest
    updated = sdk.serving_endpoints.update_permissions(endpoint_id, access_control_list=[
        acr(group_name="data-science", permission_level=level.CAN_VIEW),
        acr(service_principal_name=SP, permission_level=level.CAN_QUERY)])
    assert _sdk_direct(updated) == {"deployer@corp.example": "CAN_MANAGE",
                                    "data-science": "CAN_VIEW", SP: "CAN_QUERY"}
    replaced = sdk.serving_endpoints.set_permissions(endpoint_id, access_control_list=[
        acr(user_name="deployer@corp.example", permission_level=level.CAN_MANAGE),
        acr(group_name="data-science", permission_level=level.CAN_QUERY)])
    assert _sdk_direct(replaced) == {"deployer@corp.example": "CAN_MANAGE",
                                     "data-science": "CAN_QUERY"}
    levels = sdk.serving_endpoints.get_permission_levels(endpoint_id).permission_levels
    assert [lv.permission_level for lv in levels] == [level.CAN_MANAGE, level.CAN_QUERY,
                                                      level.CAN_VIEW]
    with pytest.raises(InvalidParameterValue):
        sdk.serving_endpoints.update_permissions(endpoint_id, access_control_list=[
            acr(user_name="a@corp.example", group_name="g", permission_level=level.CAN_VIEW)])
    with pytest.raises(NotFound):
        sdk.serving_endpoints.get_permissions("sdk-perms")


@pytest.mark.e2e  # a served emulator subprocess (module-scoped, shared with the test above)
def test_sdk_generic_permissions_api(sdk: WorkspaceClient) -> None:
    endpoint_id = _sdk_endpoint(sdk, "sdk-generic")
    kind = "serving-endpoints"
    level = iam.PermissionLevel
    acr = iam.AccessControlRequest
    got = sdk.permissions.get(kind, endpoint_id)
    assert got.object_id == f"/serving-endpoints/{endpoint_id}"
    assert got.object_type == "serving-endpoint"
    sdk.permissions.update(kind, endpoint_id, access_control_list=[
        acr(group_name="readers", permission_level=level.CAN_VIEW)])
    answer = sdk.permissions.set(kind, endpoint_id, access_control_list=[
        acr(group_name="readers", permission_level=level.CAN_QUERY)])
    assert _sdk_direct(answer) == {"readers": "CAN_QUERY"}
    assert _sdk_direct(sdk.permissions.get(kind, endpoint_id)) == {"readers": "CAN_QUERY"}
    levels = sdk.permissions.get_permission_levels(kind, endpoint_id).permission_levels
    assert {lv.permission_level for lv in levels} == {
        level.CAN_MANAGE, level.CAN_QUERY, level.CAN_VIEW}
    with pytest.raises(InvalidParameterValue):
        sdk.permissions.set(kind, endpoint_id, access_control_list=[
            acr(group_name="readers", permission_level=level.CAN_RUN)])
    sdk.serving_endpoints.delete("sdk-generic")
    with pytest.raises(NotFound):
        sdk.permissions.get(kind, endpoint_id)
