"""The Unity AI Gateway securables as stored documents: names, etags, update masks, secrets,
and the BASIC/FULL views (databricks-sdk 0.162, ``AiGatewayAPI``).

Pure functions over JSON documents; the HTTP layer is ``uc_routes``. What the SDK documents
is followed; what it leaves open is chosen here and listed in docs/unity-gateway.md
(etag mismatch answers 409 ABORTED; an invalid mask 400 INVALID_PARAMETER_VALUE).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from reconciler.emulator import uc_schemas
from reconciler.emulator.api_error import ApiError, invalid
from reconciler.emulator.endpoints import prune
from reconciler.model import unity

Doc = dict[str, Any]
SECRET_DIGEST = "plaintext_digest"  # what is kept instead of a plaintext (never returned)
# Direct-config members that carry authentication; a replacement without any keeps the old.
AUTH_FIELDS = ("api_key", "aws_access_key", "entra_service_principal", "service_credential",
               "header_auth")


@dataclass(frozen=True)
class Kind:
    """One kind of securable: where it lives in the URL space and what may be masked."""

    collection: str          # URL segment and name prefix: model-services
    id_param: str            # create's query parameter: model_service_id
    list_key: str            # list answer's member: model_services
    label: str               # for messages: Model service
    securable_type: str      # UC grants: MODEL_SERVICE
    config_schema: uc_schemas.Schema
    masks: frozenset[str]

    def name(self, full_name: str) -> str:
        return f"{self.collection}/{full_name}"


MODEL_PROVIDER_SERVICE = Kind(
    "model-provider-services", "model_provider_service_id", "model_provider_services",
    "Model provider service", "MODEL_PROVIDER_SERVICE", uc_schemas.PROVIDER_CONFIG,
    frozenset({"comment", "config", "config.provider", "config.allow_all_targets",
               "config.targets", "config.forward_headers", "config.forward_query_parameters",
               "config.forward_unmanaged_paths", "config.rate_limits",
               "config.pricing.default_discount_basis_points", "config.inference_table"}))
MODEL_SERVICE = Kind(
    "model-services", "model_service_id", "model_services", "Model service", "MODEL_SERVICE",
    uc_schemas.MODEL_SERVICE_CONFIG,
    frozenset({"comment", "config", "config.routing.destinations",
               "config.routing.fallback.destinations", "config.rate_limits",
               "config.inference_table"}))
MCP_SERVICE = Kind(
    "mcp-services", "mcp_service_id", "mcp_services", "MCP service", "MCP_SERVICE",
    uc_schemas.MCP_SERVICE_CONFIG,
    frozenset({"comment", "config", "config.source_connection", "config.include_tool_selectors",
               "config.rate_limits"}))
KINDS: dict[str, Kind] = {k.collection: k for k in (MODEL_PROVIDER_SERVICE, MODEL_SERVICE,
                                                     MCP_SERVICE)}
BY_SECURABLE_TYPE: dict[str, Kind] = {k.securable_type: k for k in KINDS.values()}


def rfc3339(epoch_ms: int) -> str:
    stamp = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_etag() -> str:
    # Random bytes in standard base64: '+', '/' and '=' make clients URL-encode it.
    return base64.b64encode(os.urandom(12)).decode()


def check_part(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise invalid(f"{what} is required.")
    if len(value) > unity.MAX_NAME_PART:
        raise invalid(f"{what} is longer than {unity.MAX_NAME_PART} characters.")
    if "." in value or "/" in value:
        raise invalid(f"{what} '{value}' must not contain '.' or '/'.")
    return value


def parse_parent(parent: Any) -> tuple[str, str]:
    """``schemas/{catalog}.{schema}`` -> (catalog, schema)."""
    if not isinstance(parent, str) or not parent.startswith("schemas/"):
        raise invalid(f"Invalid parent {parent!r}: expected 'schemas/{{catalog}}.{{schema}}'.")
    parts = parent[len("schemas/"):].split(".")
    if len(parts) != 2:
        raise invalid(f"Invalid parent {parent!r}: expected 'schemas/{{catalog}}.{{schema}}'.")
    return check_part(parts[0], "Catalog name"), check_part(parts[1], "Schema name")


def not_found(kind: Kind, name: str) -> ApiError:
    return ApiError(404, "RESOURCE_DOES_NOT_EXIST", f"{kind.label} '{name}' does not exist.")


def stale_etag(kind: Kind, name: str) -> ApiError:
    return ApiError(409, "ABORTED",
                    f"{kind.label} '{name}' has changed since it was read (etag mismatch); "
                    "read it again and retry.")


def check_etag(kind: Kind, doc: Doc, etag: str | None) -> None:
    if etag is not None and etag != doc["etag"]:
        raise stale_etag(kind, doc["name"])


# --- secrets ---------------------------------------------------------------------------------
def strip_plaintext(value: Any, salt: str) -> Any:
    """``value`` with every ``{plaintext: ...}`` replaced by a salted digest of it."""
    if isinstance(value, dict):
        out: Doc = {}
        for key, item in value.items():
            if key == "plaintext" and isinstance(item, str):
                out[SECRET_DIGEST] = hashlib.sha256(f"{salt}\0{item}".encode()).hexdigest()[:16]
            else:
                out[key] = strip_plaintext(item, salt)
        return out
    if isinstance(value, list):
        return [strip_plaintext(item, salt) for item in value]
    return value


def _without_digests(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_digests(v) for k, v in value.items() if k != SECRET_DIGEST}
    if isinstance(value, list):
        return [_without_digests(v) for v in value]
    return value


def _keep_auth(new_block: Doc, old_block: Doc | None) -> Doc:
    """A provider block without authentication material keeps the stored binding; a secret
    sent back empty (as reads show it) keeps the stored secret."""
    if not old_block:
        return new_block
    merged = copy.deepcopy(new_block)
    for mode, new_mode in merged.items():
        old_mode = old_block.get(mode)
        if not isinstance(new_mode, dict) or not isinstance(old_mode, dict):
            continue
        if not any(new_mode.get(f) for f in AUTH_FIELDS):
            for f in AUTH_FIELDS:
                if f in old_mode:
                    new_mode[f] = copy.deepcopy(old_mode[f])
        _refill_empty_secrets(new_mode, old_mode)
    return merged


def _refill_empty_secrets(new: Doc, old: Doc) -> None:
    for key, value in new.items():
        if value == {} and isinstance(old.get(key), dict) and old[key]:
            new[key] = copy.deepcopy(old[key])
        elif isinstance(value, dict) and isinstance(old.get(key), dict):
            _refill_empty_secrets(value, old[key])


# --- create and update ---------------------------------------------------------------------
def new_document(kind: Kind, body: Doc, *, catalog: str, schema: str, service_id: str,
                 creator: str, now_ms: int, metastore_id: str, salt: str) -> Doc:
    full = f"{catalog}.{schema}.{service_id}"
    doc: Doc = {"name": kind.name(full)}
    if body.get("comment") is not None:
        doc["comment"] = body["comment"]
    doc["config"] = strip_plaintext(prune(kind.config_schema, body.get("config") or {}), salt)
    stamp = rfc3339(now_ms)
    doc.update(create_time=stamp, created_by=creator, update_time=stamp, updated_by=creator,
               effective_owner=creator, metastore_id=metastore_id, etag=new_etag())
    return doc


def parse_mask(kind: Kind, raw: str | None) -> list[str]:
    if raw is None or not raw.strip():
        raise invalid("update_mask is required.")
    paths = [p.strip() for p in raw.split(",")]
    for path in paths:
        if "*" in path:
            raise invalid(f"Invalid update_mask path '{path}': wildcards are not supported.")
        if path not in kind.masks:
            allowed = ", ".join(sorted(kind.masks))
            raise invalid(f"Invalid update_mask path '{path}' for a {kind.label.lower()}; "
                          f"supported paths: {allowed}.")
    return paths


def _set_path(target: Doc, dotted: str, source: Doc) -> None:
    """Copy ``dotted`` from ``source`` into ``target``; absent in source clears it."""
    keys = dotted.split(".")
    src: Any = source
    for key in keys:
        src = src.get(key) if isinstance(src, dict) else None
    node = target
    for key in keys[:-1]:
        node = node.setdefault(key, {})
    if src is None or src == []:
        node.pop(keys[-1], None)
    else:
        node[keys[-1]] = copy.deepcopy(src)


def _tidy_routing(config: Doc) -> None:
    """No empty ``routing.fallback`` or ``routing`` left behind by a cleared path."""
    routing = config.get("routing")
    if isinstance(routing, dict):
        if routing.get("fallback") == {}:
            routing.pop("fallback")
        if not routing:
            config.pop("routing")


def apply_mask(kind: Kind, old: Doc, body: Doc, paths: list[str], salt: str) -> Doc:
    """The stored document after a PATCH: only the masked fields change."""
    doc = copy.deepcopy(old)
    old_config: Doc = old.get("config") or {}
    new_config = strip_plaintext(prune(kind.config_schema, body.get("config") or {}), salt)
    config: Doc = doc.setdefault("config", {})
    for path in paths:
        if path == "comment":
            _set_path(doc, "comment", body)
        elif path == "config":
            replaced = copy.deepcopy(new_config)
            for block in unity.PROVIDER_BLOCKS.values():
                if block in replaced:
                    replaced[block] = _keep_auth(replaced[block], old_config.get(block))
            doc["config"] = config = replaced
        elif path == "config.provider":
            block = unity.PROVIDER_BLOCKS.get(str(old_config.get("provider_type")), "")
            for other in unity.PROVIDER_BLOCKS.values():
                if other != block and other in new_config:
                    raise invalid(f"config.{other} does not match the provider type "
                                  f"{old_config.get('provider_type')} (immutable).")
            if block not in new_config:
                raise invalid(f"update_mask 'config.provider' needs config.{block}.")
            config[block] = _keep_auth(new_config[block], old_config.get(block))
        elif path == "config.pricing.default_discount_basis_points":
            if "pricing" not in new_config:
                config.pop("pricing", None)
            else:
                config["pricing"] = dict(new_config["pricing"])
        else:
            _set_path(config, path[len("config."):], new_config)
            _tidy_routing(config)
    return doc


def touch(doc: Doc, who: str, now_ms: int) -> Doc:
    doc["update_time"] = rfc3339(now_ms)
    doc["updated_by"] = who
    doc["etag"] = new_etag()
    return doc


# --- reads -----------------------------------------------------------------------------------
def derived(kind: Kind, doc: Doc) -> Doc:
    """Output-only members computed at read time (inference table name, API types)."""
    out: Doc = _without_digests(doc)
    config = out.get("config") or {}
    table = config.get("inference_table")
    if isinstance(table, dict) and table.get("parent"):
        schema_part = str(table["parent"]).removeprefix("schemas/")
        service_id = str(out["name"]).rsplit(".", 1)[-1]
        prefix = table.get("table_name_prefix") or service_id
        table["table"] = f"tables/{schema_part}.{prefix}_payload"
    if kind is MODEL_SERVICE:
        out["supported_api_types"] = supported_api_types(config)
    return out


def supported_api_types(config: Doc) -> list[str]:
    routing = config.get("routing") or {}
    types: set[str] = set()
    for dest in (routing.get("destinations") or []):
        external = dest.get("external_model_config")
        if external:
            types.update((external.get("target") or {}).get("native_api_types") or [])
        else:  # Databricks-hosted foundation models speak the chat API
            types.add("openai/v1/chat/completions")
    if types & {"openai/v1/chat/completions"}:
        types.add("mlflow/v1/chat/completions")
    return sorted(types)


def basic(kind: Kind, full: Doc) -> Doc:
    """The BASIC list view: no destinations, inference-table details, credentials or
    rate-limit principals."""
    out = copy.deepcopy(full)
    config = out.get("config") or {}
    config.pop("inference_table", None)
    for limit in config.get("rate_limits") or []:
        limit.pop("principal", None)
    if kind is MODEL_SERVICE:
        routing = config.get("routing") or {}
        routing.pop("destinations", None)
        routing.pop("fallback", None)
        if not routing:
            config.pop("routing", None)
    elif kind is MODEL_PROVIDER_SERVICE:
        for block in unity.PROVIDER_BLOCKS.values():
            for mode in (config.get(block) or {}).values():
                if isinstance(mode, dict):
                    for field in AUTH_FIELDS:
                        mode.pop(field, None)
    elif kind is MCP_SERVICE:
        config.pop("source_connection", None)
    return out
