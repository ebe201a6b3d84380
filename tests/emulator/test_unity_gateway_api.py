"""The emulator's Unity AI Gateway routes in-process: masks, etags, views, paging, secrets,
validation, grants, routing of queries and the Enforce Unity Gateway knob."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from support.emulator_inprocess import InProcessApi

UC = "/api/2.1/unity-catalog"
PARENT = "schemas/main.genai"
CHAT = "openai/v1/chat/completions"
PROVIDER = "model-provider-services/main.genai.openai_prod"
KEY = "sk-live-very-secret-value"


def provider_body(**config: Any) -> dict[str, Any]:
    base = {"provider_type": "EXTERNAL_MODEL_PROVIDER_TYPE_OPENAI",
            "openai": {"direct": {"api_key": {"plaintext": KEY}}},
            "targets": [{"model": "gpt-4o-mini", "native_api_types": [CHAT]},
                        {"model": "gpt-4o", "native_api_types": [CHAT]}]}
    base.update(config)
    return {"comment": "OpenAI", "config": base}


def dest(name: str, model: str = "gpt-4o-mini", pct: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": name, "destination_type": "DESTINATION_TYPE_EXTERNAL_FOUNDATION_MODEL",
        "external_model_config": {"model_provider_service": PROVIDER,
                                  "target": {"model": model, "native_api_types": [CHAT]}}}
    if pct is not None:
        out["traffic_percentage"] = pct
    return out


def create(api: InProcessApi, collection: str, service_id: str, body: dict[str, Any],
           ) -> Any:
    id_param = collection.replace("-", "_")[:-1] + "_id"
    return api.post(f"{UC}/{collection}", params={"parent": PARENT, id_param: service_id},
                    json=body)


@pytest.fixture
def gw(tmp_path: Path) -> Any:
    with InProcessApi(db_path=tmp_path / "uc.db") as api:
        assert create(api, "model-provider-services", "openai_prod",
                      provider_body()).status_code == 200
        yield api


def service(gw: InProcessApi, service_id: str = "assistant", **config: Any) -> dict[str, Any]:
    body = {"config": {"routing": {"destinations": [dest("primary")]}, **config}}
    answer = create(gw, "model-services", service_id, body)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_plaintext_is_never_stored_or_returned(gw: InProcessApi, tmp_path: Path) -> None:
    got = gw.get(f"{UC}/{PROVIDER}").json()
    assert got["config"]["openai"]["direct"]["api_key"] == {}
    assert KEY not in gw.get(f"{UC}/model-provider-services", params={
        "parent": PARENT, "view": "FULL"}).text
    with sqlite3.connect(tmp_path / "uc.db") as conn:
        dump = "\n".join(conn.iterdump())
    assert KEY not in dump


def test_a_mask_changes_only_its_fields_and_every_write_changes_the_etag(
        gw: InProcessApi) -> None:
    created = service(gw, rate_limits=[{"key": "RATE_LIMIT_KEY_USER_DEFAULT",
                                        "renewal_period": "RATE_LIMIT_RENEWAL_PERIOD_MINUTE",
                                        "requests": 20}])
    name = created["name"]
    answer = gw.patch(f"{UC}/{name}", params={"update_mask": "comment",
                                              "etag": created["etag"]},
                      json={"comment": "hello", "config": {}})
    assert answer.status_code == 200, answer.text
    first = answer.json()
    assert first["comment"] == "hello" and first["config"]["rate_limits"][0]["requests"] == 20
    assert first["etag"] != created["etag"]
    # ``config`` replaces the whole config: the omitted rate limits are cleared.
    second = gw.patch(f"{UC}/{name}", params={"update_mask": "config"}, json={
        "config": {"routing": {"destinations": [dest("primary", "gpt-4o")]}}}).json()
    assert "rate_limits" not in second["config"]
    assert second["config"]["routing"]["destinations"][0]["external_model_config"][
        "target"]["model"] == "gpt-4o"
    assert second["etag"] != first["etag"]
    # The etag travels URL-encoded (base64 has '+', '/' and '='); a stale one is refused.
    stale = gw.request("PATCH", f"{UC}/{name}?update_mask=comment&etag=" +
                       quote(first["etag"], safe=""), json={"comment": "x"})
    assert stale.status_code == 409 and stale.json()["error_code"] == "ABORTED"
    fresh = gw.request("DELETE", f"{UC}/{name}?etag=" + quote(second["etag"], safe=""))
    assert fresh.status_code == 200


@pytest.mark.parametrize("mask", ["", "config.routing", "config.*", "*", "name",
                                  "config.routing.fallback"])
def test_an_invalid_mask_is_400(gw: InProcessApi, mask: str) -> None:
    name = service(gw)["name"]
    answer = gw.patch(f"{UC}/{name}", params={"update_mask": mask} if mask else {},
                      json={"comment": "x"})
    assert answer.status_code == 400
    assert answer.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_a_provider_replacement_without_a_key_keeps_the_stored_one(gw: InProcessApi) -> None:
    answer = gw.patch(f"{UC}/{PROVIDER}", params={"update_mask": "config.provider"},
                      json={"config": {"openai": {"direct": {"base_url": "https://x/v1"}}}})
    assert answer.status_code == 200, answer.text
    direct = answer.json()["config"]["openai"]["direct"]
    assert direct == {"base_url": "https://x/v1", "api_key": {}}
    wrong = gw.patch(f"{UC}/{PROVIDER}", params={"update_mask": "config"}, json={"config": {
        **provider_body()["config"], "provider_type": "EXTERNAL_MODEL_PROVIDER_TYPE_ANTHROPIC",
        "openai": None, "anthropic": {"relayed": {}}}})
    assert wrong.status_code == 400 and "immutable" in wrong.json()["message"]


@pytest.mark.parametrize(("collection", "config", "message"), [
    ("model-provider-services", {"provider_type": "EXTERNAL_MODEL_PROVIDER_TYPE_OPENAI",
                                 "anthropic": {"relayed": {}}}, "does not match"),
    ("model-provider-services", {"provider_type": "EXTERNAL_MODEL_PROVIDER_TYPE_CUSTOM",
                                 "custom": {"direct": {"base_url": "https://llm"}}},
     "targets is required"),
    ("model-services", {"routing": {"destinations": [dest("a", pct=60), dest("b", pct=30)]}},
     "sum to 100"),
    ("model-services", {"routing": {"destinations": [dest(f"d{i}") for i in range(11)]}},
     "at most 10"),
    ("model-services", {"routing": {"destinations": [dest("a")], "fallback": {
        "destinations": [dest(f"f{i}") for i in range(6)]}}}, "at most 5"),
    ("model-services", {"routing": {"destinations": [{**dest("a"), "destination_type":
                                                      "DESTINATION_TYPE_PAY_PER_TOKEN_FOUNDATION_MODEL"}]}},
     "needs exactly pay_per_token_config"),
    ("model-services", {"routing": {"destinations": [dest("a", "o1-pro")]}},
     "not among the targets"),
    ("model-services", {"routing": {"destinations": [{**dest("a"), "external_model_config": {
        "model_provider_service": "model-provider-services/main.genai.nope",
        "target": {"model": "m"}}}]}}, "does not exist"),
])
def test_server_side_rules(gw: InProcessApi, collection: str, config: dict[str, Any],
                           message: str) -> None:
    answer = create(gw, collection, "bad", {"config": config})
    assert answer.status_code == 400
    assert message in answer.json()["message"]


def test_names_views_and_paging(gw: InProcessApi) -> None:
    assert create(gw, "model-services", "x" * 256, {}).status_code == 400
    assert create(gw, "model-services", "named", {"name": "model-services/a.b.c"}
                  ).status_code == 400
    assert gw.get(f"{UC}/model-services").status_code == 400  # parent is required
    for i in range(5):
        service(gw, f"s{i}", inference_table={"parent": "schemas/main.logs"})
    full = gw.get(f"{UC}/model-services/main.genai.s0").json()
    assert full["config"]["inference_table"]["table"] == "tables/main.logs.s0_payload"
    seen: list[str] = []
    token: str | None = None
    while True:
        params = {"parent": PARENT, "page_size": "2", **({"page_token": token} if token else {})}
        page = gw.get(f"{UC}/model-services", params=params).json()
        for item in page.get("model_services", []):
            assert "inference_table" not in item.get("config", {})  # BASIC
            seen.append(item["name"])
        token = page.get("next_page_token")
        if not token:
            break
    assert seen == [f"model-services/main.genai.s{i}" for i in range(5)]
    assert gw.get(f"{UC}/model-services", params={"parent": PARENT, "view": "ALL"}
                  ).status_code == 400
    # Names are one namespace per schema across kinds.
    assert create(gw, "model-services", "openai_prod", {"config": {
        "routing": {"destinations": [dest("a")]}}}).status_code == 409


def test_grants_add_and_remove(gw: InProcessApi) -> None:
    service(gw)
    url = f"{UC}/permissions/MODEL_SERVICE/main.genai.assistant"
    gw.patch(url, json={"changes": [{"principal": "team", "add": ["EXECUTE", "MANAGE"]}]})
    answer = gw.patch(url, json={"changes": [{"principal": "team", "remove": ["MANAGE"]}]})
    assert answer.json() == {"privilege_assignments": [{"principal": "team",
                                                        "privileges": ["EXECUTE"]}]}
    assert gw.patch(url, json={"changes": [{"principal": "t", "add": ["SELECT"]}]}
                    ).status_code == 400
    assert gw.get(f"{UC}/permissions/MODEL_SERVICE/main.genai.nope").status_code == 404


def test_queries_follow_traffic_and_fall_back_in_order(gw: InProcessApi) -> None:
    service(gw, routing={"destinations": [dest("mini", pct=70), dest("big", "gpt-4o", 30)],
                         "fallback": {"destinations": [dest("backup", "gpt-4o")]}})
    served = []
    for i in range(60):
        answer = gw.post("/ai-gateway/mlflow/v1/chat/completions", json={
            "model": "main.genai.assistant", "messages": [{"role": "user", "content": str(i)}]})
        assert answer.status_code == 200, answer.text
        served.append(answer.headers["served-model-name"])
    assert set(served) == {"mini", "big"}
    assert 30 <= served.count("mini") <= 55  # 70 % of 60, give or take the draw
    gw.post("/_emulator/unity-gateway", json={
        "failing_destinations": ["main.genai.assistant/mini", "main.genai.assistant/big"]})
    answer = gw.post("/ai-gateway/mlflow/v1/chat/completions", json={
        "model": "main.genai.assistant", "messages": [{"role": "user", "content": "hi"}]})
    assert answer.headers["served-model-name"] == "backup"
    embed = gw.post("/ai-gateway/mlflow/v1/embeddings", json={
        "model": "main.genai.assistant", "input": "hi"})
    assert embed.status_code == 400  # no destination speaks embeddings


def test_deleted_provider_shows_as_dangling_destination(gw: InProcessApi) -> None:
    name = service(gw)["name"]
    assert gw.delete(f"{UC}/{PROVIDER}").status_code == 200
    got = gw.get(f"{UC}/{name}").json()
    assert got["config"]["routing"]["destinations"][0]["is_deleted"] is True
    answer = gw.post("/ai-gateway/mlflow/v1/chat/completions", json={
        "model": "main.genai.assistant", "messages": [{"role": "user", "content": "hi"}]})
    assert answer.status_code == 503


def test_enforce_unity_gateway_refuses_legacy_external_models(gw: InProcessApi) -> None:
    endpoint = {"name": "legacy-chat", "config": {"served_entities": [{
        "name": "gpt", "external_model": {
            "name": "gpt-4o-mini", "provider": "openai", "task": "llm/v1/chat",
            "openai_config": {"openai_api_key": "{{secrets/scope/key}}"}}}]}}
    assert gw.post("/api/2.0/serving-endpoints", json=endpoint).status_code == 200
    gw.post("/_emulator/unity-gateway", json={"enforce_unity_gateway": True})
    refused = gw.post("/api/2.0/serving-endpoints", json={**endpoint, "name": "other"})
    assert refused.status_code == 400 and refused.json()["error_code"] == "FEATURE_DISABLED"
    query = gw.post("/serving-endpoints/legacy-chat/invocations",
                    json={"messages": [{"role": "user", "content": "hi"}]})
    assert query.status_code == 501
    assert gw.get("/_emulator/unity-gateway").json()["enforce_unity_gateway"] is True
