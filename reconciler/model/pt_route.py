"""Which REST route writes an endpoint: the classic one, or the provisioned-throughput one.

Provisioned throughput has two shapes (docs/manifests.md): a manifest whose served entities
are all the SDK's ``PtServedModel`` (``provisioned_model_units`` and nothing the PT create
lacks) goes through ``POST .../pt`` and ``PUT .../pt/{name}/config``; anything else through
the classic create and ``PUT .../config``. The planner picks the route with it, validation
checks that the models that deploy only through the PT routes are written in their shape,
and the emulator refuses them on the classic routes as the service does.
"""

from __future__ import annotations

from typing import Any

from reconciler.model.endpoint import ServingEndpoint

# PtServedModel's fields (SDK 0.162): an entity with only these, and provisioned_model_units.
PT_ENTITY_MEMBERS = ("name", "entity_name", "entity_version", "provisioned_model_units",
                     "burst_scaling_enabled")
PT_ENTITY_FIELDS = frozenset(PT_ENTITY_MEMBERS)
# Members of the classic create body that POST .../pt does not take.
NOT_IN_PT_CREATE = ("description", "route_optimized", "telemetry_config", "rate_limits")
# Foundation models that deploy only through the provisioned-throughput routes (POST .../pt,
# PUT .../pt/{name}/config); the classic routes refuse them with the message of
# databricks-sdk-py issue #1081 ("Served entity system.ai.gpt-oss-120b is not eligible for
# Provisioned Throughput.", classic create, while the UI, which uses /pt, worked). Terraform's
# databricks_model_serving docs send "newer foundation models, including Llama 4" to the PT
# resource. The service does not publish the list; these two families are the evidence.
PT_ROUTE_ONLY = ("system.ai.gpt-oss-", "system.ai.llama-4-")


def is_pt_route_only(entity_name: Any) -> bool:
    """A foundation model the classic routes refuse (``PT_ROUTE_ONLY``)."""
    return isinstance(entity_name, str) and entity_name.startswith(PT_ROUTE_ONLY)


def classic_reason(endpoint: ServingEndpoint) -> str | None:
    """Why the manifest goes to the classic routes (None: the PT routes write it).

    The PT routes write an endpoint with served entities only (no legacy served models, no
    auto-capture tables), each with ``provisioned_model_units`` and nothing outside
    PtServedModel, and no member the PT create lacks (``description``, ``route_optimized``,
    ``telemetry_config``).
    """
    config = endpoint.config
    if config is None or not config.served_entities:
        return "it has no served_entities"
    if config.served_models:
        return "it uses legacy served_models"
    if config.auto_capture_config is not None:
        return "it sets auto_capture_config"
    for member in NOT_IN_PT_CREATE:
        if member != "rate_limits" and getattr(endpoint, member) is not None:
            return f"it sets {member}"
    for entity in config.served_entities:
        label = entity.name or entity.entity_name or "a served entity"
        if entity.provisioned_model_units is None or not entity.entity_name:
            return f"served entity {label} has no provisioned_model_units"
        extra = sorted(set(entity.to_wire()) - PT_ENTITY_FIELDS)
        if extra:
            return f"served entity {label} sets {', '.join(extra)}"
    return None


def uses_pt_route(endpoint: ServingEndpoint) -> bool:
    """True when the manifest is a provisioned-throughput endpoint the PT routes can write."""
    return classic_reason(endpoint) is None
