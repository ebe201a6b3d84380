"""The official clients against the emulator's Unity AI Gateway routes: databricks-sdk
0.162's ``w.ai_gateway`` (create, get, list, update, delete of both kinds, etags, grants)
and the openai client on ``/ai-gateway/mlflow/v1``."""

from __future__ import annotations

import httpx
import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.common.types.fieldmask import FieldMask
from databricks.sdk.errors import Aborted, InvalidParameterValue, NotFound
from databricks.sdk.errors.platform import ResourceAlreadyExists
from databricks.sdk.service import catalog as uc
from openai import OpenAI
from support.emulator_server import EmulatorServer

# official clients against `reconciler emulator serve` (a subprocess) on loopback
pytestmark = pytest.mark.e2e

PARENT = "schemas/main.genai"
CHAT = "openai/v1/chat/completions"


def provider_service(key: str = "sk-test-plaintext") -> uc.ModelProviderService:
    return uc.ModelProviderService(
        comment="OpenAI for the assistant",
        config=uc.ModelProviderServiceConfig(
            provider_type=uc.ModelProviderServiceConfigExternalModelProviderType
            .EXTERNAL_MODEL_PROVIDER_TYPE_OPENAI,
            openai=uc.ModelProviderServiceConfigOpenAiProviderConfig(
                direct=uc.ModelProviderServiceConfigOpenAiProviderDirectConfig(
                    api_key=uc.ModelProviderServiceConfigProviderSecret(plaintext=key))),
            targets=[uc.ModelProviderServiceConfigModelTargetConfig(
                model="gpt-4o-mini", native_api_types=[CHAT])]))


def destination(name: str, percentage: int | None = None) -> uc.ModelServiceConfigDestinationConfig:
    return uc.ModelServiceConfigDestinationConfig(
        name=name, traffic_percentage=percentage,
        destination_type=uc.ModelServiceConfigDestinationConfigDestinationType
        .DESTINATION_TYPE_EXTERNAL_FOUNDATION_MODEL,
        external_model_config=uc.ModelServiceConfigExternalModelConfig(
            model_provider_service="model-provider-services/main.genai.openai_prod",
            target=uc.ModelProviderServiceConfigModelTargetConfig(
                model="gpt-4o-mini", native_api_types=[CHAT])))


def rate_limit(requests: int) -> uc.RateLimit:
    return uc.RateLimit(key=uc.RateLimitRateLimitKey.RATE_LIMIT_KEY_USER_DEFAULT,
                        renewal_period=uc.RateLimitRateLimitRenewalPeriod
                        .RATE_LIMIT_RENEWAL_PERIOD_MINUTE, requests=requests)


def model_service() -> uc.ModelService:
    return uc.ModelService(config=uc.ModelServiceConfig(
        routing=uc.ModelServiceConfigRoutingConfig(destinations=[destination("primary")]),
        rate_limits=[rate_limit(20)]))


def test_sdk_ai_gateway_lifecycle(sdk_env: EmulatorServer) -> None:
    w = WorkspaceClient()
    created = w.ai_gateway.create_model_provider_service(
        provider_service(), parent=PARENT, model_provider_service_id="openai_prod")
    assert created.name == "model-provider-services/main.genai.openai_prod"
    assert created.create_time.ToJsonString().endswith("Z")  # parsed as RFC 3339
    # The plaintext is input-only: the secret object stays, its value never comes back.
    assert created.config.openai.direct.api_key.plaintext is None
    assert created.config.openai.direct.api_key.as_dict() == {}
    fetched = w.ai_gateway.get_model_provider_service(created.name)
    assert (fetched.etag, fetched.config.targets[0].model) == (created.etag, "gpt-4o-mini")
    assert fetched.config.openai.direct.api_key.as_dict() == {}
    with pytest.raises(ResourceAlreadyExists):
        w.ai_gateway.create_model_provider_service(
            provider_service(), parent=PARENT, model_provider_service_id="openai_prod")

    service = w.ai_gateway.create_model_service(model_service(), parent=PARENT,
                                                model_service_id="assistant")
    assert service.name == "model-services/main.genai.assistant"
    assert CHAT in (service.supported_api_types or [])
    got = w.ai_gateway.get_model_service(service.name)
    assert got.etag == service.etag
    assert got.config.rate_limits[0].requests == 20

    full = list(w.ai_gateway.list_model_services(parent=PARENT,
                                                 view=uc.ListModelServicesRequestView.FULL))
    assert [s.name for s in full] == [service.name]
    assert full[0].config.routing.destinations[0].name == "primary"
    basic = list(w.ai_gateway.list_model_services(parent=PARENT))
    assert basic[0].config.routing is None  # BASIC omits destinations
    providers = list(w.ai_gateway.list_model_provider_services(parent=PARENT))
    assert [p.name for p in providers] == [created.name]

    changed = uc.ModelService(config=uc.ModelServiceConfig(rate_limits=[rate_limit(50)]))
    updated = w.ai_gateway.update_model_service(
        service.name, changed, FieldMask(["config.rate_limits"]), etag=got.etag)
    assert updated.config.rate_limits[0].requests == 50
    assert updated.config.routing.destinations[0].name == "primary"  # not in the mask
    assert updated.etag != got.etag
    with pytest.raises(Aborted):  # the etag of the earlier read is stale now
        w.ai_gateway.update_model_service(service.name, changed,
                                          FieldMask(["config.rate_limits"]), etag=got.etag)
    with pytest.raises(InvalidParameterValue):
        w.ai_gateway.update_model_service(service.name, changed, FieldMask(["config.routing"]))

    comment = w.ai_gateway.update_model_provider_service(
        created.name, uc.ModelProviderService(comment="rotated"), FieldMask(["comment"]))
    assert comment.comment == "rotated"
    assert comment.config.openai.direct.api_key.as_dict() == {}

    w.grants.update(securable_type="MODEL_SERVICE", full_name="main.genai.assistant",
                    changes=[uc.PermissionsChange(principal="data-scientists",
                                                  add=[uc.Privilege.EXECUTE])])
    grants = w.grants.get(securable_type="MODEL_SERVICE", full_name="main.genai.assistant")
    assert [(g.principal, g.privileges) for g in grants.privilege_assignments] == [
        ("data-scientists", [uc.Privilege.EXECUTE])]

    mcp = w.ai_gateway.create_mcp_service(uc.McpService(config=uc.McpServiceConfig(
        source_connection=uc.McpServiceConfigSourceConnection(name="connections/main.genai.gh"),
        include_tool_selectors=["search_*"])), parent=PARENT, mcp_service_id="github")
    assert w.ai_gateway.get_mcp_service(mcp.name).config.include_tool_selectors == ["search_*"]
    assert [m.name for m in w.ai_gateway.list_mcp_services(parent=PARENT)] == [mcp.name]
    w.ai_gateway.delete_mcp_service(mcp.name, etag=mcp.etag)

    with pytest.raises(Aborted):
        w.ai_gateway.delete_model_service(service.name, etag=got.etag)
    w.ai_gateway.delete_model_service(service.name, etag=updated.etag)
    w.ai_gateway.delete_model_provider_service(created.name)
    with pytest.raises(NotFound):
        w.ai_gateway.get_model_service(service.name)
    assert list(w.ai_gateway.list_model_provider_services(parent=PARENT)) == []


def test_sdk_keeps_paging_through_an_empty_page(sdk_env: EmulatorServer) -> None:
    w = WorkspaceClient()
    w.ai_gateway.create_model_provider_service(provider_service(), parent=PARENT,
                                               model_provider_service_id="openai_prod")
    for i in range(3):
        w.ai_gateway.create_model_service(model_service(), parent=PARENT,
                                          model_service_id=f"svc_{i}")
    httpx.post(sdk_env.url + "/_emulator/unity-gateway",
               headers={"Authorization": f"Bearer {sdk_env.token}"},
               json={"empty_first_list_page": True}).raise_for_status()
    names = [s.name for s in w.ai_gateway.list_model_services(parent=PARENT, page_size=2)]
    assert names == [f"model-services/main.genai.svc_{i}" for i in range(3)]


def test_openai_client_queries_a_model_service(sdk_env: EmulatorServer) -> None:
    w = WorkspaceClient()
    w.ai_gateway.create_model_provider_service(provider_service(), parent=PARENT,
                                               model_provider_service_id="openai_prod")
    w.ai_gateway.create_model_service(model_service(), parent=PARENT,
                                      model_service_id="assistant")
    client = OpenAI(api_key=sdk_env.token, base_url=sdk_env.url + "/ai-gateway/mlflow/v1")
    answer = client.chat.completions.create(
        model="main.genai.assistant", messages=[{"role": "user", "content": "Hello"}])
    assert answer.model == "gpt-4o-mini"
    assert "Hello" in (answer.choices[0].message.content or "")
