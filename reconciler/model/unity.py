"""Manifest models of the Unity AI Gateway securables: ``kind: ModelProviderService``,
``kind: ModelService`` and ``kind: McpService``, in the API's own shape (databricks-sdk
0.162, ``AiGatewayAPI``).

A document is ``{kind, name: catalog.schema.id, comment, config, grants}``; ``config`` is
the REST body's ``config`` unchanged, so anything in the SDK's dataclasses pastes in.
``grants`` (principal -> privileges) is the manifest's own addition, written through the
Unity Catalog grants API. Structural only; the rules that need more than one field are in
``validation.unity_rules``.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Literal, get_args

from pydantic import Field

from reconciler.model.base import ManifestModel

ProviderType = Literal[
    "EXTERNAL_MODEL_PROVIDER_TYPE_OPENAI", "EXTERNAL_MODEL_PROVIDER_TYPE_AZURE_OPENAI",
    "EXTERNAL_MODEL_PROVIDER_TYPE_ANTHROPIC", "EXTERNAL_MODEL_PROVIDER_TYPE_AMAZON_BEDROCK",
    "EXTERNAL_MODEL_PROVIDER_TYPE_BEDROCK_MANTLE",
    "EXTERNAL_MODEL_PROVIDER_TYPE_GEMINI_ENTERPRISE",
    "EXTERNAL_MODEL_PROVIDER_TYPE_MICROSOFT_FOUNDRY", "EXTERNAL_MODEL_PROVIDER_TYPE_CUSTOM",
]
PROVIDER_BLOCKS: dict[str, str] = {
    "EXTERNAL_MODEL_PROVIDER_TYPE_OPENAI": "openai",
    "EXTERNAL_MODEL_PROVIDER_TYPE_AZURE_OPENAI": "azure_openai",
    "EXTERNAL_MODEL_PROVIDER_TYPE_ANTHROPIC": "anthropic",
    "EXTERNAL_MODEL_PROVIDER_TYPE_AMAZON_BEDROCK": "amazon_bedrock",
    "EXTERNAL_MODEL_PROVIDER_TYPE_BEDROCK_MANTLE": "bedrock_mantle",
    "EXTERNAL_MODEL_PROVIDER_TYPE_GEMINI_ENTERPRISE": "gemini_enterprise",
    "EXTERNAL_MODEL_PROVIDER_TYPE_MICROSOFT_FOUNDRY": "microsoft_foundry",
    "EXTERNAL_MODEL_PROVIDER_TYPE_CUSTOM": "custom",
}
DestinationType = Literal[
    "DESTINATION_TYPE_EXTERNAL_FOUNDATION_MODEL",
    "DESTINATION_TYPE_PAY_PER_TOKEN_FOUNDATION_MODEL",
    "DESTINATION_TYPE_PROVISIONED_THROUGHPUT_FOUNDATION_MODEL",
]
DESTINATION_BLOCKS: dict[str, str] = {
    "DESTINATION_TYPE_EXTERNAL_FOUNDATION_MODEL": "external_model_config",
    "DESTINATION_TYPE_PAY_PER_TOKEN_FOUNDATION_MODEL": "pay_per_token_config",
    "DESTINATION_TYPE_PROVISIONED_THROUGHPUT_FOUNDATION_MODEL": "provisioned_throughput_config",
}
RateLimitKey = Literal["RATE_LIMIT_KEY_SERVICE", "RATE_LIMIT_KEY_SERVICE_PRINCIPAL",
                       "RATE_LIMIT_KEY_USER", "RATE_LIMIT_KEY_USER_DEFAULT",
                       "RATE_LIMIT_KEY_USER_GROUP"]
PRINCIPAL_KEYS = ("RATE_LIMIT_KEY_SERVICE_PRINCIPAL", "RATE_LIMIT_KEY_USER",
                  "RATE_LIMIT_KEY_USER_GROUP")
RenewalPeriod = Literal["RATE_LIMIT_RENEWAL_PERIOD_MINUTE", "RATE_LIMIT_RENEWAL_PERIOD_HOUR"]
Privilege = Literal["ALL_PRIVILEGES", "APPLY_TAG", "BROWSE", "EXECUTE", "MANAGE",
                    "READ_METADATA"]
RATE_LIMIT_KEYS: tuple[str, ...] = get_args(RateLimitKey)
RENEWAL_PERIODS: tuple[str, ...] = get_args(RenewalPeriod)
MAX_DESTINATIONS = 10
MAX_FALLBACKS = 5
MAX_NATIVE_API_TYPES = 64
MAX_NAME_PART = 255  # each part of catalog.schema.id
MAX_TOOL_SELECTORS = 1024

# Name formats (SDK 0.162 docstrings); the offline rules and the emulator both use these.
NAME_PART = re.compile(r"^[^./\s]{1,255}$")
SECRET_NAME = re.compile(r"^secrets/[^./]+\.[^./]+\.[^./]+$")
SCHEMA_NAME = re.compile(r"^schemas/[^./]+\.[^./]+$")
CONNECTION_NAME = re.compile(r"^connections/[^./]+\.[^./]+\.[^./]+$")
PROVIDER_REF = re.compile(r"^model-provider-services/([^./]+\.[^./]+\.[^./]+)$")
MODEL_REF = re.compile(r"^models/[^./]+\.[^./]+\.[^/]+$")
ENDPOINT_REF_PREFIX = "serving-endpoints/"

# Per provider block: the ways a ``direct`` block may authenticate (at most one), the
# members it has, and those it needs. Anthropic alone may be ``relayed`` instead.
AUTH_MODES: dict[str, tuple[str, ...]] = {
    "openai": ("api_key",),
    "azure_openai": ("api_key", "entra_service_principal", "service_credential"),
    "anthropic": ("api_key",),
    "amazon_bedrock": ("aws_access_key", "service_credential"),
    "bedrock_mantle": ("aws_access_key", "service_credential"),
    "gemini_enterprise": ("api_key", "service_credential"),
    "microsoft_foundry": ("api_key", "entra_service_principal", "service_credential"),
    "custom": ("api_key", "header_auth"),
}
ALLOWED_DIRECT: dict[str, tuple[str, ...]] = {
    "openai": ("api_key", "base_url", "organization"),
    "azure_openai": ("api_key", "base_url", "entra_service_principal", "service_credential"),
    "anthropic": ("api_key",),
    "amazon_bedrock": ("region", "aws_access_key", "service_credential"),
    "bedrock_mantle": ("region", "aws_access_key", "service_credential"),
    "gemini_enterprise": ("project_id", "region", "api_key", "service_credential"),
    "microsoft_foundry": ("api_key", "base_url", "entra_service_principal",
                          "service_credential"),
    "custom": ("api_key", "base_url", "header_auth"),
}
REQUIRED_DIRECT: dict[str, tuple[str, ...]] = {
    "azure_openai": ("base_url",), "amazon_bedrock": ("region",),
    "bedrock_mantle": ("region",), "custom": ("base_url",),
}
RELAYED_BLOCKS = ("anthropic",)


class SecretReference(ManifestModel):
    name: str  # secrets/{catalog}.{schema}.{secret}


class ProviderSecret(ManifestModel):
    """``secret_reference`` is the norm; ``plaintext`` only as ``${env.NAME}``."""

    plaintext: str | None = None
    secret_reference: SecretReference | None = None


class Named(ManifestModel):
    name: str


class EntraServicePrincipal(ManifestModel):
    tenant_id: str | None = None
    client_id: str | None = None
    client_secret: ProviderSecret | None = None


class AwsAccessKey(ManifestModel):
    access_key_id: str | None = None
    secret_access_key: ProviderSecret | None = None


class HeaderAuth(ManifestModel):
    api_key_name: str | None = None
    api_key_value: ProviderSecret | None = None


class DirectConfig(ManifestModel):
    """Members of every provider's ``direct`` block (each provider accepts a subset; the
    rules say which)."""

    api_key: ProviderSecret | None = None
    base_url: str | None = None
    organization: str | None = None
    region: str | None = None
    project_id: str | None = None
    aws_access_key: AwsAccessKey | None = None
    entra_service_principal: EntraServicePrincipal | None = None
    service_credential: Named | None = None
    header_auth: HeaderAuth | None = None


class ProviderBlock(ManifestModel):
    direct: DirectConfig | None = None
    relayed: dict[str, Any] | None = None  # anthropic only: forwards the caller's token


class Target(ManifestModel):
    model: str
    native_api_types: list[str] | None = Field(default=None, max_length=MAX_NATIVE_API_TYPES)
    endpoint_route: str | None = None


class RateLimit(ManifestModel):
    key: RateLimitKey
    renewal_period: RenewalPeriod
    principal: str | None = None
    requests: int | None = Field(default=None, ge=0)
    tokens: int | None = Field(default=None, ge=0)


class InferenceTable(ManifestModel):
    parent: str  # schemas/{catalog}.{schema}
    table_name_prefix: str | None = None


class Pricing(ManifestModel):
    default_discount_basis_points: int | None = Field(default=None, ge=0, le=10000)


class ProviderServiceConfig(ManifestModel):
    provider_type: ProviderType
    openai: ProviderBlock | None = None
    azure_openai: ProviderBlock | None = None
    anthropic: ProviderBlock | None = None
    amazon_bedrock: ProviderBlock | None = None
    bedrock_mantle: ProviderBlock | None = None
    gemini_enterprise: ProviderBlock | None = None
    microsoft_foundry: ProviderBlock | None = None
    custom: ProviderBlock | None = None
    targets: list[Target] | None = None
    allow_all_targets: bool | None = None
    forward_headers: bool | None = None
    forward_query_parameters: bool | None = None
    forward_unmanaged_paths: bool | None = None
    rate_limits: list[RateLimit] | None = None
    inference_table: InferenceTable | None = None
    pricing: Pricing | None = None


class ExternalModelConfig(ManifestModel):
    model_provider_service: str  # model-provider-services/{catalog}.{schema}.{id}
    target: Target


class PayPerTokenConfig(ManifestModel):
    model: str  # models/{catalog}.{schema}.{model}


class ProvisionedThroughputConfig(ManifestModel):
    model_serving_endpoint: str  # serving-endpoints/{name}


class Destination(ManifestModel):
    name: str
    destination_type: DestinationType
    traffic_percentage: int | None = Field(default=None, ge=0, le=100)
    external_model_config: ExternalModelConfig | None = None
    pay_per_token_config: PayPerTokenConfig | None = None
    provisioned_throughput_config: ProvisionedThroughputConfig | None = None


class Fallback(ManifestModel):
    destinations: list[Destination] | None = None


class Routing(ManifestModel):
    destinations: list[Destination]
    fallback: Fallback | None = None


class ModelServiceConfig(ManifestModel):
    routing: Routing
    rate_limits: list[RateLimit] | None = None
    inference_table: InferenceTable | None = None


class _Securable(ManifestModel):
    name: str  # catalog.schema.id
    comment: str | None = None
    grants: dict[str, list[Privilege]] | None = None

    def parts(self) -> tuple[str, str, str]:
        catalog, schema, ident = [*self.name.split("."), "", "", ""][:3]
        return catalog, schema, ident

    def parent(self) -> str:
        catalog, schema, _ = self.parts()
        return f"schemas/{catalog}.{schema}"

    def to_wire(self) -> dict[str, Any]:
        """The REST create body: ``comment`` and ``config`` (the name is in the URL)."""
        body = super().to_wire()
        for key in ("kind", "name", "grants"):
            body.pop(key, None)
        return body


class ModelProviderService(_Securable):
    kind: Literal["ModelProviderService"]
    config: ProviderServiceConfig

    collection: ClassVar[str] = "model-provider-services"


class ModelService(_Securable):
    kind: Literal["ModelService"]
    config: ModelServiceConfig

    collection: ClassVar[str] = "model-services"


class SourceConnection(ManifestModel):
    name: str  # connections/{catalog}.{schema}.{connection}


class McpServiceConfig(ManifestModel):
    source_connection: SourceConnection
    include_tool_selectors: list[str] | None = Field(default=None, max_length=1024)
    rate_limits: list[RateLimit] | None = None

    @property
    def inference_table(self) -> None:
        return None  # MCP services have none; shared rules ask every kind


class McpService(_Securable):
    kind: Literal["McpService"]
    config: McpServiceConfig

    collection: ClassVar[str] = "mcp-services"


UnitySecurable = ModelProviderService | ModelService | McpService
KINDS: dict[str, type[ModelProviderService] | type[ModelService] | type[McpService]] = {
    "ModelProviderService": ModelProviderService, "ModelService": ModelService,
    "McpService": McpService,
}

# Members that hold a ``ProviderSecret`` (input-only plaintext, or a UC secret reference).
SECRET_FIELDS = frozenset(
    name for model in (DirectConfig, EntraServicePrincipal, AwsAccessKey, HeaderAuth)
    for name, field in model.model_fields.items() if ProviderSecret in get_args(field.annotation))
