"""Queries: chat, completions and embeddings answers in the documented shapes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from support.emulator_inprocess import InProcessApi

BASE = "/api/2.0/serving-endpoints"


def endpoint(api: InProcessApi, name: str, task: str, model: str = "gpt-4o-mini") -> None:
    entity = {"name": model.replace(".", "-"), "external_model": {
        "name": model, "provider": "openai", "task": task,
        "openai_config": {"openai_api_key": "{{secrets/s/k}}"}}}
    response = api.post(BASE, json={"name": name, "config": {"served_entities": [entity]}})
    assert response.status_code == 200, response.text


@pytest.fixture
def api(api: InProcessApi) -> InProcessApi:
    endpoint(api, "chat", "llm/v1/chat")
    endpoint(api, "completions", "llm/v1/completions", "gpt-3.5-turbo-instruct")
    endpoint(api, "embeddings", "llm/v1/embeddings", "text-embedding-3-small")
    return api


def query(api: InProcessApi, name: str, payload: dict[str, Any]) -> Any:
    return api.post(f"/serving-endpoints/{name}/invocations", json=payload)


def test_chat_answer(api: InProcessApi) -> None:
    response = query(api, "chat", {"messages": [{"role": "user", "content": "Hello!"}],
                                   "temperature": 0.1, "max_tokens": 20, "n": 2})
    assert response.status_code == 200
    assert response.headers["served-model-name"] == "gpt-4o-mini"
    body = response.json()
    assert body["object"] == "chat.completion" and body["model"] == "gpt-4o-mini"
    assert [c["index"] for c in body["choices"]] == [0, 1]
    assert body["choices"][0]["message"]["role"] == "assistant"
    usage = body["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    again = query(api, "chat", {"messages": [{"role": "user", "content": "Hello!"}],
                                "temperature": 0.1, "max_tokens": 20, "n": 2}).json()
    assert again["choices"] == body["choices"]  # deterministic


def test_completions_and_embeddings_answers(api: InProcessApi) -> None:
    body = query(api, "completions", {"prompt": "What is the capital of France?",
                                      "temperature": 0.1, "max_tokens": 10, "n": 2}).json()
    assert body["object"] == "text_completion" and len(body["choices"]) == 2
    assert all(len(c["text"].split()) <= 10 for c in body["choices"])
    body = query(api, "embeddings", {"input": ["a", "b"]}).json()
    assert body["object"] == "list"
    assert [d["index"] for d in body["data"]] == [0, 1]
    assert body["data"][0]["object"] == "embedding" and len(body["data"][0]["embedding"]) > 0


@pytest.mark.parametrize(
    ("name", "payload"),
    [
        ("chat", {"prompt": "x"}),
        ("chat", {"messages": [{"role": "user", "content": "x"}], "n": 9}),
        ("completions", {"messages": [{"role": "user", "content": "x"}]}),
        ("completions", {}),
        ("embeddings", {"prompt": "x"}),
        ("embeddings", {"input": "x", "max_tokens": 3}),
    ],
)
def test_payload_that_does_not_fit_the_task_is_400(api: InProcessApi, name: str,
                                                   payload: dict[str, Any]) -> None:
    response = query(api, name, payload)
    assert response.status_code == 400, response.text
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_unknown_endpoint_is_404(api: InProcessApi) -> None:
    response = query(api, "missing", {"prompt": "x"})
    assert response.status_code == 404
    assert response.json() == {"error_code": "RESOURCE_DOES_NOT_EXIST",
                               "message": "Endpoint with name 'missing' does not exist."}


def test_openai_compatible_routes_use_model_as_endpoint_name(api: InProcessApi) -> None:
    chat = api.post("/serving-endpoints/chat/completions",
                    json={"model": "chat", "messages": [{"role": "user", "content": "hi"}]})
    assert chat.json()["object"] == "chat.completion"
    completion = api.post("/serving-endpoints/completions",
                          json={"model": "completions", "prompt": "hi"})
    assert completion.json()["object"] == "text_completion"
    embedding = api.post("/serving-endpoints/embeddings",
                         json={"model": "embeddings", "input": "what is databricks"})
    assert embedding.json()["object"] == "list"
    wrong = api.post("/serving-endpoints/embeddings", json={"model": "chat", "input": "x"})
    assert wrong.status_code == 400


def test_stream_is_server_sent_events(api: InProcessApi) -> None:
    response = query(api, "chat", {"messages": [{"role": "user", "content": "hi"}],
                                   "stream": True})
    assert response.headers["content-type"].startswith("text/event-stream")
    lines = [line for line in response.text.splitlines() if line]
    assert lines[-1] == "data: [DONE]"
    chunk = json.loads(lines[0].removeprefix("data: "))
    assert chunk["object"] == "chat.completion.chunk"
    assert chunk["choices"][0]["delta"]["role"] == "assistant"
