"""What each manifest and project field means, for the JSON Schemas editors read.

One table, model name -> field -> one sentence, so an editor explains a field as it is typed
(yaml-language-server shows ``description`` on hover and in completion). Secret fields follow
one pattern and are documented by ``secret_doc``. ``SCHEMA_ENUMS`` lists the values editors
offer where the model keeps a plain string: validation rules check those with a located,
did-you-mean message, which a strict type would replace with a generic one. Pure data;
``reconciler.validation.json_schema`` applies it, and a test checks every field has a doc.
"""

from __future__ import annotations

from reconciler.model.endpoint import WORKLOAD_TYPES, ServedCompute
from reconciler.model.providers import TASKS

_ENTITY = {
    "name": "The served entity's name, unique in the endpoint; routes refer to it (default: "
            "derived by the server from the model).",
    "entity_name": "A custom model: the Unity Catalog or workspace registry model name "
                   "(catalog.schema.model).",
    "entity_version": "The version of entity_name to serve.",
    "external_model": "A model hosted by a third party (OpenAI, Anthropic, Bedrock, ...) and "
                      "proxied by the endpoint; excludes entity_name and the scaling fields.",
    "workload_size": "Concurrency: Small (4), Medium (8-16), Large (16-64), or a custom size "
                     "of the workspace; not with min/max_provisioned_concurrency.",
    "workload_type": "Compute type: CPU (default), CPU_MEDIUM, CPU_LARGE or a GPU type.",
    "scale_to_zero_enabled": "Scale to zero replicas when idle (a cold start on the next "
                             "request).",
    "min_provisioned_concurrency": "Lower end of the concurrency range (instead of "
                                   "workload_size).",
    "max_provisioned_concurrency": "Upper end of the concurrency range (instead of "
                                   "workload_size).",
    "min_provisioned_throughput": "Provisioned throughput: minimum tokens per second.",
    "max_provisioned_throughput": "Provisioned throughput: maximum tokens per second.",
    "provisioned_model_units": "Provisioned throughput in model units.",
    "burst_scaling_enabled": "Allow scaling beyond the provisioned concurrency in bursts "
                             "(write-only: not read back).",
    "environment_vars": "Environment variables of the model server; values may be "
                        "{{secrets/scope/key}} references.",
    "instance_profile_arn": "AWS instance profile the model server runs with.",
}

_TABLE = {
    "catalog_name": "Unity Catalog catalog of the inference tables (changing it recreates "
                    "the endpoint).",
    "schema_name": "Unity Catalog schema of the inference tables (changing it recreates the "
                   "endpoint).",
    "table_name_prefix": "Prefix of the inference table names (default: the endpoint name).",
    "enabled": "Log requests and responses to the inference tables.",
}

_GRANT = {
    "user_name": "A user, by user name (an e-mail address; compared without case).",
    "group_name": "A workspace or account group.",
    "service_principal_name": "A service principal, by its application id (a UUID).",
    "permission_level": "CAN_VIEW, CAN_QUERY or CAN_MANAGE (each includes the ones before).",
    "level": "The same as permission_level (a Databricks Asset Bundle's spelling).",
}

FIELD_DOCS: dict[str, dict[str, str]] = {
    "ServingEndpoint": {
        "kind": "Manifest kind; only ServingEndpoint (the default) exists today.",
        "name": "The endpoint name: letters, digits, dashes and underscores, at most 63 "
                "characters; changing it creates another endpoint.",
        "description": "Free text shown in the workspace.",
        "tags": "Tags as a map (team: genai) or the API's [{key, value}] list; the reconciler "
                "adds its ownership tag.",
        "config": "What is served: entities, traffic split, legacy inference tables. A change "
                  "rolls out a new config version.",
        "ai_gateway": "AI Gateway: usage tracking, inference tables, rate limits, guardrails, "
                      "fallbacks. Changed in place.",
        "rate_limits": "Legacy rate limits (the MLflow examples' shape), applied as AI Gateway "
                       "rate limits; not together with ai_gateway.rate_limits.",
        "route_optimized": "Route-optimized endpoint (changing it recreates the endpoint).",
        "budget_policy_id": "Serverless budget policy (write-only: not read back).",
        "email_notifications": "Who is emailed when a config update succeeds or fails.",
        "permissions": "Who may view, query and manage the endpoint: Permissions API "
                       "entries (one principal and a level each).",
        "telemetry_config": "Endpoint telemetry (Beta): logs, traces, metrics and inference "
                            "tables in Unity Catalog. Changed in place.",
        "smoke_test": "The query reconciler test and apply --smoke send (never sent to the "
                      "management API, never planned); custom models need one.",
    },
    "SmokeTest": {
        "request": "The JSON body of POST /serving-endpoints/{name}/invocations.",
        "expect": "Answer keys that must be present: dotted paths, numbers index lists "
                  "(predictions, choices.0.message.content).",
    },
    "EndpointCoreConfig": {
        "name": "The endpoint name again, as the Python SDK writes it; must equal name.",
        "served_entities": "The models this endpoint serves (at most 15), matched by name.",
        "served_models": "Legacy form of served_entities; use served_entities.",
        "traffic_config": "How requests are split between the served entities (default: all "
                          "to a single entity).",
        "auto_capture_config": "Legacy inference tables; use ai_gateway.inference_table_config.",
    },
    "ServedEntity": _ENTITY,
    "ServedModel": {
        # The compute fields are the served entity's (one class, ServedCompute).
        **{k: _ENTITY[k] for k in ("name", *ServedCompute.model_fields)},
        "model_name": "Registered model name (legacy form of entity_name).",
        "model_version": "Registered model version (legacy form of entity_version).",
    },
    "TelemetryConfig": {
        "telemetry_profile_id": "A telemetry profile to use instead of table_names.",
        "table_names": "Unity Catalog tables (catalog.schema.table) for each kind of "
                       "telemetry (write-only: not read back).",
        "enabled_telemetry_features": "Which telemetry to collect (empty: all).",
        "inference_table_config": "Inference-table sampling.",
    },
    "TelemetryTableNames": {
        "logs_table": "Table for logs.",
        "metrics_table": "Table for metrics.",
        "traces_table": "Table for traces.",
        "annotations_table": "Table for annotations.",
    },
    "TelemetryInferenceTableConfig": {
        "name": "The inference table's name (set by the service).",
        "sampling_fraction": "Share of requests logged, 0.0 to 1.0.",
    },
    "FoundationModelRef": {
        "name": "Foundation model name (output only; accepted so exports round-trip).",
        "display_name": "Foundation model display name (output only).",
        "description": "Foundation model description (output only).",
        "docs": "Foundation model documentation link (output only).",
    },
    "TrafficConfig": {"routes": "One route per served entity; percentages add up to 100."},
    "Route": {
        "served_entity_name": "The served entity this route sends traffic to.",
        "served_model_name": "Legacy form of served_entity_name.",
        "traffic_percentage": "Share of the requests, 0 to 100.",
    },
    "AutoCaptureConfig": _TABLE,
    "InferenceTableConfig": _TABLE,
    "EndpointTag": {"key": "Tag key.", "value": "Tag value."},
    "EmailNotifications": {
        "on_update_success": "Addresses emailed when a config update succeeds.",
        "on_update_failure": "Addresses emailed when a config update fails.",
    },
    "AiGatewayConfig": {
        "usage_tracking_config": "Record token usage per request in system tables.",
        "inference_table_config": "Log requests and responses to Unity Catalog tables.",
        "rate_limits": "Calls or tokens per minute, per endpoint, user, group or service "
                       "principal; matched by (key, principal).",
        "guardrails": "Safety, PII and keyword filters on input and output.",
        "fallback_config": "Send a failed request to the next served entity.",
    },
    "AiGatewayRateLimit": {
        "calls": "Requests allowed per renewal period.",
        "tokens": "Tokens allowed per renewal period.",
        "key": "Who the limit counts for: endpoint (all callers together), user, user_group "
               "or service_principal.",
        "principal": "The user group or service principal a user_group/service_principal "
                     "limit is for.",
        "renewal_period": "The period the limit renews after; only minute exists.",
    },
    "LegacyRateLimit": {
        "calls": "Requests allowed per renewal period.",
        "renewal_period": "The period the limit renews after; only minute exists.",
        "key": "Who the limit counts for: user or endpoint.",
    },
    "UsageTrackingConfig": {"enabled": "Record token usage in system tables."},
    "PiiConfig": {"behavior": "What to do with personal data: NONE, BLOCK the request, or "
                              "MASK it."},
    "GuardrailParameters": {
        "safety": "Block unsafe content.",
        "pii": "Personal data detection.",
        "invalid_keywords": "Requests or answers containing these words are blocked.",
        "valid_topics": "Only these topics are allowed.",
    },
    "Guardrails": {"input": "Guardrails on the request.", "output": "Guardrails on the answer."},
    "FallbackConfig": {"enabled": "On a failure, try the next served entity of the endpoint."},
    "ExternalModel": {
        "name": "The provider's model name, e.g. gpt-4o or claude-3-5-sonnet-20240620.",
        "provider": "Who hosts the model; its *_config block must be set.",
        "task": "The API the endpoint offers: llm/v1/chat, llm/v1/completions or "
                "llm/v1/embeddings.",
        "openai_config": "OpenAI or Azure OpenAI settings (provider openai).",
        "anthropic_config": "Anthropic settings (provider anthropic).",
        "cohere_config": "Cohere settings (provider cohere).",
        "ai21labs_config": "AI21 Labs settings (provider ai21labs).",
        "palm_config": "Google PaLM settings (provider palm, deprecated).",
        "amazon_bedrock_config": "Amazon Bedrock settings (provider amazon-bedrock).",
        "google_cloud_vertex_ai_config": "Vertex AI settings (provider google-cloud-vertex-ai).",
        "databricks_model_serving_config": "Another workspace's endpoint (provider "
                                           "databricks-model-serving).",
        "custom_provider_config": "An OpenAI-compatible endpoint of your own (provider custom).",
    },
    "OpenAIConfig": {
        "openai_api_base": "Base URL: required for Azure (https://NAME.openai.azure.com/), "
                           "optional for OpenAI.",
        "openai_api_type": "openai (default), azure (Azure key), azuread (Azure Entra ID).",
        "openai_api_version": "Azure OpenAI API version (a date, e.g. 2024-06-01).",
        "openai_deployment_name": "Azure OpenAI deployment name.",
        "openai_organization": "OpenAI organization id.",
        "microsoft_entra_tenant_id": "Entra ID tenant (openai_api_type azuread).",
        "microsoft_entra_client_id": "Entra ID application (client) id (azuread).",
    },
    "CohereConfig": {"cohere_api_base": "Cohere API base URL (optional)."},
    "AmazonBedrockConfig": {
        "aws_region": "AWS region of the Bedrock models.",
        "bedrock_provider": "The model family on Bedrock: anthropic, cohere, ai21labs, amazon.",
        "instance_profile_arn": "Authenticate with this instance profile instead of keys.",
        "uc_service_credential_name": "Authenticate with this Unity Catalog service "
                                      "credential.",
    },
    "GoogleCloudVertexAiConfig": {
        "project_id": "Google Cloud project id.",
        "region": "Google Cloud region of the model.",
    },
    "DatabricksModelServingConfig": {
        "databricks_workspace_url": "URL of the workspace serving the model.",
    },
    "CustomProviderConfig": {
        "custom_provider_url": "URL of the OpenAI-compatible API.",
        "api_key_auth": "Authenticate with an API key in a header.",
        "bearer_token_auth": "Authenticate with a bearer token.",
    },
    "ApiKeyAuth": {"key": "Name of the header that carries the key."},
    "BearerTokenAuth": {},
    "Ai21LabsConfig": {},
    "AnthropicConfig": {},
    "PaLMConfig": {},
    "PermissionEntry": _GRANT,
    "RequiredGrant": _GRANT,
    "PermissionsPolicy": {
        "required": "Every endpoint must declare permissions:.",
        "max_user_level": "The highest level a single user may be granted (groups and "
                          "service principals are not limited).",
        "required_grants": "Grants every endpoint must include (e.g. a support group with "
                           "CAN_VIEW).",
    },
    # reconciler.yaml
    "ProjectFile": {
        "project": "The project name, written into an ownership tag on every endpoint it "
                   "manages, next to project_id.",
        "project_id": "This repository's own ownership id (8-64 lower case letters, digits, "
                      "dashes), recorded in the tag reconciler-project-id of every endpoint "
                      "apply writes and in the marker of Unity services: another repository "
                      "with the same project name never changes or prunes them. `reconciler "
                      "init` and `reconciler migrate-ownership` write a random one; keep it "
                      "when renaming the project, never copy it to another repository. "
                      "--prune needs it.",
        "manifests": "Files, folders or globs of endpoint manifests, inside the project "
                     "folder (default endpoints/).",
        "default_target": "The target used without -t or RECONCILER_TARGET.",
        "variables": "Values for ${var.NAME} in manifests; targets, RECONCILER_VAR_NAME and "
                     "--var override them.",
        "targets": "Where plan and apply point: name -> the local registry or a workspace.",
        "policy": "Organisation rules validate enforces on every endpoint.",
    },
    "Target": {
        "local": "The embedded registry's SQLite file (relative to the project); not with "
                 "host.",
        "host": "The workspace URL, https://....cloud.databricks.com; not with local.",
        "profile": "A profile of ~/.databrickscfg for host and token.",
        "token_env": "The environment variable holding the token.",
        "auth": "token (default) or sdk: the Databricks SDK's unified auth (OAuth, Azure, "
                "CLI logins).",
        "variables": "Variables of this target, over the project's.",
    },
    "Policy": {
        "allowed_providers": "External model providers allowed (default: all).",
        "require_rate_limits": "Every endpoint must have rate limits.",
        "required_tags": "Tags every endpoint must have, with a value.",
        "plaintext_secrets": "*_plaintext fields: forbid (default), env-only (${env.NAME} "
                             "only) or allow.",
        "permissions": "Rules for every endpoint's permissions: list.",
    },
}


def secret_doc(field: str) -> str | None:
    """The doc of a provider key field: a secret reference, or its plaintext twin."""
    if field.endswith("_plaintext"):
        return (f"The key itself (write-only, masked in every output); exclusive with "
                f"{field.removesuffix('_plaintext')}. Allowed as policy.plaintext_secrets "
                "says; ${env.NAME} keeps it out of the repository.")
    if field.endswith(("_key", "_key_id", "_token", "_secret", "_secret_access_key")) or \
            field in ("value", "token", "private_key"):
        return (f"A secret reference, {{{{secrets/scope/key}}}}; exclusive with "
                f"{field}_plaintext.")
    return None


def field_doc(model: str, field: str) -> str | None:
    return FIELD_DOCS.get(model, {}).get(field) or secret_doc(field)


# Values editors offer for fields the model keeps as strings (validation checks them).
# ``open``: other values are valid too (a workspace's custom workload sizes).
SCHEMA_ENUMS: dict[tuple[str, str], tuple[tuple[str, ...], bool]] = {
    ("ExternalModel", "task"): (TASKS, False),
    ("ServedEntity", "workload_type"): (WORKLOAD_TYPES, False),
    ("ServedModel", "workload_type"): (WORKLOAD_TYPES, False),
    ("ServedEntity", "workload_size"): (("Small", "Medium", "Large"), True),
    ("ServedModel", "workload_size"): (("Small", "Medium", "Large"), True),
    ("AmazonBedrockConfig", "bedrock_provider"): (
        ("anthropic", "cohere", "ai21labs", "amazon"), True),
}
