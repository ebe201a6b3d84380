"""The control-plane API in-process: shapes, server-side defaults, write-only fields, errors."""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from support.emulator_inprocess import InProcessApi

from .conftest import make_api

BASE = "/api/2.0/serving-endpoints"


def external(name: str = "openai-completions", model: str = "gpt-3.5-turbo-instruct",
             task: str = "llm/v1/completions", **openai: str) -> dict[str, Any]:
    entity: dict[str, Any] = {
        "external_model": {
            "name": model, "provider": "openai", "task": task,
            "openai_config": openai or {"openai_api_key": "{{secrets/scope/openai_api_key}}"},
        }
    }
    if name:
        entity["name"] = name
    return entity


def create(api: InProcessApi, name: str = "ep", **body: Any) -> dict[str, Any]:
    body.setdefault("config", {"served_entities": [external()]})
    response = api.post(BASE, json={"name": name, **body})
    assert response.status_code == 200, response.text
    return dict(response.json())


def error(response: Any, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error_code", "message"}
    assert body["error_code"] == code
    return str(body["message"])


def test_create_answers_not_ready_then_get_is_ready(api: InProcessApi) -> None:
    created = create(api)
    assert created["state"] == {"ready": "NOT_READY", "config_update": "IN_PROGRESS"}
    assert "config" not in created and created["pending_config"]["config_version"] == 1
    assert re.fullmatch(r"[0-9a-f]{32}", created["id"])
    assert created["creation_timestamp"] > 1_600_000_000_000  # milliseconds
    live = api.get(f"{BASE}/ep").json()
    assert live["state"] == {"ready": "READY", "config_update": "NOT_UPDATING"}
    assert live["config"]["config_version"] == 1 and "pending_config" not in live
    assert live["description"] == "" and live["route_optimized"] is False
    assert live["permission_level"] == "CAN_MANAGE" and live["creator"] == "emulator@localhost"
    assert live["task"] == "llm/v1/completions"


def test_server_fills_names_routes_and_workloads(api: InProcessApi) -> None:
    unnamed = external(name="", model="claude-2.1:beta")
    create(api, "a", config={"served_entities": [unnamed]})
    config = api.get(f"{BASE}/a").json()["config"]
    assert config["served_entities"][0]["name"] == "claude-2-1-beta"
    assert config["traffic_config"] == {"routes": [{
        "served_model_name": "claude-2-1-beta", "served_entity_name": "claude-2-1-beta",
        "traffic_percentage": 100}]}
    custom = {"entity_name": "main.default.ads", "entity_version": "3",
              "scale_to_zero_enabled": True}
    ranged = {**custom, "entity_version": "4", "min_provisioned_concurrency": 4,
              "max_provisioned_concurrency": 8}
    routes = [{"served_model_name": "ads-3", "traffic_percentage": 50},
              {"served_entity_name": "ads-4", "traffic_percentage": 50}]
    create(api, "b", config={"served_entities": [ranged, custom],
                             "traffic_config": {"routes": routes}})
    config = api.get(f"{BASE}/b").json()["config"]
    by_name = {e["name"]: e for e in config["served_entities"]}
    assert [e["name"] for e in config["served_entities"]] == ["ads-3", "ads-4"]  # re-ordered
    assert by_name["ads-3"]["workload_type"] == "CPU"
    assert by_name["ads-3"]["workload_size"] == "Small"
    assert "workload_size" not in by_name["ads-4"]  # concurrency range given instead
    assert all(r["served_model_name"] == r["served_entity_name"]
               for r in config["traffic_config"]["routes"])


def test_write_only_fields_are_never_echoed(api: InProcessApi) -> None:
    entity = {"entity_name": "main.default.m", "entity_version": "1",
              "scale_to_zero_enabled": False, "burst_scaling_enabled": True}
    create(api, "w", config={"served_entities": [entity]}, budget_policy_id="bp-1",
           rate_limits=[{"calls": 20, "key": "user", "renewal_period": "minute"}],
           unknown_field={"x": 1})
    live = api.get(f"{BASE}/w").json()
    # The policy in force is shown as effective_budget_policy_id, never the request field.
    assert live.pop("effective_budget_policy_id") == "bp-1"
    text = str(live)
    for field in ("burst_scaling_enabled", "budget_policy_id", "rate_limits", "unknown_field"):
        assert field not in text


def test_plaintext_secret_is_dropped_and_not_stored(tmp_path: Path) -> None:
    db = tmp_path / "local.db"
    with make_api(db_path=db) as api:
        entity = external(openai_api_key_plaintext="sk-very-secret-value")
        created = create(api, "p", config={"served_entities": [entity]})
        assert "sk-very-secret-value" not in str(created)
        config = api.get(f"{BASE}/p").json()["config"]
        assert config["served_entities"][0]["external_model"]["openai_config"] == {}
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert b"sk-very-secret-value" not in raw
    rows = sqlite3.connect(db).execute("SELECT doc FROM endpoints").fetchall()
    assert "openai_api_key_plaintext" in rows[0][0]  # only its digest is kept


def test_list_is_a_summary_and_empty_list_has_no_key(api: InProcessApi) -> None:
    assert api.get(BASE).json() == {}
    create(api, "s", tags=[{"key": "team", "value": "genai"}])
    (item,) = api.get(BASE).json()["endpoints"]
    assert set(item["config"]) == {"served_entities"}
    assert set(item["config"]["served_entities"][0]) == {"name", "external_model"}
    assert item["tags"] == [{"key": "team", "value": "genai"}]
    assert "pending_config" not in item and "permission_level" not in item
    assert api.get(BASE + "/").json() == api.get(BASE).json()  # MLflow adds a slash


def test_config_update_is_pending_then_promoted_with_next_version() -> None:
    with make_api(ready_after=0.3) as api:
        create(api, "u")
        time.sleep(0.35)
        new = {"served_entities": [external(model="gpt-4o-mini")]}
        updated = api.put(f"{BASE}/u/config", json=new).json()
        assert updated["state"] == {"ready": "READY", "config_update": "IN_PROGRESS"}
        assert updated["config"]["config_version"] == 1
        assert updated["pending_config"]["config_version"] == 2
        message = error(api.put(f"{BASE}/u/config", json=new), 409, "RESOURCE_CONFLICT")
        assert "in progress" in message
        # Tags and gateway are not blocked by a config update.
        assert api.patch(f"{BASE}/u/tags", json={"add_tags": [{"key": "k"}]}).status_code == 200
        time.sleep(0.35)
        live = api.get(f"{BASE}/u").json()
        assert live["state"]["config_update"] == "NOT_UPDATING"
        assert live["config"]["config_version"] == 2
        model = live["config"]["served_entities"][0]["external_model"]["name"]
        assert model == "gpt-4o-mini"


def test_fail_next_update_ends_in_update_failed(api: InProcessApi) -> None:
    create(api, "f")
    api.get(f"{BASE}/f")
    assert api.post("/_emulator/fail-next-update", json={"name": "f"}).status_code == 200
    api.put(f"{BASE}/f/config", json={"served_entities": [external(model="gpt-4")]})
    live = api.get(f"{BASE}/f").json()
    assert live["state"] == {"ready": "READY", "config_update": "UPDATE_FAILED"}
    assert live["config"]["config_version"] == 1  # the old config keeps serving
    again = api.put(f"{BASE}/f/config", json={"served_entities": [external(model="gpt-4")]})
    assert again.status_code == 200
    assert api.get(f"{BASE}/f").json()["config"]["config_version"] == 2


def test_duplicate_create_and_missing_endpoint(api: InProcessApi) -> None:
    first_id = create(api, "d")["id"]
    error(api.post(BASE, json={"name": "d"}), 409, "RESOURCE_ALREADY_EXISTS")
    for method, path in [("GET", "/x"), ("DELETE", "/x"), ("PUT", "/x/config"),
                         ("PUT", "/x/ai-gateway"), ("PATCH", "/x/tags"),
                         ("PATCH", "/x/notifications"), ("PUT", "/x/rate-limits")]:
        body = {"served_entities": [external()]} if path.endswith("config") else {}
        response = api.request(method, BASE + path, json=body)
        assert "'x' does not exist" in error(response, 404, "RESOURCE_DOES_NOT_EXIST")
    assert api.delete(f"{BASE}/d").json() == {}
    assert api.get(f"{BASE}/d").status_code == 404
    assert create(api, "d")["id"] != first_id  # the name is free at once; the id is new


def test_unknown_route_and_method_use_the_error_shape(api: InProcessApi) -> None:
    error(api.get("/api/2.0/nothing"), 404, "ENDPOINT_NOT_FOUND")
    message = error(api.patch(BASE), 404, "ENDPOINT_NOT_FOUND")
    assert message == "No API found for 'PATCH /api/2.0/serving-endpoints'"
    error(api.post(BASE, content=b"{not json"), 400, "MALFORMED_REQUEST")


SECRET = "{{secrets/s/k}}"


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({}, "name"),
        ({"name": "has space"}, "alphanumeric"),
        ({"name": "n", "config": {"served_entities": [{"external_model": {
            "name": "m", "provider": "openai", "task": "llm/v1/chat",
            "anthropic_config": {"anthropic_api_key": SECRET}}}]}}, "does not match provider"),
        ({"name": "n", "config": {"served_entities": [{"external_model": {
            "name": "m", "provider": "openai", "task": "llm/v1/chat", "openai_config": {
                "openai_api_key": SECRET, "openai_api_key_plaintext": "sk"}}}]}}, "only one of"),
        ({"name": "n", "config": {"served_entities": [{"external_model": {
            "name": "m", "provider": "anthropic", "task": "llm/v1/chat",
            "anthropic_config": {}}}]}}, "one of anthropic_api_key"),
        ({"name": "n", "config": {"served_entities": [{"external_model": {
            "name": "m", "provider": "openai", "task": "llm/v1/chat", "openai_config": {
                "openai_api_type": "azure", "openai_api_key": SECRET}}}]}}, "openai_api_base"),
        ({"name": "n", "config": {"served_entities": [
            {**external("a"), "workload_size": "Small"}]}}, "workload_size"),
        ({"name": "n", "config": {"served_entities": [external("a"), external("b")],
                                  "traffic_config": {"routes": [
                                      {"served_entity_name": "a", "traffic_percentage": 60},
                                      {"served_entity_name": "b", "traffic_percentage": 30}]}}},
         "add up to 100"),
        ({"name": "n", "config": {"served_entities": [
            external("a"), external("b", task="llm/v1/chat")], "traffic_config": {"routes": [
                {"served_entity_name": "a", "traffic_percentage": 100}]}}}, "same task"),
        ({"name": "n", "config": {"served_entities": [external("a"), {
            "name": "b", "entity_name": "m", "entity_version": "1",
            "scale_to_zero_enabled": True}]}}, "cannot be mixed"),
        ({"name": "n", "config": {"served_entities": [{"entity_name": "m",
                                                       "entity_version": "1"}]}},
         "scaleToZeroEnabled"),
        ({"name": "n", "config": {"served_entities": [{"external_model": {
            "name": "m", "provider": "nope", "task": "llm/v1/chat"}}]}}, "provider"),
        ({"name": "n", "config": {"served_entities": "x"}}, "expected array"),
        ({"name": "n", "tags": [{"key": "a"}, {"key": "a"}]}, "duplicate tag key"),
        ({"name": "n", "ai_gateway": {"rate_limits": [{"calls": 5}]}}, "renewal_period"),
        ({"name": "n", "ai_gateway": {"rate_limits": [
            {"calls": 5, "key": "user_group", "renewal_period": "minute"}]}}, "principal"),
        ({"name": "n", "config": {"served_entities": [external(openai_api_key="plain")]}},
         "secret reference"),
    ],
)
def test_invalid_bodies_are_refused_with_400(api: InProcessApi, body: dict[str, Any],
                                             needle: str) -> None:
    assert needle in error(api.post(BASE, json=body), 400, "INVALID_PARAMETER_VALUE")


def test_kind_of_endpoint_cannot_change(api: InProcessApi) -> None:
    create(api, "k")
    custom = {"served_entities": [{"entity_name": "m", "entity_version": "1",
                                   "scale_to_zero_enabled": True}]}
    message = error(api.put(f"{BASE}/k/config", json=custom), 400, "INVALID_PARAMETER_VALUE")
    assert "cannot drop" in message
    create(api, "c", config=custom)
    message = error(api.put(f"{BASE}/c/config", json={"served_entities": [external()]}),
                    400, "INVALID_PARAMETER_VALUE")
    assert "cannot add" in message


def test_tags_are_incremental(api: InProcessApi) -> None:
    create(api, "t", tags=[{"key": "a", "value": "1"}, {"key": "b", "value": "2"}])
    answer = api.patch(f"{BASE}/t/tags", json={"add_tags": [{"key": "a", "value": "9"},
                                                            {"key": "c", "value": "3"}],
                                               "delete_tags": ["b", "zzz"]}).json()
    assert answer == {"tags": [{"key": "a", "value": "9"}, {"key": "c", "value": "3"}]}
    assert api.get(f"{BASE}/t").json()["tags"] == answer["tags"]
    assert api.patch(f"{BASE}/t/tags", json={"delete_tags": ["a", "c"]}).json() == {}
    assert "tags" not in api.get(f"{BASE}/t").json()


def test_ai_gateway_put_replaces_and_fills_defaults(api: InProcessApi) -> None:
    create(api, "g")
    gateway = {"usage_tracking_config": {"enabled": True},
               "inference_table_config": {"enabled": True, "catalog_name": "c",
                                          "schema_name": "s"},
               "rate_limits": [{"calls": 20, "renewal_period": "minute"}]}
    answer = api.put(f"{BASE}/g/ai-gateway", json=gateway).json()
    assert answer["inference_table_config"]["table_name_prefix"] == "g"
    assert answer["rate_limits"] == [{"calls": 20, "renewal_period": "minute",
                                      "key": "endpoint"}]
    assert api.get(f"{BASE}/g").json()["ai_gateway"] == answer
    moved = {"inference_table_config": {"enabled": True, "catalog_name": "other",
                                        "schema_name": "s"}}
    message = error(api.put(f"{BASE}/g/ai-gateway", json=moved), 400, "INVALID_PARAMETER_VALUE")
    assert "disable them first" in message
    assert api.put(f"{BASE}/g/ai-gateway", json={}).json() == {}
    assert "ai_gateway" not in api.get(f"{BASE}/g").json()


def test_notifications_and_legacy_rate_limits(api: InProcessApi) -> None:
    create(api, "n")
    notes = {"email_notifications": {"on_update_failure": ["ops@example.com"]}}
    answer = api.patch(f"{BASE}/n/notifications", json=notes).json()
    assert answer == {"name": "n", **notes}
    assert api.get(f"{BASE}/n").json()["email_notifications"] == notes["email_notifications"]
    limits = {"rate_limits": [{"key": "user", "renewal_period": "minute", "calls": 20}]}
    assert api.put(f"{BASE}/n/rate-limits", json=limits).json() == limits
    assert "rate_limits" not in api.get(f"{BASE}/n").json()  # legacy limits are write-only


def test_permissions_are_keyed_by_id(api: InProcessApi) -> None:
    endpoint_id = create(api, "perm")["id"]
    path = f"/api/2.0/permissions/serving-endpoints/{endpoint_id}"
    acl = api.get(path).json()
    assert acl["object_id"] == f"/serving-endpoints/{endpoint_id}"
    owner = acl["access_control_list"][0]
    assert owner["user_name"] == "emulator@localhost"
    assert owner["all_permissions"][0]["permission_level"] == "CAN_MANAGE"
    grant = {"access_control_list": [{"group_name": "users", "permission_level": "CAN_QUERY"}]}
    patched = api.patch(path, json=grant).json()["access_control_list"]
    assert {e.get("user_name") or e.get("group_name") for e in patched} == {
        "emulator@localhost", "users", "admins"}
    replaced = api.put(path, json=grant).json()["access_control_list"]
    assert {e.get("user_name") or e.get("group_name") for e in replaced} == {"users", "admins"}
    levels = api.get(path + "/permissionLevels").json()["permission_levels"]
    assert [lv["permission_level"] for lv in levels] == ["CAN_MANAGE", "CAN_QUERY", "CAN_VIEW"]
    error(api.get("/api/2.0/permissions/serving-endpoints/" + "0" * 32), 404,
          "RESOURCE_DOES_NOT_EXIST")
    bad = {"access_control_list": [{"permission_level": "CAN_QUERY"}]}
    error(api.put(path, json=bad), 400, "INVALID_PARAMETER_VALUE")


def test_openapi_document_covers_every_api_route(api: InProcessApi) -> None:
    document = api.get("/_emulator/openapi.json").json()
    assert document["openapi"].startswith("3.0")
    app_routes = {
        (route.path.replace("{endpoint_id}", "{serving_endpoint_id}"), method.lower())
        for route in api.app.routes
        for method in route.methods - {"HEAD"}
        if not route.path.startswith(("/_emulator", "/.well-known")) and not
        route.path.endswith("/")
    }
    documented = {(p, m) for p, ops in document["paths"].items() for m in ops}
    assert app_routes == documented


def test_endpoint_created_without_config_gets_one_later() -> None:
    with make_api(ready_after=0.2) as api:
        created = api.post(BASE, json={"name": "bare"}).json()
        assert created["state"] == {"ready": "NOT_READY", "config_update": "NOT_UPDATING"}
        assert "config" not in created and "pending_config" not in created
        api.put(f"{BASE}/bare/config", json={"served_entities": [external()]})
        assert api.get(f"{BASE}/bare").json()["state"] == {
            "ready": "NOT_READY", "config_update": "IN_PROGRESS"}
        time.sleep(0.25)
        live = api.get(f"{BASE}/bare").json()
        assert live["state"] == {"ready": "READY", "config_update": "NOT_UPDATING"}
        assert live["config"]["config_version"] == 1


def test_failed_create_never_becomes_ready(api: InProcessApi) -> None:
    api.post("/_emulator/fail-next-update", json={"name": "doomed"})
    create(api, "doomed")
    live = api.get(f"{BASE}/doomed").json()
    assert live["state"] == {"ready": "NOT_READY", "config_update": "UPDATE_FAILED"}
    assert "config" not in live and "pending_config" not in live
    create(api, "fine")  # the failure was armed for one endpoint only
    assert api.get(f"{BASE}/fine").json()["state"]["config_update"] == "NOT_UPDATING"


def test_armed_failure_waits_for_an_accepted_update(api: InProcessApi) -> None:
    create(api, "armed")
    api.get(f"{BASE}/armed")
    api.post("/_emulator/fail-next-update", json={"name": "armed"})
    refused = api.put(f"{BASE}/armed/config", json={"served_entities": []})
    assert refused.status_code == 400
    api.put(f"{BASE}/armed/config", json={"served_entities": [external(model="gpt-4")]})
    assert api.get(f"{BASE}/armed").json()["state"]["config_update"] == "UPDATE_FAILED"
