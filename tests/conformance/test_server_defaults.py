"""The audit of issue 12 item 5, kept true: every field of the SDK's GET answer
(``ServingEndpointDetailed``, databricks-sdk 0.162) is either described by the diff's field
table (``reconciler/diff/fields.py``: output-only, write-only, backend default, server-chosen,
case-insensitive, recreate-only) or listed below as echoed the way it was sent. A field a
future SDK adds to the answer fails ``test_every_answer_field_is_classified``, naming it:
find out whether the server fills it, then add a rule (and a golden case) or list it here.

Every backend-default and server-chosen rule names the golden plan case that shows a live
body with the server's value planning nothing (tests/golden/plan/); docs/emulator.md says
what the emulator fills and where each fact comes from.
"""

from __future__ import annotations

import json
from pathlib import Path

from databricks.sdk.service import serving
from support import sdk_tree

from reconciler.diff import fields
from reconciler.diff.fields import FieldClass

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "plan"

# Fields the service returns as they were written (no default it fills, no rewriting), so
# they are compared as written. Sources: the SDK docstrings (no default stated), Terraform's
# databricks_model_serving schema (not Computed), the CLI bundle engine (not in
# backend_defaults), and the emulator round trips of tests/conformance.
_E = "config.served_entities[*]"
_X = f"{_E}.external_model"
ECHOED: frozenset[str] = frozenset({
    # AI Gateway: what was written; lists compared as sets.
    "ai_gateway.guardrails.input.invalid_keywords", "ai_gateway.guardrails.input.valid_topics",
    "ai_gateway.guardrails.output.invalid_keywords",
    "ai_gateway.guardrails.output.valid_topics",
    "ai_gateway.inference_table_config.catalog_name",
    "ai_gateway.inference_table_config.schema_name",
    "ai_gateway.rate_limits[*].calls", "ai_gateway.rate_limits[*].principal",
    "ai_gateway.rate_limits[*].tokens",
    # Served entities: identity, sizing the manifest chose, environment.
    f"{_E}.entity_name", f"{_E}.entity_version", f"{_E}.environment_vars",
    f"{_E}.instance_profile_arn", f"{_E}.max_provisioned_throughput",
    f"{_E}.min_provisioned_throughput", f"{_E}.provisioned_model_units",
    f"{_X}.provider", f"{_X}.name", f"{_X}.task",
    # Provider blocks: secret references and plain settings, as written.
    f"{_X}.ai21labs_config.ai21labs_api_key",
    f"{_X}.amazon_bedrock_config.aws_region",
    f"{_X}.amazon_bedrock_config.aws_access_key_id",
    f"{_X}.amazon_bedrock_config.aws_secret_access_key",
    f"{_X}.amazon_bedrock_config.instance_profile_arn",
    f"{_X}.amazon_bedrock_config.uc_service_credential_name",
    f"{_X}.anthropic_config.anthropic_api_key",
    f"{_X}.cohere_config.cohere_api_key",
    f"{_X}.custom_provider_config.custom_provider_url",
    f"{_X}.custom_provider_config.api_key_auth.key",
    f"{_X}.custom_provider_config.api_key_auth.value",
    f"{_X}.custom_provider_config.bearer_token_auth.token",
    f"{_X}.databricks_model_serving_config.databricks_workspace_url",
    f"{_X}.databricks_model_serving_config.databricks_api_token",
    f"{_X}.google_cloud_vertex_ai_config.project_id",
    f"{_X}.google_cloud_vertex_ai_config.region",
    f"{_X}.google_cloud_vertex_ai_config.private_key",
    f"{_X}.openai_config.microsoft_entra_client_id",
    f"{_X}.openai_config.microsoft_entra_client_secret",
    f"{_X}.openai_config.microsoft_entra_tenant_id",
    f"{_X}.openai_config.openai_api_key", f"{_X}.openai_config.openai_api_version",
    f"{_X}.openai_config.openai_deployment_name", f"{_X}.openai_config.openai_organization",
    f"{_X}.palm_config.palm_api_key",
    # Legacy served models: the same, under their own names.
    "config.served_models[*].environment_vars", "config.served_models[*].instance_profile_arn",
    "config.served_models[*].max_provisioned_concurrency",
    "config.served_models[*].min_provisioned_concurrency",
    "config.served_models[*].model_name", "config.served_models[*].model_version",
    "config.served_models[*].provisioned_model_units",
    # Routes written by the manifest (the single default route is a rule).
    "config.traffic_config.routes[*].traffic_percentage",
    "config.traffic_config.routes[*].served_entity_name",
    "config.traffic_config.routes[*].served_model_name",
    # Notifications and tags: what was written (empty lists are dropped on both sides).
    "email_notifications.on_update_failure", "email_notifications.on_update_success",
    "tags[*].key", "tags[*].value",
    # Telemetry (Beta): echoed without the input-only table names (a write-only rule) and
    # the service's own inference-table name (output-only); no default is documented.
    "telemetry_config.enabled_telemetry_features",
    "telemetry_config.inference_table_config.sampling_fraction",
    "telemetry_config.telemetry_profile_id",
})

# Each backend-default / server-chosen rule -> the golden case whose live body has the
# server's value where the manifest has none, and plans nothing (or, for the last ones, a
# case that shows the rule deciding).
GOLDEN_FOR: dict[str, str] = {
    f"{_E}.name": "noop-unnamed-entity-matched-by-identity",
    "config.served_models[*].name": "noop-legacy-served-models",
    f"{_E}.workload_type": "noop-custom-model-backend-defaults",
    "config.served_models[*].workload_type": "noop-legacy-served-models",
    f"{_E}.workload_size": "noop-workload-size-with-echoed-concurrency",
    "config.served_models[*].workload_size": "noop-legacy-served-models",
    f"{_E}.scale_to_zero_enabled": "noop-foundation-model-server-filled-fields",
    "config.served_models[*].scale_to_zero_enabled": "noop-served-models-throughput-not-echoed",
    "config.auto_capture_config.enabled": "noop-auto-capture-enabled-server-filled",
    "config.auto_capture_config.table_name_prefix": "noop-auto-capture-enabled-server-filled",
    "config.traffic_config": "noop-external-backend-defaults",
    "config.served_entities": "noop-served-models-mirrored",
    "config.served_models": "noop-served-models-mirrored",
    "route_optimized": "noop-external-backend-defaults",
    "description": "noop-external-backend-defaults",
    f"{_X}.openai_config.openai_api_type": "noop-external-backend-defaults",
    f"{_X}.openai_config.openai_api_base": "noop-external-backend-defaults",
    f"{_X}.cohere_config.cohere_api_base": "noop-cohere-api-base-server-filled",
    f"{_X}.amazon_bedrock_config.bedrock_provider": "noop-bedrock-provider-lower-cased",
    "ai_gateway.usage_tracking_config": "noop-pt-usage-tracking-server-filled",
    "ai_gateway.usage_tracking_config.enabled": "noop-ai-gateway-defaults",
    "ai_gateway.fallback_config.enabled": "noop-ai-gateway-defaults",
    "ai_gateway.inference_table_config.enabled": "noop-ai-gateway-defaults",
    "ai_gateway.inference_table_config.table_name_prefix": "noop-ai-gateway-defaults",
    "ai_gateway.guardrails.*.safety": "noop-ai-gateway-defaults",
    "ai_gateway.guardrails.*.pii.behavior": "noop-ai-gateway-defaults",
    "ai_gateway.rate_limits[*].key": "noop-ai-gateway-defaults",
    "ai_gateway.rate_limits[*].renewal_period": "noop-ai-gateway-defaults",
    f"{_E}.min_provisioned_concurrency": "noop-workload-size-with-echoed-concurrency",
    f"{_E}.max_provisioned_concurrency": "noop-workload-size-with-echoed-concurrency",
}
DESCRIBED = (FieldClass.DEFAULT, FieldClass.SERVER_CHOSEN, FieldClass.CASE_INSENSITIVE)


def table_path(sdk_path: str) -> str:
    """``config.served_entities[].name`` -> ``config.served_entities[*].name`` (only keyed
    lists keep brackets in the field table; a list of strings is one value)."""
    out = []
    for segment in sdk_path.split("."):
        name = segment.removesuffix("[]")
        out.append(f"{name}[*]" if segment.endswith("[]") and name in fields.KEYED_LISTS
                   else name)
    return ".".join(out)


def answer_paths() -> list[str]:
    leaves = sdk_tree.type_leaves(serving.ServingEndpointDetailed)
    # pending_config is output-only as a whole (its config is compared in place of config
    # while an update is in progress, with the same rules).
    return [table_path(leaf.path) for leaf in leaves if not leaf.path.startswith("pending_config")]


def classified(path: str) -> bool:
    segments = path.split(".")
    prefixes = [".".join(segments[:i]) for i in range(1, len(segments) + 1)]
    if any(fields.has_class(p, FieldClass.OUTPUT_ONLY) or fields.has_class(p, FieldClass.WRITE_ONLY)
           for p in prefixes):
        return True
    return bool(fields.rules_for(path))


def test_every_answer_field_is_classified() -> None:
    unknown = [p for p in answer_paths() if not classified(p) and p not in ECHOED]
    assert not unknown, (
        "ServingEndpointDetailed has fields neither the field table nor ECHOED describes; "
        "find out whether the server fills them:\n  " + "\n  ".join(unknown))


def test_the_echoed_list_has_no_stale_or_ruled_entries() -> None:
    paths = set(answer_paths())
    assert sorted(ECHOED - paths) == []  # gone from the SDK's answer
    assert sorted(p for p in ECHOED if fields.rules_for(p)) == []  # now has a rule


def test_every_server_filled_rule_has_a_golden_case() -> None:
    rules = sorted({r.pattern for r in fields.FIELD_RULES if r.cls in DESCRIBED})
    assert sorted(set(rules) - set(GOLDEN_FOR)) == []
    assert sorted(set(GOLDEN_FOR) - set(rules)) == []  # a rule that is gone
    for pattern, case in GOLDEN_FOR.items():
        live = GOLDEN / case / "live.json"
        assert live.exists(), f"{pattern}: golden case {case} is missing"
        member = pattern.rsplit(".", 1)[-1].removesuffix("[*]")
        assert f'"{member}"' in live.read_text(), f"{case}/live.json has no {member!r}"
        json.loads(live.read_text())
