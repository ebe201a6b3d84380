"""Server-side validation: the 400 INVALID_PARAMETER_VALUE answers of the real service.

It is written apart from ``reconciler.validation`` on purpose: the emulator stands for the
service, so a rule the reconciler forgets to check offline still fails here, as it would on
a workspace. Structural checks (types, enums, required members) come from ``schemas``;
this module adds the rules that need more than one field: secret pairs, provider/config
mismatch, traffic, mixed tasks and kinds, and the fields that cannot change after creation.
Where the reference marks a rule as inferred, the choice is listed in docs/emulator.md.
"""

from __future__ import annotations

import re
from typing import Any

from reconciler.emulator import schema_check, schemas
from reconciler.emulator.api_error import invalid
from reconciler.model import endpoint as endpoint_model
from reconciler.model import providers
from reconciler.model.gateway import rate_limit_slots
from reconciler.model.pt_route import is_pt_route_only

NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]+$")
# Not documented by the service; 64 is the only limit any Databricks client enforces.
MAX_NAME_LENGTH = 64
MAX_SERVED_ENTITIES = endpoint_model.MAX_SERVED_ENTITIES
MAX_GATEWAY_RATE_LIMITS = 20
SECRET_REFERENCE = re.compile(r"^\{\{secrets/[^/{}\s]+/[^/{}\s]+\}\}$")
TASKS = providers.TASKS
# Fields an external-model entity may not carry (the provider does the serving).
NOT_WITH_EXTERNAL = (
    "entity_name", "entity_version", "workload_size", "workload_type", "scale_to_zero_enabled",
    "min_provisioned_concurrency", "max_provisioned_concurrency", "min_provisioned_throughput",
    "max_provisioned_throughput", "provisioned_model_units", "burst_scaling_enabled",
)
PROVISIONED = (
    "min_provisioned_throughput", "max_provisioned_throughput", "provisioned_model_units",
)


def check_body(schema: schemas.Schema, body: Any, path: str = "") -> None:
    problem = schema_check.check(schema, body, path)
    if problem:
        raise invalid(problem)


def check_name(name: Any, what: str = "Endpoint name") -> None:
    if not isinstance(name, str) or not name:
        raise invalid(f"{what} must be a non-empty string.")
    if len(name) > MAX_NAME_LENGTH:
        raise invalid(f"{what} '{name[:20]}...' is longer than {MAX_NAME_LENGTH} characters.")
    if not NAME_PATTERN.match(name):
        raise invalid(
            f"{what} '{name}' is invalid: it may contain only alphanumeric characters, "
            "dashes and underscores."
        )


def check_create(body: dict[str, Any]) -> None:
    """Everything about a create body that does not depend on stored state."""
    if isinstance(body.get("name"), str):
        check_name(body["name"])  # before the schema, for the clearer message
    check_body(schemas.CREATE_ENDPOINT, body)
    if body.get("config") is not None:
        check_config(body["config"], "config")
    if body.get("ai_gateway") is not None:
        check_gateway(body["ai_gateway"], None, "ai_gateway")
    check_tags(body.get("tags") or [], "tags")
    if body.get("route_optimized") and _has_external(body.get("config") or {}):
        raise invalid("Route optimization is not supported for endpoints with external models.")


def check_pt_create(body: dict[str, Any]) -> None:
    """A ``POST .../pt`` body: the PT shape, then everything a create checks."""
    if isinstance(body.get("name"), str):
        check_name(body["name"])
    check_body(schemas.PT_CREATE, body)
    check_pt_config(body["config"], "config")
    check_create(body)


def check_classic_route(config: Any) -> None:
    """A config written through the classic create or ``PUT .../config``: newer foundation
    models are refused there, as the service does (``PT_ROUTE_ONLY``)."""
    if not isinstance(config, dict):
        return
    for key, field in (("served_entities", "entity_name"), ("served_models", "model_name")):
        for entity in config.get(key) or []:
            name = entity.get(field) if isinstance(entity, dict) else None
            if is_pt_route_only(name):
                raise invalid(f"Served entity {name} is not eligible for Provisioned "
                              "Throughput.")


def check_pt_config(config: dict[str, Any], path: str) -> None:
    """Only PtServedModel fields: a member the PT routes do not take is refused, not dropped
    (a workload size there is a classic endpoint written to the wrong route)."""
    for index, entity in enumerate(config.get("served_entities") or []):
        extra = sorted(set(entity) - set(schemas.PT_SERVED_ENTITY["properties"]))
        if extra:
            raise invalid(f"{path}.served_entities[{index}].{extra[0]}: not a field of a "
                          "provisioned-throughput served entity.")
    check_config(config, path)


def check_config(config: dict[str, Any], path: str) -> None:
    """A core config (create's ``config`` or the body of ``PUT .../config``)."""
    entities = config.get("served_entities") or []
    models = config.get("served_models") or []
    if entities and models:
        raise invalid(f"{path}: served_entities and served_models cannot both be given.")
    if not entities and not models:
        raise invalid(f"{path}: at least one served entity must be given.")
    items = entities or models
    key = "served_entities" if entities else "served_models"
    if len(items) > MAX_SERVED_ENTITIES:
        raise invalid(f"{path}.{key}: at most {MAX_SERVED_ENTITIES} served entities are allowed.")
    for index, item in enumerate(items):
        item_path = f"{path}.{key}[{index}]"
        if entities:
            _check_entity(item, item_path)
        else:
            _check_served_model(item, item_path)
    _check_kinds_and_tasks(entities, f"{path}.{key}")
    if config.get("auto_capture_config") is not None:
        _check_table_config(config["auto_capture_config"], f"{path}.auto_capture_config")


def _check_entity(entity: dict[str, Any], path: str) -> None:
    # proto3 JSON: an empty string is the same as an unset field (the name is defaulted).
    if entity.get("name"):
        check_name(entity["name"], f"{path}.name")
    external = entity.get("external_model")
    if external is not None:
        clash = [f for f in NOT_WITH_EXTERNAL if entity.get(f) is not None]
        if clash:
            if any(f in PROVISIONED for f in clash):
                raise invalid("Provisioned throughput is not supported for endpoints with "
                              "external models.")
            raise invalid(f"{path}: {clash[0]} cannot be set on an external model entity.")
        check_external_model(external, f"{path}.external_model")
        return
    if not entity.get("entity_name"):
        raise invalid(f"{path}: one of entity_name or external_model must be given.")
    _check_scaling(entity, path)


def _check_served_model(model: dict[str, Any], path: str) -> None:
    if model.get("name"):
        check_name(model["name"], f"{path}.name")
    for field in ("model_name", "model_version"):
        if not model.get(field):
            raise invalid(f"Missing required field: {path}.{field}.")
    _check_scaling(model, path)


def _check_scaling(entity: dict[str, Any], path: str) -> None:
    concurrency = ("min_provisioned_concurrency", "max_provisioned_concurrency")
    has_range = any(entity.get(f) is not None for f in concurrency)
    if entity.get("workload_size") is not None and has_range:
        raise invalid(f"{path}: workload_size cannot be combined with "
                      "min/max_provisioned_concurrency.")
    low, high = (entity.get(f) for f in concurrency)
    if low is not None and high is not None and low > high:
        raise invalid(f"{path}: min_provisioned_concurrency is greater than the maximum.")
    provisioned = any(entity.get(f) is not None for f in PROVISIONED)
    if entity.get("scale_to_zero_enabled") is None and not provisioned:
        raise invalid(f"{path}: scaleToZeroEnabled is undefined. Please set it to either "
                      "true or false.")


def check_external_model(model: dict[str, Any], path: str) -> None:
    for field in ("name", "provider", "task"):
        if not model.get(field):
            raise invalid(f"Missing required field: {path}.{field}.")
    if model["task"] not in TASKS:
        raise invalid(f"{path}.task: unsupported task '{model['task']}'; expected one of: "
                      f"{', '.join(TASKS)}.")
    block = providers.CONFIG_BLOCK[model["provider"]]
    others = [b for b in providers.CONFIG_BLOCK.values() if b != block and model.get(b)]
    if others:
        raise invalid(f"{path}: {others[0]} does not match provider '{model['provider']}'; "
                      f"expected {block}.")
    config = model.get(block)
    if config is None:
        raise invalid(f"{path}: {block} is required for provider '{model['provider']}'.")
    _check_provider_config(block, config, f"{path}.{block}")


def _pair(config: dict[str, Any], ref: str, plain: str, path: str, needed: bool = True) -> bool:
    """Exactly one of a secret reference and its plaintext twin; returns whether one is set."""
    has_ref, has_plain = config.get(ref) is not None, config.get(plain) is not None
    if has_ref and has_plain:
        raise invalid(f"{path}: only one of {ref} and {plain} may be given.")
    if needed and not (has_ref or has_plain):
        raise invalid(f"{path}: one of {ref} or {plain} must be given.")
    if has_ref and not SECRET_REFERENCE.match(config[ref]):
        raise invalid(f"{path}.{ref} must be a secret reference of the form "
                      "{{secrets/<scope>/<key>}}.")
    if has_plain and not config[plain]:
        raise invalid(f"{path}.{plain} must not be empty.")
    return has_ref or has_plain


def _require(config: dict[str, Any], fields: tuple[str, ...], path: str) -> None:
    for field in fields:
        if not config.get(field):
            raise invalid(f"Missing required field: {path}.{field}.")


def _check_provider_config(block: str, config: dict[str, Any], path: str) -> None:
    if block == "openai_config":
        api_type = config.get("openai_api_type") or "openai"
        if api_type in ("azure", "azuread"):
            _require(config, ("openai_api_base", "openai_api_version", "openai_deployment_name"),
                     path)
        if api_type == "azuread":
            _require(config, ("microsoft_entra_tenant_id", "microsoft_entra_client_id"), path)
            _pair(config, "microsoft_entra_client_secret",
                  "microsoft_entra_client_secret_plaintext", path)
            _pair(config, "openai_api_key", "openai_api_key_plaintext", path, needed=False)
        else:
            _pair(config, "openai_api_key", "openai_api_key_plaintext", path)
        return
    if block == "amazon_bedrock_config":
        _require(config, ("aws_region", "bedrock_provider"), path)
        if config["bedrock_provider"].lower() not in providers.BEDROCK_PROVIDERS:
            raise invalid(f"{path}.bedrock_provider: unsupported value "
                          f"'{config['bedrock_provider']}'.")
        has_id = _pair(config, "aws_access_key_id", "aws_access_key_id_plaintext", path, False)
        has_secret = _pair(config, "aws_secret_access_key", "aws_secret_access_key_plaintext",
                           path, False)
        if has_id != has_secret:
            raise invalid(f"{path}: an access key id and a secret access key go together.")
        if not has_id and not config.get("instance_profile_arn") and not config.get(
            "uc_service_credential_name"
        ):
            raise invalid(f"{path}: give access keys, instance_profile_arn or "
                          "uc_service_credential_name.")
        return
    if block == "custom_provider_config":
        _require(config, ("custom_provider_url",), path)
        methods = [m for m in ("api_key_auth", "bearer_token_auth") if config.get(m) is not None]
        if len(methods) != 1:
            raise invalid(f"{path}: exactly one of api_key_auth or bearer_token_auth must be "
                          "given.")
        if methods[0] == "api_key_auth":
            _require(config["api_key_auth"], ("key",), f"{path}.api_key_auth")
            _pair(config["api_key_auth"], "value", "value_plaintext", f"{path}.api_key_auth")
        else:
            _pair(config["bearer_token_auth"], "token", "token_plaintext",
                  f"{path}.bearer_token_auth")
        return
    required = {
        "google_cloud_vertex_ai_config": ("project_id", "region"),
        "databricks_model_serving_config": ("databricks_workspace_url",),
    }.get(block, ())
    _require(config, required, path)
    for subpath, ref, plain in providers.SECRET_PAIRS[block]:
        if not subpath:
            _pair(config, ref, plain, path)


def _has_external(config: dict[str, Any]) -> bool:
    return any(e.get("external_model") for e in config.get("served_entities") or [])


def _check_kinds_and_tasks(entities: list[dict[str, Any]], path: str) -> None:
    external = [e for e in entities if e.get("external_model")]
    if external and len(external) != len(entities):
        raise invalid(f"{path}: external models cannot be mixed with other kinds of served "
                      "entities in one endpoint.")
    tasks = sorted({e["external_model"]["task"] for e in external})
    if len(tasks) > 1:
        raise invalid(f"{path}: all external models of an endpoint must have the same task; "
                      f"got {', '.join(tasks)}.")


def check_traffic(routes: list[dict[str, Any]], names: list[str], path: str) -> None:
    """Routes name existing entities, each once, and add up to 100."""
    seen: set[str] = set()
    for index, route in enumerate(routes):
        entity = route.get("served_entity_name")
        model = route.get("served_model_name")
        if entity and model and entity != model:
            raise invalid(f"{path}.routes[{index}]: served_entity_name and served_model_name "
                          "differ.")
        target = entity or model
        if not target:
            raise invalid(f"Missing required field: {path}.routes[{index}].served_entity_name.")
        if target not in names:
            raise invalid(f"{path}.routes[{index}]: served entity '{target}' is not in the "
                          "config.")
        if target in seen:
            raise invalid(f"{path}: more than one route for served entity '{target}'.")
        seen.add(target)
    total = sum(int(r["traffic_percentage"]) for r in routes)
    if total != 100:
        raise invalid(f"{path}: the traffic percentages of all routes must add up to 100, "
                      f"got {total}.")


def _check_table_config(table: dict[str, Any], path: str) -> None:
    if table.get("enabled") and not (table.get("catalog_name") and table.get("schema_name")):
        raise invalid(f"{path}: catalog_name and schema_name are required to enable "
                      "inference tables.")


def check_gateway(gateway: dict[str, Any], old: dict[str, Any] | None, path: str) -> None:
    """An AI Gateway block; ``old`` is the stored one, for the fields that are locked."""
    limits = gateway.get("rate_limits") or []
    if len(limits) > MAX_GATEWAY_RATE_LIMITS:
        raise invalid(f"{path}.rate_limits: at most {MAX_GATEWAY_RATE_LIMITS} rate limits.")
    seen: set[tuple[str, str | None, str]] = set()
    for index, limit in enumerate(limits):
        where = f"{path}.rate_limits[{index}]"
        if limit.get("calls") is None and limit.get("tokens") is None:
            raise invalid(f"{where}: at least one of calls or tokens must be given.")
        key = limit.get("key") or "endpoint"
        principal = limit.get("principal")
        if key == "endpoint" and principal:
            raise invalid(f"{where}: principal cannot be set for key 'endpoint'.")
        if key in ("user_group", "service_principal") and not principal:
            raise invalid(f"{where}: principal is required for key '{key}'.")
        for slot in rate_limit_slots(limit):
            if slot in seen:
                raise invalid(f"{where}: duplicate {slot[2]} rate limit for key '{key}'"
                              + (f" and principal '{principal}'." if principal else "."))
            seen.add(slot)
    table = gateway.get("inference_table_config")
    if table is not None:
        _check_table_config(table, f"{path}.inference_table_config")
        before = (old or {}).get("inference_table_config") or {}
        if before.get("enabled") and table.get("enabled"):
            for field in ("catalog_name", "schema_name", "table_name_prefix"):
                if table.get(field) is not None and table[field] != before.get(field):
                    raise invalid(f"{path}.inference_table_config.{field} cannot be changed "
                                  "while inference tables are enabled; disable them first.")


def check_tags(tags: list[dict[str, Any]], path: str) -> None:
    keys: set[str] = set()
    for index, tag in enumerate(tags):
        key = tag.get("key")
        if not key:
            raise invalid(f"{path}[{index}].key must be a non-empty string.")
        if key in keys:
            raise invalid(f"{path}: duplicate tag key '{key}'.")
        keys.add(key)
