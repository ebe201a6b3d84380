"""Queries follow the traffic split, one entity can be queried on its own, and query faults
(``POST /_emulator/fail-queries``) answer in the API's error shape: in-process and through
the official clients (OpenAI, Databricks SDK, MLflow) and plain HTTP against the server."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.emulator_inprocess import InProcessApi
from support.emulator_server import EmulatorServer

BASE = "/api/2.0/serving-endpoints"
SECRET = "{{secrets/s/k}}"
CHAT = {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 5}


def entity(name: str, model: str, task: str = "llm/v1/chat") -> dict[str, Any]:
    return {"name": name, "external_model": {
        "name": model, "provider": "openai", "task": task,
        "openai_config": {"openai_api_key": SECRET}}}


def split_config(a: int, b: int) -> dict[str, Any]:
    return {"served_entities": [entity("a", "gpt-4o-mini"), entity("b", "gpt-4o")],
            "traffic_config": {"routes": [
                {"served_entity_name": "a", "traffic_percentage": a},
                {"served_entity_name": "b", "traffic_percentage": b}]}}


def create(api: InProcessApi | httpx.Client, name: str, config: dict[str, Any]) -> None:
    response = api.post(BASE, json={"name": name, "config": config})
    assert response.status_code == 200, response.text


def answered_by(api: InProcessApi, name: str, count: int) -> Counter[str]:
    served: Counter[str] = Counter()
    for _ in range(count):
        response = api.post(f"/serving-endpoints/{name}/invocations", json=CHAT)
        assert response.status_code == 200, response.text
        served[response.headers["served-model-name"]] += 1
    return served


def test_queries_follow_the_split_and_repeat_with_a_seed() -> None:
    with InProcessApi(seed=7) as api:
        create(api, "split", split_config(70, 30))
        first = answered_by(api, "split", 400)
    with InProcessApi(seed=7) as api:
        create(api, "split", split_config(70, 30))
        again = answered_by(api, "split", 400)
    assert first == again  # seeded: the same run twice gets the same answers
    assert 0.6 < first["a"] / 400 < 0.8 and first["a"] + first["b"] == 400


def test_an_entity_at_zero_percent_answers_only_on_its_own_route(api: InProcessApi) -> None:
    create(api, "canary", split_config(100, 0))
    assert answered_by(api, "canary", 50) == Counter({"a": 50})
    direct = api.post("/serving-endpoints/canary/served-models/b/invocations", json=CHAT)
    assert direct.status_code == 200
    assert direct.headers["served-model-name"] == "b"
    assert direct.json()["model"] == "gpt-4o"


def test_served_models_route_for_unknown_and_pending_entities(api: InProcessApi) -> None:
    create(api, "one", {"served_entities": [entity("a", "gpt-4o-mini")]})
    missing = api.post("/serving-endpoints/one/served-models/zz/invocations", json=CHAT)
    assert missing.status_code == 404
    assert missing.json() == {"error_code": "RESOURCE_DOES_NOT_EXIST", "message":
                              "Served entity 'zz' does not exist in endpoint 'one'."}
    unknown = api.post("/serving-endpoints/nope/served-models/a/invocations", json=CHAT)
    assert unknown.status_code == 404
    with InProcessApi(ready_after=60) as slow:
        create(slow, "one", {"served_entities": [entity("a", "gpt-4o-mini")]})
        pending = slow.post("/serving-endpoints/one/served-models/a/invocations", json=CHAT)
        assert pending.status_code == 400
        assert pending.json()["error_code"] == "INVALID_STATE"


def fail(api: InProcessApi | httpx.Client, **body: Any) -> None:
    response = api.post("/_emulator/fail-queries", json=body)
    assert response.status_code == 200, response.text


def test_a_fault_on_one_entity_fails_only_its_answers(api: InProcessApi) -> None:
    create(api, "split", split_config(50, 50))
    fail(api, name="split", served_entity="b", status=401, rate=1)
    outcomes: Counter[tuple[int, str]] = Counter()
    for _ in range(60):
        response = api.post("/serving-endpoints/split/invocations", json=CHAT)
        outcomes[(response.status_code, response.json().get("error_code", "ok"))] += 1
        if response.status_code == 401:
            assert "'b'" in response.json()["message"]
    assert set(outcomes) == {(200, "ok"), (401, "UNAUTHENTICATED")}
    assert api.post("/serving-endpoints/split/served-models/a/invocations",
                    json=CHAT).status_code == 200
    assert api.post("/serving-endpoints/split/served-models/b/invocations",
                    json=CHAT).status_code == 401
    fail(api, name="split", served_entity="b", status=401, rate=0)  # rate 0 clears
    assert api.post("/serving-endpoints/split/served-models/b/invocations",
                    json=CHAT).status_code == 200


def test_a_fault_on_the_endpoint_with_a_rate_and_a_message(api: InProcessApi) -> None:
    create(api, "flaky", {"served_entities": [entity("a", "gpt-4o-mini")]})
    fail(api, name="flaky", status=500, rate=0.5, message="provider down")
    statuses = Counter(api.post("/serving-endpoints/flaky/invocations", json=CHAT).status_code
                       for _ in range(200))
    assert set(statuses) == {200, 500} and 60 < statuses[500] < 140
    failed = next(r for r in (api.post("/serving-endpoints/flaky/invocations", json=CHAT)
                              for _ in range(50)) if r.status_code == 500)
    assert failed.json() == {"error_code": "INTERNAL_ERROR", "message": "provider down"}
    # The OpenAI-compatible route goes through the same entity and the same fault.
    fail(api, name="flaky", status=429, rate=1)
    routed = api.post("/serving-endpoints/chat/completions", json={"model": "flaky", **CHAT})
    assert routed.status_code == 429 and routed.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"


@pytest.mark.parametrize("body", [
    {"name": "x", "status": 200, "rate": 1}, {"name": "x", "status": 500, "rate": 2},
    {"name": "x", "rate": 1}, {"status": 500, "rate": 1},
])
def test_fail_queries_refuses_bad_bodies(api: InProcessApi, body: dict[str, Any]) -> None:
    response = api.post("/_emulator/fail-queries", json=body)
    assert response.status_code == 400
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_a_fault_survives_in_the_database(tmp_path: Path) -> None:
    db = tmp_path / "emu.db"
    with InProcessApi(db_path=db) as api:
        create(api, "kept", {"served_entities": [entity("a", "gpt-4o-mini")]})
        fail(api, name="kept", status=401, rate=1)
    with InProcessApi(db_path=db) as api:  # the local target opens a new app per command
        assert api.post("/serving-endpoints/kept/invocations", json=CHAT).status_code == 401


# --- the official clients against the server ---------------------------------------------

@pytest.fixture
def served(start_emulator: Any, tmp_path: Path) -> EmulatorServer:
    server: EmulatorServer = start_emulator(seed=3, request_log=tmp_path / "requests.log")
    with httpx.Client(base_url=server.url,
                      headers={"Authorization": f"Bearer {server.token}"}) as http:
        create(http, "chat", split_config(50, 50))
        create(http, "completions", {"served_entities": [
            entity("c", "gpt-3.5-turbo-instruct", "llm/v1/completions")]})
        create(http, "embeddings", {"served_entities": [
            entity("e", "text-embedding-3-small", "llm/v1/embeddings")]})
        fail(http, name="chat", served_entity="b", status=401, rate=1)
    return server


@pytest.mark.e2e  # a served emulator subprocess
def test_openai_client(served: EmulatorServer, tmp_path: Path) -> None:
    import openai

    client = openai.OpenAI(api_key=served.token, base_url=served.url + "/serving-endpoints",
                           max_retries=0)
    completion = client.completions.create(model="completions", prompt="hi", max_tokens=3)
    assert completion.choices[0].text and completion.usage is not None
    vectors = client.embeddings.create(model="embeddings", input=["a", "b"])
    assert len(vectors.data) == 2 and vectors.usage.total_tokens > 0
    answers, failures = 0, 0
    for _ in range(20):
        try:
            chat = client.chat.completions.create(
                model="chat", messages=[{"role": "user", "content": "hi"}], max_tokens=5)
        except openai.AuthenticationError as exc:
            failures += 1
            assert exc.status_code == 401
            assert exc.body is not None and "'b'" in json.dumps(exc.body)
        else:
            answers += 1
            assert chat.choices[0].message.content and chat.model == "gpt-4o-mini"
    assert answers and failures
    log = [json.loads(line) for line in (tmp_path / "requests.log").read_text().splitlines()]
    chat_lines = [r for r in log if r["path"] == "/serving-endpoints/chat/completions"]
    assert {(r["status"], r.get("served_entity")) for r in chat_lines} == {
        (200, "a"), (401, None)}


@pytest.mark.e2e  # a served emulator subprocess
def test_sdk_query_and_served_models_route(served: EmulatorServer) -> None:
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.errors import Unauthenticated
    from databricks.sdk.service import serving

    w = WorkspaceClient(host=served.url, token=served.token)
    message = serving.ChatMessage(role=serving.ChatMessageRole.USER, content="hi")
    with pytest.raises(Unauthenticated, match="'b'"):
        for _ in range(20):
            w.serving_endpoints.query(name="chat", messages=[message], max_tokens=5)
    ok = w.api_client.do("POST", "/serving-endpoints/chat/served-models/a/invocations",
                         body=CHAT)
    assert isinstance(ok, dict) and ok["model"] == "gpt-4o-mini"
    with pytest.raises(Unauthenticated):
        w.api_client.do("POST", "/serving-endpoints/chat/served-models/b/invocations",
                        body=CHAT)
    w.api_client.do("POST", "/_emulator/fail-queries",
                    body={"name": "chat", "served_entity": "b", "status": 401, "rate": 0})
    for _ in range(10):
        assert w.serving_endpoints.query(name="chat", messages=[message]).choices


@pytest.mark.e2e  # a served emulator subprocess
@pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning")
def test_mlflow_predict_sees_the_fault(served: EmulatorServer,
                                       monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import mlflow.deployments
    from requests.exceptions import HTTPError

    monkeypatch.setenv("DATABRICKS_HOST", served.url)
    monkeypatch.setenv("DATABRICKS_TOKEN", served.token)
    monkeypatch.setenv("HOME", str(tmp_path))
    client = mlflow.deployments.get_deploy_client("databricks")
    assert client.predict(endpoint="embeddings", inputs={"input": "x"})["data"]
    with httpx.Client(base_url=served.url,
                      headers={"Authorization": f"Bearer {served.token}"}) as http:
        fail(http, name="completions", status=403, rate=1)
    with pytest.raises(HTTPError, match=r"403 Client Error.*PERMISSION_DENIED"):
        client.predict(endpoint="completions", inputs={"prompt": "x"})


@pytest.mark.e2e  # a served emulator subprocess
def test_plain_http_with_basic_auth(served: EmulatorServer) -> None:
    with httpx.Client(base_url=served.url, auth=("token", served.token)) as http:
        answer = http.post("/serving-endpoints/chat/served-models/b/invocations", json=CHAT)
        assert answer.status_code == 401
        assert answer.json()["error_code"] == "UNAUTHENTICATED"
        assert http.post("/serving-endpoints/embeddings/invocations",
                         json={"input": ["x"]}).json()["data"]
