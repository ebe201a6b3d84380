"""Request and response shapes of the emulated API, written once as JSON Schema.

The same dictionaries feed two consumers: ``schema_check.check`` (the structural half of the
server-side validation: types, enums, required members, ranges) and ``openapi`` (the document
served at ``/_emulator/openapi.json``). Unknown members are allowed everywhere because the
real service ignores them. Only a small, draft-independent subset of JSON Schema is used, so
the checker stays a page long and the document stays valid OpenAPI 3.0.
"""

from __future__ import annotations

from typing import Any

from reconciler.model import providers

Schema = dict[str, Any]


def _str(**extra: Any) -> Schema:
    return {"type": "string", **extra}


def _int(minimum: int | None = None, maximum: int | None = None) -> Schema:
    schema: Schema = {"type": "integer"}
    if minimum is not None:
        schema["minimum"] = minimum
    if maximum is not None:
        schema["maximum"] = maximum
    return schema


def _bool() -> Schema:
    return {"type": "boolean"}


def _arr(items: Schema, max_items: int | None = None) -> Schema:
    schema: Schema = {"type": "array", "items": items}
    if max_items is not None:
        schema["maxItems"] = max_items
    return schema


def _obj(properties: dict[str, Schema], required: tuple[str, ...] = ()) -> Schema:
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


def _strings(*names: str) -> dict[str, Schema]:
    return {name: _str() for name in names}


STRING_MAP: Schema = {"type": "object", "additionalProperties": _str()}

PROVIDER_CONFIGS: dict[str, Schema] = {
    "openai_config": _obj(
        {
            **_strings(
                "openai_api_key", "openai_api_key_plaintext", "openai_api_base",
                "openai_api_version", "openai_deployment_name", "openai_organization",
                "microsoft_entra_tenant_id", "microsoft_entra_client_id",
                "microsoft_entra_client_secret", "microsoft_entra_client_secret_plaintext",
            ),
            "openai_api_type": _str(enum=["openai", "azure", "azuread"]),
        }
    ),
    "anthropic_config": _obj(_strings("anthropic_api_key", "anthropic_api_key_plaintext")),
    "cohere_config": _obj(
        _strings("cohere_api_key", "cohere_api_key_plaintext", "cohere_api_base")
    ),
    "ai21labs_config": _obj(_strings("ai21labs_api_key", "ai21labs_api_key_plaintext")),
    "palm_config": _obj(_strings("palm_api_key", "palm_api_key_plaintext")),
    "amazon_bedrock_config": _obj(
        _strings(
            "aws_region", "bedrock_provider", "aws_access_key_id", "aws_access_key_id_plaintext",
            "aws_secret_access_key", "aws_secret_access_key_plaintext", "instance_profile_arn",
            "uc_service_credential_name",
        )
    ),
    "google_cloud_vertex_ai_config": _obj(
        _strings("project_id", "region", "private_key", "private_key_plaintext")
    ),
    "databricks_model_serving_config": _obj(
        _strings(
            "databricks_workspace_url", "databricks_api_token", "databricks_api_token_plaintext"
        )
    ),
    "custom_provider_config": _obj(
        {
            "custom_provider_url": _str(),
            "api_key_auth": _obj(_strings("key", "value", "value_plaintext")),
            "bearer_token_auth": _obj(_strings("token", "token_plaintext")),
        }
    ),
}

EXTERNAL_MODEL = _obj(
    {
        "name": _str(),
        "provider": _str(enum=list(providers.PROVIDERS)),
        "task": _str(),
        **PROVIDER_CONFIGS,
    }
)

WORKLOAD_TYPES = [
    "CPU", "CPU_MEDIUM", "CPU_LARGE", "GPU_SMALL", "GPU_MEDIUM", "GPU_LARGE", "GPU_XLARGE",
    "GPU_XLARGE_8", "MULTIGPU_MEDIUM",
]

_SCALING: dict[str, Schema] = {
    "workload_size": _str(),
    "workload_type": _str(enum=WORKLOAD_TYPES),
    "scale_to_zero_enabled": _bool(),
    "min_provisioned_throughput": _int(0),
    "max_provisioned_throughput": _int(0),
    "provisioned_model_units": _int(0),
    "environment_vars": STRING_MAP,
    "instance_profile_arn": _str(),
}

SERVED_ENTITY = _obj(
    {
        "name": _str(),
        "entity_name": _str(),
        "entity_version": _str(),
        "external_model": EXTERNAL_MODEL,
        "min_provisioned_concurrency": _int(0),
        "max_provisioned_concurrency": _int(0),
        "burst_scaling_enabled": _bool(),
        **_SCALING,
    }
)

SERVED_MODEL = _obj(
    {
        "name": _str(),
        "model_name": _str(),
        "model_version": _str(),
        "min_provisioned_concurrency": _int(0),
        "max_provisioned_concurrency": _int(0),
        "burst_scaling_enabled": _bool(),
        **_SCALING,
    }
)

ROUTE = _obj(
    {
        "served_entity_name": _str(),
        "served_model_name": _str(),
        "traffic_percentage": _int(0, 100),
    },
    required=("traffic_percentage",),
)

AUTO_CAPTURE = _obj(
    {**_strings("catalog_name", "schema_name", "table_name_prefix"), "enabled": _bool()}
)

CORE_CONFIG = _obj(
    {
        # The SDK's copy of the endpoint name (create body only); not stored.
        "name": _str(),
        "served_entities": _arr(SERVED_ENTITY),
        "served_models": _arr(SERVED_MODEL),
        "traffic_config": _obj({"routes": _arr(ROUTE)}),
        "auto_capture_config": AUTO_CAPTURE,
    }
)

GATEWAY_RATE_LIMIT = _obj(
    {
        "calls": _int(0),
        "tokens": _int(0),
        "key": _str(enum=["endpoint", "user", "user_group", "service_principal"]),
        "principal": _str(),
        "renewal_period": _str(enum=["minute"]),
    },
    required=("renewal_period",),
)

_GUARDRAIL = _obj(
    {
        "safety": _bool(),
        "pii": _obj({"behavior": _str(enum=["NONE", "BLOCK", "MASK"])}),
        "invalid_keywords": _arr(_str()),
        "valid_topics": _arr(_str()),
    }
)

AI_GATEWAY = _obj(
    {
        "usage_tracking_config": _obj({"enabled": _bool()}),
        "inference_table_config": AUTO_CAPTURE,
        "rate_limits": _arr(GATEWAY_RATE_LIMIT),
        "guardrails": _obj({"input": _GUARDRAIL, "output": _GUARDRAIL}),
        "fallback_config": _obj({"enabled": _bool()}, required=("enabled",)),
    }
)

LEGACY_RATE_LIMIT = _obj(
    {
        "calls": _int(0),
        "renewal_period": _str(enum=["minute"]),
        "key": _str(enum=["user", "endpoint"]),
    },
    required=("calls", "renewal_period"),
)

TAG = _obj({"key": _str(), "value": _str()}, required=("key",))

EMAIL_NOTIFICATIONS = _obj(
    {"on_update_success": _arr(_str()), "on_update_failure": _arr(_str())}
)

TELEMETRY_FEATURES = [
    "TELEMETRY_FEATURE_INFERENCE_TABLE", "TELEMETRY_FEATURE_LOGS", "TELEMETRY_FEATURE_METRICS",
    "TELEMETRY_FEATURE_TRACES",
]
TELEMETRY_CONFIG = _obj(
    {
        "telemetry_profile_id": _str(),
        "table_names": _obj(_strings("logs_table", "metrics_table", "traces_table",
                                     "annotations_table")),
        "enabled_telemetry_features": _arr(_str(enum=TELEMETRY_FEATURES)),
        "inference_table_config": _obj(
            {"name": _str(), "sampling_fraction": {"type": "number", "minimum": 0,
                                                   "maximum": 1}}),
    }
)
PATCH_TELEMETRY = _obj({"telemetry_config": TELEMETRY_CONFIG})

# Names: alphanumerics, dashes and underscores; the 64 limit is the emulator's choice.
ENDPOINT_NAME = _str(minLength=1, maxLength=64, pattern="^[A-Za-z0-9_-]+$")

CREATE_ENDPOINT = _obj(
    {
        "name": ENDPOINT_NAME,
        "config": CORE_CONFIG,
        "ai_gateway": AI_GATEWAY,
        "tags": _arr(TAG),
        "rate_limits": _arr(LEGACY_RATE_LIMIT),
        "route_optimized": _bool(),
        "budget_policy_id": _str(),
        "description": _str(),
        "email_notifications": EMAIL_NOTIFICATIONS,
        "telemetry_config": TELEMETRY_CONFIG,
    },
    required=("name",),
)

# Provisioned throughput (SDK 0.162 PtServedModel, PtEndpointCoreConfig, the /pt routes).
PT_SERVED_ENTITY = _obj(
    {
        "name": _str(),
        "entity_name": _str(),
        "entity_version": _str(),
        "provisioned_model_units": _int(1),
        "burst_scaling_enabled": _bool(),
    },
    required=("entity_name", "provisioned_model_units"),
)
PT_CONFIG = _obj(
    {"served_entities": _arr(PT_SERVED_ENTITY), "traffic_config": _obj({"routes": _arr(ROUTE)})},
    required=("served_entities",),
)
PT_CREATE = _obj(
    {
        "name": ENDPOINT_NAME,
        "config": PT_CONFIG,
        "ai_gateway": AI_GATEWAY,
        "budget_policy_id": _str(),
        "email_notifications": EMAIL_NOTIFICATIONS,
        "tags": _arr(TAG),
    },
    required=("name", "config"),
)
PT_UPDATE = _obj({"config": PT_CONFIG}, required=("config",))

PATCH_TAGS = _obj({"add_tags": _arr(TAG), "delete_tags": _arr(_str())})
PUT_RATE_LIMITS = _obj({"rate_limits": _arr(LEGACY_RATE_LIMIT)})
PATCH_NOTIFICATIONS = _obj({"email_notifications": EMAIL_NOTIFICATIONS})

PRINCIPALS = ("user_name", "group_name", "service_principal_name")
PERMISSION_LEVEL = _str(enum=["CAN_MANAGE", "CAN_QUERY", "CAN_VIEW"])
ACCESS_CONTROL = {
    **_obj({**{p: _str(minLength=1) for p in PRINCIPALS}, "permission_level": PERMISSION_LEVEL},
           required=("permission_level",)),
    # Exactly one principal per entry (``check`` leaves this to validation.check_acl).
    "oneOf": [
        {"properties": {p: _str(minLength=1), "permission_level": PERMISSION_LEVEL},
         "required": [p, "permission_level"], "additionalProperties": False}
        for p in PRINCIPALS
    ],
}
PERMISSIONS_REQUEST = _obj({"access_control_list": _arr(ACCESS_CONTROL)})

_CHAT_MESSAGE = _obj(
    {"role": _str(enum=["system", "user", "assistant", "tool"]), "content": _str()},
    required=("role",),
)
QUERY = _obj(
    {
        "messages": _arr(_CHAT_MESSAGE),
        "prompt": {},
        "input": {},
        "max_tokens": _int(1),
        "n": _int(1, 5),
        "temperature": {"type": "number", "minimum": 0, "maximum": 2},
        "stop": _arr(_str()),
        "stream": _bool(),
        "extra_params": {"type": "object"},
        "dataframe_split": {"type": "object"},
        "dataframe_records": {"type": "array"},
        "instances": {"type": "array"},
        "inputs": {},
        "client_request_id": _str(),
        "usage_context": {"type": "object"},
    }
)
OPENAI_QUERY = {**QUERY, "properties": {**QUERY["properties"], "model": _str()}}
OPENAI_QUERY["required"] = ["model"]

FAIL_NEXT_UPDATE = _obj({"name": _str()}, required=("name",))
FAIL_QUERIES = _obj(
    {"name": _str(minLength=1), "served_entity": _str(), "status": _int(400, 599),
     "rate": {"type": "number", "minimum": 0, "maximum": 1}, "message": _str()},
    required=("name", "status", "rate"),
)
