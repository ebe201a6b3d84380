"""External-model providers and their config blocks (API reference section 4).

Each provider has exactly one config block, named here once. Secret credentials come in
pairs: a reference field holding ``{{secrets/scope/key}}`` and its ``*_plaintext`` twin;
exactly one of the pair is given. ``SECRET_PAIRS`` is the one table of those pairs, used by
validation, diff (plaintext is write-only), the emulator (never stores plaintext) and the
secret digest.
"""

from __future__ import annotations

from typing import Literal

from reconciler.model.base import ManifestModel

Provider = Literal[
    "ai21labs",
    "amazon-bedrock",
    "anthropic",
    "cohere",
    "custom",
    "databricks-model-serving",
    "google-cloud-vertex-ai",
    "openai",
    "palm",
]

PROVIDERS: tuple[str, ...] = (
    "ai21labs",
    "amazon-bedrock",
    "anthropic",
    "cohere",
    "custom",
    "databricks-model-serving",
    "google-cloud-vertex-ai",
    "openai",
    "palm",
)

# provider -> the name of its config block inside ``external_model``.
CONFIG_BLOCK: dict[str, str] = {
    "ai21labs": "ai21labs_config",
    "amazon-bedrock": "amazon_bedrock_config",
    "anthropic": "anthropic_config",
    "cohere": "cohere_config",
    "custom": "custom_provider_config",
    "databricks-model-serving": "databricks_model_serving_config",
    "google-cloud-vertex-ai": "google_cloud_vertex_ai_config",
    "openai": "openai_config",
    "palm": "palm_config",
}

# The documented tasks. The SDK types `task` as a free string, so another task is a warning
# (PROVIDER-002), not an error: the service may have added it.
TASKS: tuple[str, ...] = ("llm/v1/completions", "llm/v1/chat", "llm/v1/embeddings")

# databricks-sdk 0.162 (the newest API description) has these four; `grok` appeared in the
# SDK repository in 2026-07 but is not in the released enum, so it is refused (docs/emulator.md
# "Pinned to databricks-sdk 0.162").
BEDROCK_PROVIDERS: tuple[str, ...] = ("anthropic", "cohere", "ai21labs", "amazon")

# (path inside the config block, reference field, plaintext field). A path of () means the
# pair sits directly in the config block; ("api_key_auth",) means one level down.
SECRET_PAIRS: dict[str, tuple[tuple[tuple[str, ...], str, str], ...]] = {
    "openai_config": (
        ((), "openai_api_key", "openai_api_key_plaintext"),
        ((), "microsoft_entra_client_secret", "microsoft_entra_client_secret_plaintext"),
    ),
    "anthropic_config": (((), "anthropic_api_key", "anthropic_api_key_plaintext"),),
    "cohere_config": (((), "cohere_api_key", "cohere_api_key_plaintext"),),
    "ai21labs_config": (((), "ai21labs_api_key", "ai21labs_api_key_plaintext"),),
    "palm_config": (((), "palm_api_key", "palm_api_key_plaintext"),),
    "amazon_bedrock_config": (
        ((), "aws_access_key_id", "aws_access_key_id_plaintext"),
        ((), "aws_secret_access_key", "aws_secret_access_key_plaintext"),
    ),
    "google_cloud_vertex_ai_config": (((), "private_key", "private_key_plaintext"),),
    "databricks_model_serving_config": (
        ((), "databricks_api_token", "databricks_api_token_plaintext"),
    ),
    "custom_provider_config": (
        (("api_key_auth",), "value", "value_plaintext"),
        (("bearer_token_auth",), "token", "token_plaintext"),
    ),
}


class OpenAIConfig(ManifestModel):
    """OpenAI, Azure OpenAI (``openai_api_type: azure``) and Azure Entra ID (``azuread``)."""

    openai_api_key: str | None = None
    openai_api_key_plaintext: str | None = None
    openai_api_base: str | None = None
    openai_api_type: Literal["openai", "azure", "azuread"] | None = None
    openai_api_version: str | None = None
    openai_deployment_name: str | None = None
    openai_organization: str | None = None
    microsoft_entra_tenant_id: str | None = None
    microsoft_entra_client_id: str | None = None
    microsoft_entra_client_secret: str | None = None
    microsoft_entra_client_secret_plaintext: str | None = None


class AnthropicConfig(ManifestModel):
    anthropic_api_key: str | None = None
    anthropic_api_key_plaintext: str | None = None


class CohereConfig(ManifestModel):
    cohere_api_key: str | None = None
    cohere_api_key_plaintext: str | None = None
    cohere_api_base: str | None = None


class Ai21LabsConfig(ManifestModel):
    ai21labs_api_key: str | None = None
    ai21labs_api_key_plaintext: str | None = None


class PaLMConfig(ManifestModel):
    palm_api_key: str | None = None
    palm_api_key_plaintext: str | None = None


class AmazonBedrockConfig(ManifestModel):
    """Bedrock authenticates with access keys, an instance profile, or a UC service credential."""

    aws_region: str | None = None
    bedrock_provider: str | None = None
    aws_access_key_id: str | None = None
    aws_access_key_id_plaintext: str | None = None
    aws_secret_access_key: str | None = None
    aws_secret_access_key_plaintext: str | None = None
    instance_profile_arn: str | None = None
    uc_service_credential_name: str | None = None


class GoogleCloudVertexAiConfig(ManifestModel):
    project_id: str | None = None
    region: str | None = None
    private_key: str | None = None
    private_key_plaintext: str | None = None


class DatabricksModelServingConfig(ManifestModel):
    databricks_workspace_url: str | None = None
    databricks_api_token: str | None = None
    databricks_api_token_plaintext: str | None = None


class ApiKeyAuth(ManifestModel):
    key: str | None = None
    value: str | None = None
    value_plaintext: str | None = None


class BearerTokenAuth(ManifestModel):
    token: str | None = None
    token_plaintext: str | None = None


class CustomProviderConfig(ManifestModel):
    custom_provider_url: str | None = None
    api_key_auth: ApiKeyAuth | None = None
    bearer_token_auth: BearerTokenAuth | None = None


class ExternalModel(ManifestModel):
    """A model hosted by a third party and proxied by the endpoint."""

    name: str | None = None
    provider: Provider | None = None
    task: str | None = None
    openai_config: OpenAIConfig | None = None
    anthropic_config: AnthropicConfig | None = None
    cohere_config: CohereConfig | None = None
    ai21labs_config: Ai21LabsConfig | None = None
    palm_config: PaLMConfig | None = None
    amazon_bedrock_config: AmazonBedrockConfig | None = None
    google_cloud_vertex_ai_config: GoogleCloudVertexAiConfig | None = None
    databricks_model_serving_config: DatabricksModelServingConfig | None = None
    custom_provider_config: CustomProviderConfig | None = None
