"""Rules for external models and their provider config blocks (API reference section 4).

Each check is a generator of ``(path, message)`` findings over one endpoint; the paths are
real document paths, so the issue points at the offending value (or its nearest parent).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from reconciler.model.diagnostics import FieldPath
from reconciler.model.endpoint import ServingEndpoint
from reconciler.model.providers import (
    BEDROCK_PROVIDERS,
    CONFIG_BLOCK,
    SECRET_PAIRS,
    TASKS,
    ExternalModel,
)
from reconciler.validation.rules import Finding, Rule, ValidationContext

SECRET_REFERENCE = re.compile(r"^\{\{secrets/[^/{}\s]+/[^/{}\s]+\}\}$")
AZURE_TYPES = ("azure", "azuread")
ENTRA_FIELDS = (
    "microsoft_entra_tenant_id",
    "microsoft_entra_client_id",
    "microsoft_entra_client_secret",
    "microsoft_entra_client_secret_plaintext",
)


def external_models(endpoint: ServingEndpoint) -> Iterator[tuple[FieldPath, ExternalModel]]:
    """Every external model of the endpoint with its path in the document."""
    for i, entity in enumerate(endpoint.served_entities()):
        if entity.external_model is not None:
            yield ("config", "served_entities", i, "external_model"), entity.external_model


def _check_required(endpoint: ServingEndpoint, _ctx: ValidationContext) -> Iterator[Finding]:
    for path, model in external_models(endpoint):
        for field in ("name", "provider", "task"):
            if not getattr(model, field):
                yield (*path, field), f"the external model needs '{field}'"


def _check_block(endpoint: ServingEndpoint, _ctx: ValidationContext) -> Iterator[Finding]:
    for path, model in external_models(endpoint):
        if model.provider is None:
            continue
        expected = CONFIG_BLOCK[model.provider]
        for block in CONFIG_BLOCK.values():
            if block != expected and getattr(model, block) is not None:
                message = f"'{block}' does not match provider '{model.provider}' ({expected})"
                yield (*path, block), message
        if getattr(model, expected) is None:
            yield (*path, "provider"), f"provider '{model.provider}' needs '{expected}'"


@dataclass(frozen=True)
class SecretPair:
    """One reference / ``*_plaintext`` pair present in an endpoint (``SECRET_PAIRS``)."""

    block_name: str  # the provider config block, e.g. "openai_config"
    block: Any  # that block's model
    where: FieldPath  # document path of the object holding the pair
    ref: str
    plain: str
    ref_value: str | None
    plain_value: str | None
    matches_provider: bool  # False for a block of another provider (PROVIDER-003)


def secret_pairs(endpoint: ServingEndpoint) -> Iterator[SecretPair]:
    """Every secret pair of every config block the endpoint's external models carry."""
    for path, model in external_models(endpoint):
        present = model.model_fields_set  # cheaper than a getattr per known block
        for block_name, pairs in SECRET_PAIRS.items():
            block = getattr(model, block_name) if block_name in present else None
            if block is None:
                continue
            for sub, ref, plain in pairs:
                holder = block
                for part in sub:
                    holder = getattr(holder, part) if holder is not None else None
                if holder is not None:
                    where = (*path, block_name, *sub)
                    ref_value, plain_value = getattr(holder, ref), getattr(holder, plain)
                    matches = model.provider is not None and (
                        CONFIG_BLOCK[model.provider] == block_name
                    )
                    yield SecretPair(
                        block_name, block, where, ref, plain, ref_value, plain_value, matches
                    )


def _pair_needed(pair: SecretPair) -> bool:
    """Whether one of this pair must be given (otherwise only "not both" applies)."""
    if pair.block_name == "openai_config":
        # The API key is optional with Entra ID; the Entra secret has its own rule.
        return pair.ref == "openai_api_key" and pair.block.openai_api_type != "azuread"
    return pair.block_name != "amazon_bedrock_config"  # Bedrock keys: see its auth rule


def _check_pairs(endpoint: ServingEndpoint, _ctx: ValidationContext) -> Iterator[Finding]:
    for pair in secret_pairs(endpoint):
        if not pair.matches_provider:
            continue  # a block of another provider: PROVIDER-003 reports it
        has_ref, has_plain = pair.ref_value is not None, pair.plain_value is not None
        if has_ref and has_plain:
            yield (*pair.where, pair.plain), f"give only one of '{pair.ref}' or '{pair.plain}'"
        elif not (has_ref or has_plain) and _pair_needed(pair):
            yield (
                pair.where,
                (
                    f"{pair.where[-1]} needs '{pair.ref}' (a {{{{secrets/scope/key}}}} reference) "
                    f"or '{pair.plain}'"
                ),
            )


def _secret_reference_fields(endpoint: ServingEndpoint) -> Iterator[tuple[FieldPath, str]]:
    for pair in secret_pairs(endpoint):
        if pair.ref_value is not None:
            yield (*pair.where, pair.ref), pair.ref_value
    for i, entity in enumerate(endpoint.served_entities()):
        for key, value in (entity.environment_vars or {}).items():
            if "{{" in value:  # plain values are fine; a reference attempt must be exact
                yield ("config", "served_entities", i, "environment_vars", key), value


def _check_reference_form(endpoint: ServingEndpoint, _ctx: ValidationContext) -> Iterator[Finding]:
    for path, value in _secret_reference_fields(endpoint):
        if not SECRET_REFERENCE.match(value):
            shown = value if "{{" in value else "a literal value"
            message = (
                f"{path[-1]} must be a secret reference {{{{secrets/scope/key}}}}, got {shown}"
            )
            if "{{" not in value and isinstance(path[-1], str):
                message += f"; a literal key goes in '{path[-1]}_plaintext'"
            yield path, message


def _openai(endpoint: ServingEndpoint) -> Iterator[tuple[FieldPath, Any]]:
    for path, model in external_models(endpoint):
        if model.provider == "openai" and model.openai_config is not None:
            yield (*path, "openai_config"), model.openai_config


def _check_azure(endpoint: ServingEndpoint, _ctx: ValidationContext) -> Iterator[Finding]:
    for path, config in _openai(endpoint):
        if config.openai_api_type not in AZURE_TYPES:
            continue
        for field in ("openai_api_base", "openai_deployment_name", "openai_api_version"):
            if not getattr(config, field):
                yield (
                    path,
                    f"Azure OpenAI (openai_api_type: {config.openai_api_type}) needs '{field}'",
                )


def _check_entra(endpoint: ServingEndpoint, _ctx: ValidationContext) -> Iterator[Finding]:
    for path, config in _openai(endpoint):
        if config.openai_api_type != "azuread":
            for field in ENTRA_FIELDS:
                if getattr(config, field) is not None:
                    yield (*path, field), f"'{field}' needs openai_api_type: azuread"
            continue
        for field in ENTRA_FIELDS[:2]:
            if not getattr(config, field):
                yield path, f"Entra ID (openai_api_type: azuread) needs '{field}'"
        given = [f for f in ENTRA_FIELDS[2:] if getattr(config, f) is not None]
        if len(given) != 1:
            yield (
                path,
                (
                    "Entra ID needs exactly one of 'microsoft_entra_client_secret' or "
                    "'microsoft_entra_client_secret_plaintext'"
                ),
            )


def _check_bedrock(endpoint: ServingEndpoint, _ctx: ValidationContext) -> Iterator[Finding]:
    for path, model in external_models(endpoint):
        config = model.amazon_bedrock_config
        if model.provider != "amazon-bedrock" or config is None:
            continue
        where = (*path, "amazon_bedrock_config")
        if not config.aws_region:
            yield where, "Amazon Bedrock needs 'aws_region'"
        if not config.bedrock_provider:
            yield where, "Amazon Bedrock needs 'bedrock_provider'"
        elif config.bedrock_provider.lower() not in BEDROCK_PROVIDERS:
            message = (
                f"bedrock_provider '{config.bedrock_provider}' is not one of "
                f"{', '.join(BEDROCK_PROVIDERS)}"
            )
            yield (*where, "bedrock_provider"), message


def _check_bedrock_auth(endpoint: ServingEndpoint, _ctx: ValidationContext) -> Iterator[Finding]:
    for path, model in external_models(endpoint):
        config = model.amazon_bedrock_config
        if model.provider != "amazon-bedrock" or config is None:
            continue
        where = (*path, "amazon_bedrock_config")
        key_id = (
            config.aws_access_key_id is not None or config.aws_access_key_id_plaintext is not None
        )
        secret = (
            config.aws_secret_access_key is not None
            or config.aws_secret_access_key_plaintext is not None
        )
        if key_id != secret:
            yield where, "access keys need both an access key id and a secret access key"
        methods = [
            name
            for name, used in (
                ("access keys", key_id or secret),
                ("instance_profile_arn", config.instance_profile_arn is not None),
                ("uc_service_credential_name", config.uc_service_credential_name is not None),
            )
            if used
        ]
        if len(methods) != 1:
            got = f"got {' and '.join(methods)}" if methods else "got none"
            yield (
                where,
                (
                    "Amazon Bedrock needs exactly one auth method: access keys, "
                    f"instance_profile_arn or uc_service_credential_name ({got})"
                ),
            )


def _check_vertex(endpoint: ServingEndpoint, _ctx: ValidationContext) -> Iterator[Finding]:
    for path, model in external_models(endpoint):
        config = model.google_cloud_vertex_ai_config
        if model.provider != "google-cloud-vertex-ai" or config is None:
            continue
        for field in ("project_id", "region"):
            if not getattr(config, field):
                yield (*path, "google_cloud_vertex_ai_config"), f"Vertex AI needs '{field}'"


def _check_databricks(endpoint: ServingEndpoint, _ctx: ValidationContext) -> Iterator[Finding]:
    for path, model in external_models(endpoint):
        config = model.databricks_model_serving_config
        is_databricks = model.provider == "databricks-model-serving" and config is not None
        if is_databricks and config is not None and not config.databricks_workspace_url:
            where = (*path, "databricks_model_serving_config")
            yield where, "Databricks model serving needs 'databricks_workspace_url'"


def _check_custom(endpoint: ServingEndpoint, _ctx: ValidationContext) -> Iterator[Finding]:
    for path, model in external_models(endpoint):
        config = model.custom_provider_config
        if model.provider != "custom" or config is None:
            continue
        where = (*path, "custom_provider_config")
        if not config.custom_provider_url:
            yield where, "the custom provider needs 'custom_provider_url'"
        methods = [m for m in ("api_key_auth", "bearer_token_auth") if getattr(config, m)]
        if len(methods) != 1:
            yield where, "give exactly one auth method: 'api_key_auth' or 'bearer_token_auth'"
        if config.api_key_auth is not None and not config.api_key_auth.key:
            yield (*where, "api_key_auth"), "api_key_auth needs 'key' (the header name)"


def _check_task(endpoint: ServingEndpoint, _ctx: ValidationContext) -> Iterator[Finding]:
    for path, model in external_models(endpoint):
        if model.task and model.task not in TASKS:
            close = difflib.get_close_matches(model.task, TASKS, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            yield (*path, "task"), (
                f"task '{model.task}' is not one of the documented tasks ({', '.join(TASKS)})"
                f"{hint}; the API types it as a free string, so the service may still accept it"
            )


PROVIDER_RULES: tuple[Rule, ...] = (
    Rule(
        "PROVIDER-001",
        "An external model needs `name`, `provider` and `task`.",
        "provider",
        check=_check_required,
    ),
    Rule(
        "PROVIDER-002",
        "The task is one of the documented llm/v1/completions, llm/v1/chat, llm/v1/embeddings "
        "(a warning: the API types it as a free string).",
        "provider",
        severity="warning",
        check=_check_task,
    ),
    Rule(
        "PROVIDER-003",
        "The external model has exactly the config block named for its "
        "provider (e.g. `openai_config` for `openai`).",
        "provider",
        check=_check_block,
    ),
    Rule(
        "PROVIDER-004",
        "Exactly one of each secret pair: the `{{secrets/...}}` reference "
        "field or its `*_plaintext` twin.",
        "provider",
        check=_check_pairs,
    ),
    Rule(
        "PROVIDER-005",
        "Secret reference fields hold `{{secrets/scope/key}}`.",
        "provider",
        check=_check_reference_form,
    ),
    Rule(
        "PROVIDER-006",
        "Azure OpenAI (`openai_api_type` azure or azuread) needs "
        "`openai_api_base`, `openai_deployment_name` and `openai_api_version`.",
        "provider",
        check=_check_azure,
    ),
    Rule(
        "PROVIDER-007",
        "Entra ID (`azuread`) needs tenant id, client id and one client "
        "secret; Entra fields need `azuread`.",
        "provider",
        check=_check_entra,
    ),
    Rule(
        "PROVIDER-008",
        "Amazon Bedrock needs `aws_region` and a valid `bedrock_provider`.",
        "provider",
        check=_check_bedrock,
    ),
    Rule(
        "PROVIDER-009",
        "Amazon Bedrock uses exactly one auth method: access keys, "
        "`instance_profile_arn` or `uc_service_credential_name`.",
        "provider",
        check=_check_bedrock_auth,
    ),
    Rule(
        "PROVIDER-010",
        "Google Cloud Vertex AI needs `project_id` and `region`.",
        "provider",
        check=_check_vertex,
    ),
    Rule(
        "PROVIDER-011",
        "Databricks model serving needs `databricks_workspace_url`.",
        "provider",
        check=_check_databricks,
    ),
    Rule(
        "PROVIDER-012",
        "The custom provider needs `custom_provider_url` and exactly one of "
        "`api_key_auth` (with `key`) or `bearer_token_auth`.",
        "provider",
        check=_check_custom,
    ),
)
