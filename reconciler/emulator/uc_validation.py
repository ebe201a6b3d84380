"""Server-side rules of the Unity AI Gateway securables that need more than one field: the
provider block matching ``provider_type``, targets, secrets, traffic percentages, limits,
references to other securables and the fields that cannot change (SDK 0.162 docstrings).

Apart from ``reconciler.validation`` on purpose, as ``validation`` is for endpoints: the
emulator stands for the service, so a rule the reconciler forgets offline still fails here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reconciler.emulator.api_error import invalid
from reconciler.model import unity
from reconciler.model.unity import (
    AUTH_MODES,
    CONNECTION_NAME,
    ENDPOINT_REF_PREFIX,
    MODEL_REF,
    PROVIDER_REF,
    REQUIRED_DIRECT,
    SCHEMA_NAME,
    SECRET_NAME,
)

Doc = dict[str, Any]


def _secret(value: Any, path: str) -> None:
    if not isinstance(value, dict):
        return
    given = [k for k in ("plaintext", "secret_reference") if value.get(k) is not None]
    if len(given) > 1:
        raise invalid(f"{path}: give only one of plaintext or secret_reference.")
    ref = value.get("secret_reference")
    if ref is not None and not SECRET_NAME.match(str(ref.get("name", ""))):
        raise invalid(f"Invalid {path}.secret_reference.name {ref.get('name')!r}: expected "
                      "'secrets/{catalog}.{schema}.{secret}'.")


def check_rate_limits(limits: list[Doc], path: str) -> None:
    seen: set[tuple[str, str, str]] = set()
    for i, limit in enumerate(limits):
        where = f"{path}[{i}]"
        key = str(limit["key"])
        if key in unity.PRINCIPAL_KEYS and not limit.get("principal"):
            raise invalid(f"{where}.principal is required for key {key}.")
        if key not in unity.PRINCIPAL_KEYS and limit.get("principal"):
            raise invalid(f"{where}.principal is not allowed for key {key}.")
        ident = (key, str(limit.get("principal") or ""), str(limit["renewal_period"]))
        if ident in seen:
            raise invalid(f"{where} duplicates another rate limit with the same key, "
                          "principal and renewal period.")
        seen.add(ident)


def _inference_table(table: Doc | None, path: str) -> None:
    if table is not None and not SCHEMA_NAME.match(str(table.get("parent", ""))):
        raise invalid(f"Invalid {path}.parent {table.get('parent')!r}: expected "
                      "'schemas/{catalog}.{schema}'.")


def check_provider_config(config: Doc) -> None:
    ptype = config.get("provider_type")
    if not ptype:
        raise invalid("Missing required field: config.provider_type.")
    block = unity.PROVIDER_BLOCKS[str(ptype)]
    given = [b for b in unity.PROVIDER_BLOCKS.values() if config.get(b) is not None]
    if given != [block]:
        extra = [b for b in given if b != block]
        if extra:
            raise invalid(f"config.{extra[0]} does not match provider_type {ptype}; "
                          f"give only config.{block}.")
        raise invalid(f"provider_type {ptype} needs config.{block}.")
    modes = [m for m in ("direct", "relayed") if config[block].get(m) is not None]
    if len(modes) != 1:
        allowed = "direct or relayed" if block in unity.RELAYED_BLOCKS else "direct"
        raise invalid(f"config.{block} needs exactly one of: {allowed}.")
    if modes == ["direct"]:
        direct = config[block]["direct"]
        where = f"config.{block}.direct"
        for field in REQUIRED_DIRECT.get(block, ()):
            if not direct.get(field):
                raise invalid(f"Missing required field: {where}.{field}.")
        auth = [m for m in AUTH_MODES[block] if direct.get(m) is not None]
        if len(auth) > 1:
            raise invalid(f"{where}: give only one of {', '.join(AUTH_MODES[block])}.")
        for field in ("api_key", "client_secret", "secret_access_key", "api_key_value"):
            _secret(direct.get(field), f"{where}.{field}")
        for holder in ("entra_service_principal", "aws_access_key", "header_auth"):
            for name, value in (direct.get(holder) or {}).items():
                _secret(value, f"{where}.{holder}.{name}")
    targets = config.get("targets") or []
    if block == "custom" and not targets:
        raise invalid("config.targets is required for a custom provider.")
    for i, target in enumerate(targets):
        if not target.get("native_api_types"):
            raise invalid(f"config.targets[{i}].native_api_types needs at least one value.")
        if target.get("endpoint_route") and block != "custom":
            raise invalid(f"config.targets[{i}].endpoint_route is only supported for custom "
                          "providers.")
    check_rate_limits(config.get("rate_limits") or [], "config.rate_limits")
    _inference_table(config.get("inference_table"), "config.inference_table")


def _destination(dest: Doc, path: str, provider: Callable[[str], Doc | None],
                 endpoint_exists: Callable[[str], bool]) -> None:
    wanted = unity.DESTINATION_BLOCKS[str(dest["destination_type"])]
    given = [b for b in unity.DESTINATION_BLOCKS.values() if dest.get(b) is not None]
    if given != [wanted]:
        raise invalid(f"{path}: destination_type {dest['destination_type']} needs exactly "
                      f"{wanted} and no other destination config.")
    if wanted == "external_model_config":
        ext = dest[wanted]
        ref = str(ext["model_provider_service"])
        if not PROVIDER_REF.match(ref):
            raise invalid(f"Invalid {path}.{wanted}.model_provider_service {ref!r}: expected "
                          "'model-provider-services/{catalog}.{schema}.{id}'.")
        service = provider(ref)
        if service is None:
            raise invalid(f"{path}: model provider service '{ref}' does not exist.")
        target = ext["target"]
        if target.get("endpoint_route"):
            raise invalid(f"{path}.{wanted}.target.endpoint_route is not supported on model "
                          "service destinations.")
        pconfig = service.get("config") or {}
        models = {t.get("model") for t in pconfig.get("targets") or []}
        if not pconfig.get("allow_all_targets") and target["model"] not in models:
            raise invalid(f"{path}: target model '{target['model']}' is not among the targets "
                          f"of '{ref}' and it does not allow all targets.")
    elif wanted == "pay_per_token_config":
        model = str(dest[wanted]["model"])
        if not MODEL_REF.match(model):
            raise invalid(f"Invalid {path}.{wanted}.model {model!r}: expected "
                          "'models/{catalog}.{schema}.{model}'.")
    else:
        endpoint = str(dest[wanted]["model_serving_endpoint"])
        if not endpoint.startswith(ENDPOINT_REF_PREFIX):
            raise invalid(f"Invalid {path}.{wanted}.model_serving_endpoint {endpoint!r}: "
                          "expected 'serving-endpoints/{name}'.")
        if not endpoint_exists(endpoint.removeprefix(ENDPOINT_REF_PREFIX)):
            raise invalid(f"{path}: serving endpoint '{endpoint}' does not exist.")


def check_model_service_config(config: Doc, provider: Callable[[str], Doc | None],
                               endpoint_exists: Callable[[str], bool]) -> None:
    routing = config.get("routing") or {}
    primary = routing.get("destinations") or []
    fallback = (routing.get("fallback") or {}).get("destinations") or []
    if not primary:
        raise invalid("config.routing.destinations needs at least one destination.")
    if len(primary) > unity.MAX_DESTINATIONS:
        raise invalid(f"config.routing.destinations has {len(primary)} destinations; at most "
                      f"{unity.MAX_DESTINATIONS}.")
    if len(fallback) > unity.MAX_FALLBACKS:
        raise invalid(f"config.routing.fallback.destinations has {len(fallback)} "
                      f"destinations; at most {unity.MAX_FALLBACKS}.")
    names: set[str] = set()
    lists = (("config.routing.destinations", primary),
             ("config.routing.fallback.destinations", fallback))
    for where, dests in lists:
        for i, dest in enumerate(dests):
            if dest["name"] in names:
                raise invalid(f"{where}[{i}].name '{dest['name']}' is used twice.")
            names.add(dest["name"])
            _destination(dest, f"{where}[{i}]", provider, endpoint_exists)
    if len(primary) > 1:
        missing = [d["name"] for d in primary if d.get("traffic_percentage") is None]
        if missing:
            raise invalid(f"config.routing.destinations: traffic_percentage is required on "
                          f"every destination when there are several ('{missing[0]}').")
        total = sum(int(d["traffic_percentage"]) for d in primary)
        if total != 100:
            raise invalid("config.routing.destinations: traffic percentages must sum to 100, "
                          f"not {total}.")
    check_rate_limits(config.get("rate_limits") or [], "config.rate_limits")
    _inference_table(config.get("inference_table"), "config.inference_table")


def check_mcp_config(config: Doc) -> None:
    source = config.get("source_connection")
    if not source:
        raise invalid("Missing required field: config.source_connection.")
    if not CONNECTION_NAME.match(str(source.get("name", ""))):
        raise invalid(f"Invalid config.source_connection.name {source.get('name')!r}: "
                      "expected 'connections/{catalog}.{schema}.{connection}'.")
    check_rate_limits(config.get("rate_limits") or [], "config.rate_limits")


def check_immutable(old: Doc, new: Doc) -> None:
    """Fields fixed after creation: the provider type and a created inference table."""
    old_config, new_config = old.get("config") or {}, new.get("config") or {}
    if "provider_type" in old_config and \
            new_config.get("provider_type") != old_config["provider_type"]:
        raise invalid(f"config.provider_type is immutable ({old_config['provider_type']}).")
    old_table, new_table = old_config.get("inference_table"), new_config.get("inference_table")
    if old_table and new_table:
        for field in ("parent", "table_name_prefix"):
            if old_table.get(field) != new_table.get(field):
                raise invalid(f"config.inference_table.{field} cannot change once the "
                              "inference table is created.")
