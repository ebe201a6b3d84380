"""live_to_manifest: a clean manifest for a live endpoint (``reconciler export``/``import``).

The manifest holds what a person would write: no output-only fields, no server defaults, no
write-only echoes, none of our reserved ``reconciler-*`` tags. It is built from the same
minimal form the diff compares, so ``export`` followed by ``plan`` shows no changes. Served
entities keep their names (explicit is safer than re-deriving them). Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.diff import fields
from reconciler.diff.compare import effective_live
from reconciler.diff.normalise import is_custom_model, minimal_form
from reconciler.model.endpoint import ServingEndpoint
from reconciler.model.gateway import RATE_LIMIT_METRICS

SYSTEM_ENDPOINT_PREFIX = "databricks-"
# What a manifest may manage on a Databricks-provided endpoint.
ADOPT_ONLY_FIELDS = frozenset({"name", "ai_gateway", "tags"})


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


def live_to_manifest(live_json: Mapping[str, Any]) -> dict[str, Any]:
    """The manifest (a plain dict, in model field order) that reproduces ``live_json``."""
    name = str(live_json.get("name", ""))
    form = minimal_form(effective_live(live_json), name)
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
    if name.startswith(SYSTEM_ENDPOINT_PREFIX):
        # Databricks provides these: only their gateway (rate limits) and tags are ours to
        # manage; a manifest with their config would be refused by validation.
        form = {k: v for k, v in form.items() if k in ADOPT_ONLY_FIELDS}
    order = list(ServingEndpoint.model_fields)
    return {k: form[k] for k in sorted(form, key=lambda k: order.index(k) if k in order else 99)}
