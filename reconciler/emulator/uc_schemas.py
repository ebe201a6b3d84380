"""Shapes of the Unity AI Gateway securables (model provider services, model services, MCP
services) as the emulator accepts and keeps them, pinned to databricks-sdk 0.162
(``databricks/sdk/service/catalog.py``: ``ModelProviderService``, ``ModelService``,
``McpService`` and their config dataclasses).

Written in the same small JSON Schema subset as ``schemas`` so that ``schemas.check`` gives
the structural 400s and ``endpoints.prune`` drops members the service does not know (the
real service ignores them; our client keeps unknown members it reads). Cross-field rules
(one provider block, traffic sums, limits, references) live in ``uc_validation``.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

PROVIDER_TYPES: dict[str, str] = {
    # provider_type -> the one config block that must accompany it
    "EXTERNAL_MODEL_PROVIDER_TYPE_OPENAI": "openai",
    "EXTERNAL_MODEL_PROVIDER_TYPE_AZURE_OPENAI": "azure_openai",
    "EXTERNAL_MODEL_PROVIDER_TYPE_ANTHROPIC": "anthropic",
    "EXTERNAL_MODEL_PROVIDER_TYPE_AMAZON_BEDROCK": "amazon_bedrock",
    "EXTERNAL_MODEL_PROVIDER_TYPE_BEDROCK_MANTLE": "bedrock_mantle",
    "EXTERNAL_MODEL_PROVIDER_TYPE_GEMINI_ENTERPRISE": "gemini_enterprise",
    "EXTERNAL_MODEL_PROVIDER_TYPE_MICROSOFT_FOUNDRY": "microsoft_foundry",
    "EXTERNAL_MODEL_PROVIDER_TYPE_CUSTOM": "custom",
}
PROVIDER_BLOCKS = tuple(PROVIDER_TYPES.values())
DESTINATION_TYPES: dict[str, str] = {
    # destination_type -> the one config block that must accompany it
    "DESTINATION_TYPE_EXTERNAL_FOUNDATION_MODEL": "external_model_config",
    "DESTINATION_TYPE_PAY_PER_TOKEN_FOUNDATION_MODEL": "pay_per_token_config",
    "DESTINATION_TYPE_PROVISIONED_THROUGHPUT_FOUNDATION_MODEL": "provisioned_throughput_config",
}
RATE_LIMIT_KEYS = ("RATE_LIMIT_KEY_SERVICE", "RATE_LIMIT_KEY_SERVICE_PRINCIPAL",
                   "RATE_LIMIT_KEY_USER", "RATE_LIMIT_KEY_USER_DEFAULT",
                   "RATE_LIMIT_KEY_USER_GROUP")
# Keys that name one principal; the others must not carry one.
PRINCIPAL_KEYS = ("RATE_LIMIT_KEY_SERVICE_PRINCIPAL", "RATE_LIMIT_KEY_USER",
                  "RATE_LIMIT_KEY_USER_GROUP")
RENEWAL_PERIODS = ("RATE_LIMIT_RENEWAL_PERIOD_MINUTE", "RATE_LIMIT_RENEWAL_PERIOD_HOUR")
MAX_DESTINATIONS = 10
MAX_FALLBACKS = 5
MAX_NATIVE_API_TYPES = 64
MAX_NAME_PART = 255
MAX_TOOL_SELECTORS = 1024


def _str() -> Schema:
    return {"type": "string"}


def _obj(properties: dict[str, Schema], required: tuple[str, ...] = ()) -> Schema:
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


def _arr(items: Schema, max_items: int | None = None) -> Schema:
    schema: Schema = {"type": "array", "items": items}
    if max_items is not None:
        schema["maxItems"] = max_items
    return schema


SECRET = _obj({"plaintext": _str(),
               "secret_reference": _obj({"name": _str()}, required=("name",))})
NAMED = _obj({"name": _str()}, required=("name",))
ENTRA = _obj({"tenant_id": _str(), "client_id": _str(), "client_secret": SECRET})
AWS_KEY = _obj({"access_key_id": _str(), "secret_access_key": SECRET})


def _direct(properties: dict[str, Schema]) -> Schema:
    return _obj({"direct": _obj(properties)})


PROVIDER_BLOCK_SCHEMAS: dict[str, Schema] = {
    "openai": _direct({"api_key": SECRET, "base_url": _str(), "organization": _str()}),
    "azure_openai": _direct({"api_key": SECRET, "base_url": _str(),
                             "entra_service_principal": ENTRA, "service_credential": NAMED}),
    "anthropic": _obj({"direct": _obj({"api_key": SECRET}), "relayed": _obj({})}),
    "amazon_bedrock": _direct({"region": _str(), "aws_access_key": AWS_KEY,
                               "service_credential": NAMED}),
    "bedrock_mantle": _direct({"region": _str(), "aws_access_key": AWS_KEY,
                               "service_credential": NAMED}),
    "gemini_enterprise": _direct({"project_id": _str(), "region": _str(), "api_key": SECRET,
                                  "service_credential": NAMED}),
    "microsoft_foundry": _direct({"api_key": SECRET, "base_url": _str(),
                                  "entra_service_principal": ENTRA,
                                  "service_credential": NAMED}),
    "custom": _direct({"api_key": SECRET, "base_url": _str(),
                       "header_auth": _obj({"api_key_name": _str(),
                                            "api_key_value": SECRET})}),
}
TARGET = _obj({"model": _str(), "native_api_types": _arr(_str(), MAX_NATIVE_API_TYPES),
               "endpoint_route": _str()}, required=("model",))
RATE_LIMIT = _obj({"key": {"type": "string", "enum": list(RATE_LIMIT_KEYS)},
                   "renewal_period": {"type": "string", "enum": list(RENEWAL_PERIODS)},
                   "principal": _str(),
                   "requests": {"type": "integer", "minimum": 0},
                   "tokens": {"type": "integer", "minimum": 0}},
                  required=("key", "renewal_period"))
INFERENCE_TABLE = _obj({"parent": _str(), "table_name_prefix": _str(), "table": _str(),
                        "is_deleted": {"type": "boolean"}}, required=("parent",))
PROVIDER_CONFIG = _obj({
    "provider_type": {"type": "string", "enum": list(PROVIDER_TYPES)},
    **PROVIDER_BLOCK_SCHEMAS,
    "targets": _arr(TARGET),
    "allow_all_targets": {"type": "boolean"},
    "forward_headers": {"type": "boolean"},
    "forward_query_parameters": {"type": "boolean"},
    "forward_unmanaged_paths": {"type": "boolean"},
    "rate_limits": _arr(RATE_LIMIT),
    "inference_table": INFERENCE_TABLE,
    "pricing": _obj({"default_discount_basis_points": {"type": "integer", "minimum": 0,
                                                       "maximum": 10000}}),
})
DESTINATION = _obj({
    "name": _str(),
    "destination_type": {"type": "string", "enum": list(DESTINATION_TYPES)},
    "traffic_percentage": {"type": "integer", "minimum": 0, "maximum": 100},
    "external_model_config": _obj({"model_provider_service": _str(), "target": TARGET},
                                  required=("model_provider_service", "target")),
    "pay_per_token_config": _obj({"model": _str()}, required=("model",)),
    "provisioned_throughput_config": _obj({"model_serving_endpoint": _str(), "model": _str()},
                                          required=("model_serving_endpoint",)),
    "is_deleted": {"type": "boolean"},
}, required=("name", "destination_type"))
MODEL_SERVICE_CONFIG = _obj({
    "routing": _obj({
        "destinations": _arr(DESTINATION),
        "fallback": _obj({"destinations": _arr(DESTINATION)}),
    }),
    "rate_limits": _arr(RATE_LIMIT),
    "inference_table": INFERENCE_TABLE,
})
MCP_SERVICE_CONFIG = _obj({
    "source_connection": _obj({"name": _str(), "options": {"type": "object"},
                               "is_deleted": {"type": "boolean"}}, required=("name",)),
    "include_tool_selectors": _arr(_str(), MAX_TOOL_SELECTORS),
    "rate_limits": _arr(RATE_LIMIT),
})


def securable(config: Schema) -> Schema:
    """The envelope every service shares; only ``comment`` and ``config`` are writable."""
    return _obj({"name": _str(), "comment": _str(), "config": config})


GRANTS_UPDATE = _obj({"changes": _arr(_obj({
    "principal": _str(), "add": _arr(_str()), "remove": _arr(_str()),
}, required=("principal",)))})
