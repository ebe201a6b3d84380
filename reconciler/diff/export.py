"""live_to_manifest: a clean manifest for a live endpoint (``reconciler export``/``import``).

The manifest holds what a person would write: no output-only fields, no server defaults, no
write-only echoes, none of our reserved ``reconciler-*`` tags. It is built from the same
minimal form the diff compares, so ``export`` followed by ``plan`` shows no changes. Served
entities keep their names (explicit is safer than re-deriving them). Pure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.diff import fields
from reconciler.diff.facets import FACETS
from reconciler.diff.normalise import is_custom_model, minimal_form
from reconciler.diff.permissions import Grants, grants_manifest
from reconciler.model.endpoint import ServingEndpoint
from reconciler.model.gateway import RATE_LIMIT_METRICS
from reconciler.model.live import LiveEndpoint
from reconciler.model.providers import CONFIG_BLOCK, SECRET_PAIRS
from reconciler.model.vocabulary import is_system_endpoint

# What a manifest may manage on a Databricks-provided endpoint (the facet table says which).
ADOPT_ONLY_FIELDS = frozenset({"name"} | {s.key for s in FACETS if s.on_system_endpoint})


def _entity_list(entities: Mapping[str, Any]) -> list[dict[str, Any]]:
    out = []
    for name, body in entities.items():
        entity = {"name": name, **body}
        # The API insists on scale_to_zero_enabled for models ("scaleToZeroEnabled is
        # undefined"), so the manifest keeps it even at its default.
        if is_custom_model(entity):
            entity.setdefault("scale_to_zero_enabled", False)
        out.append(entity)
    return out


@dataclass(frozen=True)
class EnvReference:
    """A write-only secret export could not read, written as ``${env.NAME}`` instead."""

    endpoint: str
    path: str  # config.served_entities[gpt].external_model.openai_config.openai_api_key_plaintext
    variable: str  # OPENAI_API_KEY of ``${env.OPENAI_API_KEY}``


_NOT_NAME = re.compile(r"[^A-Z0-9]+")


def env_variable_name(endpoint: str, entity: str, field: str) -> str:
    """``chat``, ``gpt-4o``, ``openai_api_key_plaintext`` -> ``CHAT_GPT_4O_OPENAI_API_KEY``."""
    words = (endpoint, entity, field.removesuffix("_plaintext"))
    return _NOT_NAME.sub("_", "_".join(words).upper()).strip("_")


_Pair = tuple[tuple[str, ...], str, str]


def _needed_pairs(block_name: str, block: Mapping[str, Any]) -> list[_Pair]:
    """The secret pairs a valid manifest of this provider block must give (PROVIDER-004,
    -007, -009, -012): the same choices validation makes."""
    pairs = list(SECRET_PAIRS.get(block_name, ()))
    if block_name == "openai_config":
        entra = any(block.get(f) for f in ("microsoft_entra_client_id",
                                            "microsoft_entra_tenant_id"))
        wanted = "microsoft_entra_client_secret" if entra else "openai_api_key"
        return [p for p in pairs if p[1] == wanted]
    if block_name == "amazon_bedrock_config":
        if block.get("instance_profile_arn") or block.get("uc_service_credential_name"):
            return []
        return pairs
    if block_name == "custom_provider_config":
        chosen = [p for p in pairs if isinstance(block.get(p[0][0]), Mapping)]
        # Neither auth block came back: bearer auth needs nothing else to be valid.
        return chosen[:1] or [p for p in pairs if p[0] == ("bearer_token_auth",)]
    return pairs


def _raw_blocks(live: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Entity name -> its live ``external_model`` (before the minimal form drops empties)."""
    config = live.get("config")
    entities = config.get("served_entities") if isinstance(config, Mapping) else None
    out: dict[str, Mapping[str, Any]] = {}
    for entity in entities if isinstance(entities, list) else []:
        if isinstance(entity, Mapping) and isinstance(entity.get("external_model"), Mapping):
            out[str(entity.get("name"))] = entity["external_model"]
    return out


def fill_write_only_secrets(
    manifest: dict[str, Any], live: Mapping[str, Any]
) -> list[EnvReference]:
    """Give every secret the API never returns an ``${env.NAME}`` reference (in place).

    GET never returns a ``*_plaintext`` key, so an endpoint created with one exports without
    any key, which validation refuses (PROVIDER-003, -004, -007, -009, -012). Its exported
    manifest instead reads the key from an environment variable with a generated name
    (``env_variable_name``); a secret-scope reference the server does return is kept.
    """
    name = str(manifest.get("name", ""))
    config = manifest.get("config")
    entities = config.get("served_entities") if isinstance(config, dict) else None
    raw = _raw_blocks(live)
    found: list[EnvReference] = []
    for entity in entities if isinstance(entities, list) else []:
        external = entity.get("external_model")
        if not isinstance(external, dict) or external.get("provider") not in CONFIG_BLOCK:
            continue
        block_name = CONFIG_BLOCK[str(external["provider"])]
        block = external.setdefault(block_name, {})
        live_block = raw.get(str(entity.get("name")), {}).get(block_name)
        for sub in ("api_key_auth", "bearer_token_auth"):
            if isinstance(live_block, Mapping) and isinstance(live_block.get(sub), Mapping):
                block.setdefault(sub, {})
        for subpath, reference, plaintext in _needed_pairs(block_name, block):
            holder = block
            for part in subpath:
                holder = holder.setdefault(part, {})
            if holder.get(reference) or holder.get(plaintext):
                continue
            variable = env_variable_name(name, str(entity.get("name")), plaintext)
            holder[plaintext] = f"${{env.{variable}}}"
            where = ".".join(("external_model", block_name, *subpath, plaintext))
            found.append(EnvReference(
                name, f"config.served_entities[{entity.get('name')}].{where}", variable))
    return found


_ENV_REFERENCE = re.compile(r"^\$\{env\.([A-Za-z_][A-Za-z0-9_]*)\}$")


def env_references(manifest: Mapping[str, Any]) -> list[EnvReference]:
    """The ``${env.NAME}`` references of an exported manifest's ``*_plaintext`` fields (the
    keys export could not read), for telling the user which variables to set."""
    name = str(manifest.get("name", ""))
    found: list[EnvReference] = []

    def walk(node: Any, path: str) -> None:
        if not isinstance(node, Mapping):
            return
        for key, value in node.items():
            child = f"{path}.{key}"
            match = _ENV_REFERENCE.match(value) if isinstance(value, str) else None
            if str(key).endswith("_plaintext") and match:
                found.append(EnvReference(name, child, match.group(1)))
            walk(value, child)

    config = manifest.get("config")
    entities = config.get("served_entities") if isinstance(config, Mapping) else None
    for entity in entities if isinstance(entities, list) else []:
        if isinstance(entity, Mapping):
            walk(entity.get("external_model"),
                 f"config.served_entities[{entity.get('name')}].external_model")
    return found


def live_to_manifest(live: LiveEndpoint, grants: Grants | None = None) -> dict[str, Any]:
    """The manifest (a plain dict, in model field order) that reproduces ``live``; with
    ``grants`` (the endpoint's direct grants), its ``permissions`` too."""
    return export_manifest(live, grants)[0]


def export_manifest(live: LiveEndpoint, grants: Grants | None = None,
                    ) -> tuple[dict[str, Any], list[EnvReference]]:
    """``live_to_manifest`` and the ``${env.NAME}`` references it wrote for write-only keys."""
    name = live.name
    form = minimal_form(live.effective_raw(), name)
    config = form.get("config")
    if isinstance(config, dict):
        for key in ("served_entities", "served_models"):
            if key in config:
                config[key] = _entity_list(config[key])
        traffic = config.get("traffic_config")
        if isinstance(traffic, dict) and "routes" in traffic:
            traffic["routes"] = [
                {"served_entity_name": target, **route}
                for target, route in traffic["routes"].items()
            ]
    gateway = form.get("ai_gateway")
    if isinstance(gateway, dict) and "rate_limits" in gateway:
        # Keyed by slot (``user/calls``, ``user/tokens``): the slots of one key and principal
        # become one limit with both metrics, which the service treats the same.
        merged: dict[str, dict[str, Any]] = {}
        for slot, body in gateway["rate_limits"].items():
            base, _, metric = slot.rpartition("/")
            if metric not in RATE_LIMIT_METRICS:
                base = slot
            kind, _, principal = base.partition(":")
            limit = merged.setdefault(
                base, {"key": kind, **({"principal": principal} if principal else {})}
            )
            limit.update(body)
            limit.setdefault("renewal_period", "minute")  # required by the API
        gateway["rate_limits"] = list(merged.values())
    tags = {k: v for k, v in (form.get("tags") or {}).items() if not fields.is_reserved_tag(k)}
    if tags:
        form["tags"] = tags
    else:
        form.pop("tags", None)
    form["name"] = name
    budget = live.raw.get("budget_policy_id")
    if isinstance(budget, str) and budget:
        # Kept when GET returns the requested policy. effective_budget_policy_id is not
        # exported: it may be the workspace's default, which a manifest would then pin.
        form["budget_policy_id"] = budget
    if grants is not None:
        form["permissions"] = grants_manifest(grants)
    if is_system_endpoint(name):
        # Databricks provides these: only their gateway (rate limits) and tags are ours to
        # manage; a manifest with their config would be refused by validation.
        form = {k: v for k, v in form.items() if k in ADOPT_ONLY_FIELDS}
    references = fill_write_only_secrets(form, live.effective_raw())
    order = list(ServingEndpoint.model_fields)
    ordered = {k: form[k] for k in sorted(form, key=lambda k: order.index(k) if k in order else 99)}
    return ordered, references
