"""Rules about an endpoint's settings beside its served entities: rate limits, tags,
inference tables, route optimisation, Databricks-provided endpoints, deprecated fields.

As in ``endpoint_rules``, the limits mirror what the service answers with 400
INVALID_PARAMETER_VALUE (API reference sections 2, 5 and 6), so a manifest that passes here is
not refused at apply time.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from reconciler.model.diagnostics import FieldPath
from reconciler.model.endpoint import ServingEndpoint
from reconciler.model.gateway import rate_limit_slots
from reconciler.model.vocabulary import is_system_endpoint
from reconciler.validation.rules import Finding, Rule, ValidationContext

MAX_GATEWAY_RATE_LIMITS = 20
CONFIG: FieldPath = ("config",)


def _check_rate_limits(ep: ServingEndpoint, _ctx: ValidationContext) -> Iterator[Finding]:
    for i, legacy in enumerate(ep.rate_limits or []):
        where: FieldPath = ("rate_limits", i)
        if legacy.calls is None:
            yield where, "a rate limit needs 'calls'"
        elif legacy.calls < 0:
            yield (*where, "calls"), "calls must not be negative"
        if legacy.renewal_period is None:
            yield where, "a rate limit needs 'renewal_period: minute'"
    limits = ep.ai_gateway.rate_limits if ep.ai_gateway else None
    if not limits:
        return
    if len(limits) > MAX_GATEWAY_RATE_LIMITS:
        yield ("ai_gateway", "rate_limits"), f"at most {MAX_GATEWAY_RATE_LIMITS} rate limits"
    seen: set[tuple[str, str | None, str]] = set()
    for i, limit in enumerate(limits):
        where = ("ai_gateway", "rate_limits", i)
        yield from _gateway_limit(limit, where, seen)


def _gateway_limit(
    limit: Any, where: FieldPath, seen: set[tuple[str, str | None, str]]
) -> Iterator[Finding]:
    if limit.calls is None and limit.tokens is None:
        yield where, "a rate limit needs 'calls', 'tokens' or both"
    for field in ("calls", "tokens"):
        if (getattr(limit, field) or 0) < 0:
            yield (*where, field), f"{field} must not be negative"
    if limit.renewal_period is None:
        yield where, "a rate limit needs 'renewal_period: minute'"
    key = limit.key or "endpoint"
    if key == "endpoint" and limit.principal:
        yield (*where, "principal"), "key 'endpoint' takes no principal"
    if key in ("user_group", "service_principal") and not limit.principal:
        yield where, f"key '{key}' needs a 'principal'"
    for slot in rate_limit_slots(limit.to_wire()):
        if slot in seen:
            who = f" and principal '{limit.principal}'" if limit.principal else ""
            yield where, (
                f"another rate limit already sets '{slot[2]}' for key '{key}'{who} (one "
                "calls limit and one tokens limit per key and principal)"
            )
        seen.add(slot)


def _check_both_rate_limits(ep: ServingEndpoint, _ctx: ValidationContext) -> Iterator[Finding]:
    if ep.rate_limits and ep.ai_gateway is not None and ep.ai_gateway.rate_limits:
        yield (
            ("rate_limits",),
            (
                "give rate limits once: top-level rate_limits (legacy, applied as AI Gateway "
                "limits) or ai_gateway.rate_limits, not both"
            ),
        )


def _check_tags(ep: ServingEndpoint, _ctx: ValidationContext) -> Iterator[Finding]:
    if not isinstance(ep.tags, list):
        for key in ep.tags or {}:
            if not key.strip():
                yield ("tags", key), "tag keys must not be empty"
        return
    seen: set[str] = set()
    for i, tag in enumerate(ep.tags):
        if not tag.key.strip():
            yield ("tags", i, "key"), "tag keys must not be empty"
        elif tag.key in seen:
            yield ("tags", i, "key"), f"tag '{tag.key}' is given twice"
        seen.add(tag.key)


def _check_tables(ep: ServingEndpoint, _ctx: ValidationContext) -> Iterator[Finding]:
    tables: list[tuple[FieldPath, Any]] = []
    if ep.ai_gateway is not None and ep.ai_gateway.inference_table_config is not None:
        tables.append(
            (("ai_gateway", "inference_table_config"), ep.ai_gateway.inference_table_config)
        )
    if ep.config is not None and ep.config.auto_capture_config is not None:
        tables.append(((*CONFIG, "auto_capture_config"), ep.config.auto_capture_config))
    for path, table in tables:
        if table.enabled and not (table.catalog_name and table.schema_name):
            yield path, "enabled inference tables need 'catalog_name' and 'schema_name'"


def _check_route_optimized(ep: ServingEndpoint, _ctx: ValidationContext) -> Iterator[Finding]:
    if ep.route_optimized and ep.external_models():
        yield ("route_optimized",), "route optimization is not available for external models"


# Fields of a manifest that would need creating, recreating or reconfiguring the endpoint.
_NOT_ADOPTABLE = ("config", "description", "route_optimized", "email_notifications",
                  "telemetry_config")


def _check_system_endpoint(ep: ServingEndpoint, _ctx: ValidationContext) -> Iterator[Finding]:
    """Databricks provides `databricks-*` endpoints: only their gateway and tags are ours."""
    if not is_system_endpoint(ep.name):
        return
    for name in _NOT_ADOPTABLE:
        if getattr(ep, name) is not None:
            yield (name,), (
                f"{name} of Databricks-provided endpoints cannot be managed; such a manifest "
                "may set only ai_gateway, rate_limits and tags"
            )


def _check_deprecated(ep: ServingEndpoint, _ctx: ValidationContext) -> Iterator[Finding]:
    if ep.config is not None and ep.config.served_models is not None:
        yield (*CONFIG, "served_models"), "served_models is deprecated; use served_entities"
    if ep.config is not None and ep.config.auto_capture_config is not None:
        yield (
            (*CONFIG, "auto_capture_config"),
            ("auto_capture_config is deprecated; use ai_gateway.inference_table_config"),
        )


SETTINGS_RULES: tuple[Rule, ...] = (
    Rule(
        "ENDPOINT-009",
        "Rate limits: calls and/or tokens, `renewal_period: minute`, a "
        "principal only (and always) where the key needs one, at most one calls limit and one "
        "tokens limit per key and principal, at most 20.",
        "endpoint",
        check=_check_rate_limits,
    ),
    Rule(
        "ENDPOINT-010",
        "Top-level `rate_limits` and `ai_gateway.rate_limits` are not both given.",
        "endpoint",
        check=_check_both_rate_limits,
    ),
    Rule("ENDPOINT-011", "Tag keys are non-empty and unique.", "endpoint", check=_check_tags),
    Rule(
        "ENDPOINT-012",
        "Enabled inference tables name `catalog_name` and `schema_name`.",
        "endpoint",
        check=_check_tables,
    ),
    Rule(
        "ENDPOINT-013",
        "`route_optimized` is not available for external models.",
        "endpoint",
        check=_check_route_optimized,
    ),
    Rule(
        "ENDPOINT-014",
        "Deprecated fields (`served_models`, `auto_capture_config`).",
        "endpoint",
        severity="warning",
        check=_check_deprecated,
    ),
    Rule(
        "ENDPOINT-015",
        "A Databricks-provided endpoint (`databricks-*`) manifest sets only `ai_gateway`, "
        "`rate_limits` and `tags`: its config is Databricks'.",
        "endpoint",
        check=_check_system_endpoint,
    ),
)
