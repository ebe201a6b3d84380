"""The official clients against ``reconciler emulator serve``, configured only by
DATABRICKS_HOST and DATABRICKS_TOKEN: the Databricks SDK and MLflow's deployments client,
including every example of the seed documents."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import NotFound, OperationFailed, ResourceConflict
from databricks.sdk.errors.platform import ResourceAlreadyExists
from databricks.sdk.service import serving
from support.emulator_server import EmulatorServer

# official clients against `reconciler emulator serve` (a subprocess) on loopback
pytestmark = pytest.mark.e2e

SECRET = "{{secrets/my_openai_secret_scope/openai_api_key}}"
LEGACY_STYLE = pytest.mark.filterwarnings(
    # The seeds use MLflow's older call styles, which MLflow now flags as deprecated.
    "ignore::UserWarning", "ignore::FutureWarning",
)


def openai_entity(name: str, model: str, task: str) -> serving.ServedEntityInput:
    return serving.ServedEntityInput(name=name, external_model=serving.ExternalModel(
        name=model, provider=serving.ExternalModelProvider.OPENAI, task=task,
        openai_config=serving.OpenAiConfig(openai_api_key=SECRET)))


def sdk_config(*entities: serving.ServedEntityInput) -> serving.EndpointCoreConfigInput:
    return serving.EndpointCoreConfigInput(name="", served_entities=list(entities))


def test_sdk_endpoint_lifecycle(sdk_env: EmulatorServer) -> None:
    w = WorkspaceClient()
    waiter = w.serving_endpoints.create(
        name="sdk-chat", config=sdk_config(openai_entity("gpt", "gpt-4o-mini", "llm/v1/chat")),
        tags=[serving.EndpointTag(key="team", value="genai")])
    assert waiter.response.state.config_update == serving.EndpointStateConfigUpdate.IN_PROGRESS
    ready = waiter.result()
    assert ready.state.ready == serving.EndpointStateReady.READY
    w.serving_endpoints.create_and_wait(
        name="sdk-embed",
        config=sdk_config(openai_entity("", "text-embedding-3-small", "llm/v1/embeddings")))
    got = w.serving_endpoints.get("sdk-chat")
    assert got.config.served_entities[0].external_model.openai_config.openai_api_key == SECRET
    assert got.config.traffic_config.routes[0].served_entity_name == "gpt"
    assert sorted(e.name for e in w.serving_endpoints.list()) == ["sdk-chat", "sdk-embed"]

    updated = w.serving_endpoints.update_config_and_wait(
        name="sdk-chat", served_entities=[openai_entity("gpt", "gpt-4o", "llm/v1/chat")])
    assert updated.config.config_version == 2
    assert updated.config.served_entities[0].external_model.name == "gpt-4o"

    gateway = w.serving_endpoints.put_ai_gateway(
        name="sdk-chat", rate_limits=[serving.AiGatewayRateLimit(
            calls=20, key=serving.AiGatewayRateLimitKey.USER,
            renewal_period=serving.AiGatewayRateLimitRenewalPeriod.MINUTE)],
        usage_tracking_config=serving.AiGatewayUsageTrackingConfig(enabled=True))
    assert gateway.rate_limits[0].calls == 20
    tags = w.serving_endpoints.patch(name="sdk-chat", add_tags=[
        serving.EndpointTag(key="env", value="dev")], delete_tags=["team"])
    assert [(t.key, t.value) for t in tags.tags] == [("env", "dev")]

    w.serving_endpoints.delete("sdk-chat")
    with pytest.raises(NotFound):
        w.serving_endpoints.get("sdk-chat")
    with pytest.raises(ResourceAlreadyExists):
        w.serving_endpoints.create(name="sdk-embed")


def test_sdk_sees_conflicts_and_failed_updates(
    start_emulator: Callable[..., EmulatorServer], monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = start_emulator(ready_after=60)
    w = WorkspaceClient(host=server.url, token=server.token)
    w.serving_endpoints.create(name="slow", config=sdk_config(
        openai_entity("gpt", "gpt-4o-mini", "llm/v1/chat")))
    with pytest.raises(ResourceConflict):  # the create is still in progress
        w.serving_endpoints.update_config(
            name="slow", served_entities=[openai_entity("gpt", "gpt-4o", "llm/v1/chat")])

    fast = start_emulator(ready_after=0)
    w = WorkspaceClient(host=fast.url, token=fast.token)
    w.serving_endpoints.create_and_wait(name="f", config=sdk_config(
        openai_entity("gpt", "gpt-4o-mini", "llm/v1/chat")))
    w.api_client.do("POST", "/_emulator/fail-next-update", body={"name": "f"})
    with pytest.raises(OperationFailed, match="UPDATE_FAILED"):
        w.serving_endpoints.update_config_and_wait(
            name="f", served_entities=[openai_entity("gpt", "gpt-4o", "llm/v1/chat")])


def test_sdk_queries_from_the_seed(sdk_env: EmulatorServer) -> None:
    w = WorkspaceClient()
    bedrock = serving.ServedEntityInput(name="claude", external_model=serving.ExternalModel(
        name="claude-3-sonnet", provider=serving.ExternalModelProvider.AMAZON_BEDROCK,
        task="llm/v1/chat", amazon_bedrock_config=serving.AmazonBedrockConfig(
            aws_region="us-east-1", bedrock_provider=serving.AmazonBedrockConfigBedrockProvider(
                "anthropic"),
            aws_access_key_id="{{secrets/aws/id}}", aws_secret_access_key="{{secrets/aws/key}}")))
    w.serving_endpoints.create_and_wait(name="bedrock-chat-completions-endpoint",
                                        config=sdk_config(bedrock))
    response = w.serving_endpoints.query(
        name="bedrock-chat-completions-endpoint",
        messages=[
            serving.ChatMessage(role=serving.ChatMessageRole.SYSTEM,
                                content="You are a helpful assistant."),
            serving.ChatMessage(role=serving.ChatMessageRole.USER,
                                content="What is a mixture of experts model?"),
        ],
        max_tokens=128,
    )
    assert response.choices[0].message.content
    assert response.served_model_name == "claude"

    cohere = serving.ServedEntityInput(external_model=serving.ExternalModel(
        name="embed-english-v3.0", provider=serving.ExternalModelProvider.COHERE,
        task="llm/v1/embeddings",
        cohere_config=serving.CohereConfig(cohere_api_key="{{secrets/c/k}}")))
    w.serving_endpoints.create_and_wait(name="cohere-embeddings-endpoint",
                                        config=sdk_config(cohere))
    embedded = w.serving_endpoints.query(name="cohere-embeddings-endpoint",
                                         input="Embed this sentence!")
    assert embedded.data[0].embedding

    w.serving_endpoints.create_and_wait(name="openai-completions-endpoint", config=sdk_config(
        openai_entity("openai-completions", "gpt-3.5-turbo-instruct", "llm/v1/completions")))
    completion = w.serving_endpoints.query(
        name="openai-completions-endpoint",
        prompt="Write 3 reasons why you should train an AI model on domain specific data sets.")
    assert completion.choices[0].text


OPENAI_COMPLETIONS = {
    "served_entities": [{
        "name": "openai-completions",
        "external_model": {
            "name": "gpt-3.5-turbo-instruct", "provider": "openai", "task": "llm/v1/completions",
            "openai_config": {"openai_api_key": SECRET},
        },
    }]
}


@LEGACY_STYLE
def test_mlflow_seed_walkthrough(sdk_env: EmulatorServer) -> None:
    import mlflow.deployments

    client = mlflow.deployments.get_deploy_client("databricks")
    client.create_endpoint(name="openai-completions-endpoint", config=OPENAI_COMPLETIONS)
    limits = client.update_endpoint(
        endpoint="openai-completions-endpoint",
        config={"rate_limits": [{"key": "user", "renewal_period": "minute", "calls": 20}]})
    assert limits == {"rate_limits": [{"key": "user", "renewal_period": "minute", "calls": 20}]}
    completions = client.predict(
        endpoint="openai-completions-endpoint",
        inputs={"prompt": "What is the capital of France?", "temperature": 0.1,
                "max_tokens": 10, "n": 2})
    assert completions["object"] == "text_completion" and len(completions["choices"]) == 2

    client.create_endpoint(
        name="anthropic-completions-endpoint",
        config={"served_entities": [{"name": "claude-completions", "external_model": {
            "name": "claude-2", "provider": "anthropic", "task": "llm/v1/completions",
            "anthropic_config": {
                "anthropic_api_key": "{{secrets/my_anthropic_secret_scope/anthropic_api_key}}"},
        }}]})
    question = {"prompt": "How is Pi calculated? Be very concise."}
    openai_answer = client.predict(endpoint="openai-completions-endpoint", inputs=question)
    anthropic_answer = client.predict(endpoint="anthropic-completions-endpoint", inputs=question)
    assert set(openai_answer["choices"][0]) == set(anthropic_answer["choices"][0])
    assert anthropic_answer["model"] == "claude-2"

    names = {e["name"] for e in client.list_endpoints()}
    assert names == {"openai-completions-endpoint", "anthropic-completions-endpoint"}
    endpoint = client.get_endpoint(endpoint="openai-completions-endpoint")
    assert endpoint["state"] == {"ready": "READY", "config_update": "NOT_UPDATING"}
    assert "rate_limits" not in endpoint  # legacy limits are write-only
    client.delete_endpoint(endpoint="openai-completions-endpoint")
    client.delete_endpoint(endpoint="anthropic-completions-endpoint")
    assert "endpoints" not in client._call_endpoint(method="GET")


@LEGACY_STYLE
def test_mlflow_seed_plaintext_and_azure_variants(sdk_env: EmulatorServer) -> None:
    import mlflow.deployments

    client = mlflow.deployments.get_deploy_client("databricks")
    plaintext = {"served_entities": [{
        "name": "openai-completions",
        "external_model": {"name": "gpt-3.5-turbo-instruct", "provider": "openai",
                           "task": "llm/v1/completions",
                           "openai_config": {"openai_api_key_plaintext": "sk-yourApiKey"}},
    }]}
    created = client.create_endpoint(name="openai-completions-endpoint", config=plaintext)
    assert "sk-yourApiKey" not in str(created)
    assert "sk-yourApiKey" not in str(client.get_endpoint(endpoint="openai-completions-endpoint"))
    client.delete_endpoint(endpoint="openai-completions-endpoint")

    azure = {"served_entities": [{
        "name": "openai-completions",
        "external_model": {
            "name": "gpt-3.5-turbo-instruct", "provider": "openai", "task": "llm/v1/completions",
            "openai_config": {
                "openai_api_type": "azure", "openai_api_key": SECRET,
                "openai_api_base": "https://my-azure-openai-endpoint.openai.azure.com",
                "openai_deployment_name": "my-gpt-35-turbo-deployment",
                "openai_api_version": "2023-05-15",
            },
        },
    }]}
    client.create_endpoint(name="openai-completions-endpoint", config=azure)
    live = client.get_endpoint(endpoint="openai-completions-endpoint")
    config = live["config"]["served_entities"][0]["external_model"]["openai_config"]
    assert config["openai_deployment_name"] == "my-gpt-35-turbo-deployment"

    chat = {"name": "bedrock-chat-completions-endpoint", "config": {"served_entities": [{
        "external_model": {"name": "claude-3", "provider": "amazon-bedrock", "task": "llm/v1/chat",
                           "amazon_bedrock_config": {"aws_region": "us-east-1",
                                                     "bedrock_provider": "Anthropic",
                                                     "instance_profile_arn": "arn:aws:iam::1:x"}},
    }]}}
    client.create_endpoint(config=chat)  # the newer style: the whole request body
    answer = client.predict(endpoint="bedrock-chat-completions-endpoint", inputs={
        "messages": [{"role": "user", "content": "Hello!"},
                     {"role": "assistant", "content": "Hello! How can I assist you today?"},
                     {"role": "user", "content": "What is a mixture of experts model??"}],
        "temperature": 0.1, "max_tokens": 20})
    assert answer["object"] == "chat.completion"
    chunks = list(client.predict_stream(endpoint="bedrock-chat-completions-endpoint", inputs={
        "messages": [{"role": "user", "content": "Hello!"}], "n": 2}))
    assert [c["object"] for c in chunks] == ["chat.completion.chunk"] * 2
    stored = client.get_endpoint(endpoint="bedrock-chat-completions-endpoint")
    bedrock = stored["config"]["served_entities"][0]["external_model"]["amazon_bedrock_config"]
    assert bedrock["bedrock_provider"] == "anthropic"  # normalised to lower case


def test_sdk_retries_through_injected_faults(
    start_emulator: Callable[..., EmulatorServer], tmp_path: Path,
) -> None:
    log = tmp_path / "requests.jsonl"
    server = start_emulator(fault_rate=0.3, seed=5, retry_after=0, request_log=log)
    w = WorkspaceClient(host=server.url, token=server.token)
    w.serving_endpoints.create_and_wait(name="flaky", config=sdk_config(
        openai_entity("gpt", "gpt-4o-mini", "llm/v1/chat")))
    for _ in range(4):
        assert w.serving_endpoints.get("flaky").name == "flaky"
    assert [e.name for e in w.serving_endpoints.list()] == ["flaky"]
    faults = [json.loads(line).get("fault") for line in log.read_text().splitlines()]
    assert {"429", "503"} & set(faults)  # the SDK did meet faults, and retried them


def test_sdk_provisioned_throughput_and_telemetry_routes(sdk_env: EmulatorServer) -> None:
    """The SDK's own PT and telemetry methods (issue 12 items 2 and 8) against the emulator."""
    w = WorkspaceClient()
    created = w.serving_endpoints.create_provisioned_throughput_endpoint_and_wait(
        name="sdk-pt", config=serving.PtEndpointCoreConfig(served_entities=[
            serving.PtServedModel(entity_name="system.ai.llama-4-maverick", entity_version="1",
                                  provisioned_model_units=100, name="maverick")]))
    assert created.config.served_entities[0].provisioned_model_units == 100
    updated = w.serving_endpoints.update_provisioned_throughput_endpoint_config_and_wait(
        name="sdk-pt", config=serving.PtEndpointCoreConfig(served_entities=[
            serving.PtServedModel(entity_name="system.ai.llama-4-maverick", entity_version="1",
                                  provisioned_model_units=200, name="maverick")]))
    assert updated.config.served_entities[0].provisioned_model_units == 200
    assert updated.config.config_version == 2
    telemetry = w.serving_endpoints.patch_telemetry_config(
        name="sdk-pt", telemetry_config=serving.TelemetryConfig(
            telemetry_profile_id="tp-1",
            enabled_telemetry_features=[serving.TelemetryFeature.TELEMETRY_FEATURE_TRACES]))
    assert telemetry.telemetry_config.telemetry_profile_id == "tp-1"
    removed = w.serving_endpoints.patch_telemetry_config(name="sdk-pt")
    assert removed.telemetry_config is None
