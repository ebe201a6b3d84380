"""Rules about provisioned throughput: which foundation models need the PT routes' shape.

Newer foundation models (``system.ai.llama-4-*``, ``system.ai.gpt-oss-*``) deploy only
through ``POST .../pt`` and ``PUT .../pt/{name}/config``; the classic create answers "Served
entity ... is not eligible for Provisioned Throughput." (databricks-sdk-py #1081). Which
route a manifest takes follows from its shape (``reconciler.model.pt_route``), so a manifest
that would be refused at apply time is an error here, at the model's name.
"""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.model.endpoint import ServingEndpoint
from reconciler.model.pt_route import PT_ENTITY_MEMBERS, classic_reason, is_pt_route_only
from reconciler.validation.rules import Finding, Rule, ValidationContext

PT_SHAPE = ", ".join(PT_ENTITY_MEMBERS)


def _check_pt_only_models(ep: ServingEndpoint, _ctx: ValidationContext) -> Iterator[Finding]:
    if ep.config is None:
        return
    reason = classic_reason(ep)
    if reason is None:
        return
    for key, field in (("served_entities", "entity_name"), ("served_models", "model_name")):
        for index, entity in enumerate(getattr(ep.config, key) or []):
            name = getattr(entity, field, None)
            if not is_pt_route_only(name):
                continue
            yield (("config", key, index, field),
                   f"{name} deploys only through the provisioned-throughput routes, which "
                   f"this endpoint does not take ({reason}): the service would refuse it "
                   "(\"not eligible for Provisioned Throughput\"). Write every served entity "
                   f"with only {PT_SHAPE}, and no description, route_optimized, "
                   "telemetry_config or auto_capture_config (docs/manifests.md)")


THROUGHPUT_RULES: tuple[Rule, ...] = (
    Rule(
        "ENDPOINT-017",
        "Foundation models that deploy only through the provisioned-throughput routes "
        "(`system.ai.llama-4-*`, `system.ai.gpt-oss-*`) are written in their shape.",
        "endpoint",
        check=_check_pt_only_models,
    ),
)
