"""The desired side: a manifest turned into the exact REST bodies apply sends.

One function per body, so the create body, the config PUT, the AI Gateway PUT and the
comparison all start from the same data:

* the ownership tags ``reconciler-project: <project>`` and, for a project with an id,
  ``reconciler-project-id: <project_id>`` are added to the tags;
* legacy top-level ``rate_limits`` become AI Gateway rate limits (GET never returns legacy
  ones, so only gateway limits can be compared); the body never carries legacy limits;
* ``*_plaintext`` values stay as written (a ``${env.NAME}`` reference that apply resolves).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.diff.normalise import project
from reconciler.model.endpoint import ServingEndpoint
from reconciler.model.gateway import AiGatewayConfig
from reconciler.model.live import Owner, as_owner
from reconciler.model.pt_route import NOT_IN_PT_CREATE

CONFIG_KEYS = ("served_entities", "served_models", "traffic_config", "auto_capture_config")
GATEWAY_KEYS = (
    "usage_tracking_config",
    "inference_table_config",
    "rate_limits",
    "guardrails",
    "fallback_config",
)


def legacy_limits_as_gateway(endpoint: ServingEndpoint) -> list[dict[str, Any]] | None:
    """Top-level legacy ``rate_limits`` in the AI Gateway shape; None when there are none."""
    if endpoint.rate_limits is None:
        return None
    out = []
    for limit in endpoint.rate_limits:
        wire = limit.to_wire()
        wire.setdefault("key", "endpoint")
        wire.setdefault("renewal_period", "minute")
        out.append(wire)
    return out


def uses_legacy_rate_limits(endpoint: ServingEndpoint) -> bool:
    """True when the manifest's only gateway setting is legacy ``rate_limits``."""
    return endpoint.ai_gateway is None and endpoint.rate_limits is not None


def desired_tags(endpoint: ServingEndpoint, owner: Owner | str) -> dict[str, str]:
    """The manifest's tags plus the ownership tags (which the manifest cannot override)."""
    tags = endpoint.tag_map()
    tags.update(as_owner(owner).tags())
    return tags


def desired_body(endpoint: ServingEndpoint, owner: Owner | str) -> dict[str, Any]:
    """The ``POST /api/2.0/serving-endpoints`` body for this manifest."""
    body = endpoint.to_wire()
    body.pop("kind", None)
    limits = legacy_limits_as_gateway(endpoint)
    body.pop("rate_limits", None)
    if limits is not None:
        # Beside an ai_gateway block without rate limits, legacy limits become its limits
        # (validation rejects giving both kinds of rate limits).
        body.setdefault("ai_gateway", {}).setdefault("rate_limits", limits)
    body["tags"] = [{"key": k, "value": v} for k, v in desired_tags(endpoint, owner).items()]
    return body


def pt_create_body(body: Mapping[str, Any]) -> dict[str, Any]:
    """A classic create body (``desired_body``) as ``POST .../pt`` takes it."""
    out = {k: v for k, v in body.items() if k not in NOT_IN_PT_CREATE}
    config = dict(out.get("config") or {})
    config.pop("name", None)
    out["config"] = config
    return out


def config_body(endpoint: ServingEndpoint) -> dict[str, Any]:
    """The ``PUT .../config`` body: the whole desired config (PUT replaces it)."""
    config = endpoint.to_wire().get("config") or {}
    return {k: config[k] for k in CONFIG_KEYS if k in config}


def gateway_body(
    endpoint: ServingEndpoint, live_gateway: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The ``PUT .../ai-gateway`` body: the whole gateway (PUT replaces it).

    With legacy ``rate_limits`` only, the manifest manages the gateway's rate limits and
    nothing else: the body is the live gateway with its rate limits replaced.
    """
    if endpoint.ai_gateway is not None:
        body = endpoint.ai_gateway.to_wire()
        limits = legacy_limits_as_gateway(endpoint)
        if limits is not None:
            body.setdefault("rate_limits", limits)
        return body
    live = project(dict(live_gateway or {}), AiGatewayConfig) or {}
    body = {k: live[k] for k in GATEWAY_KEYS if live.get(k) is not None}
    body["rate_limits"] = legacy_limits_as_gateway(endpoint) or []
    return body


def telemetry_body(endpoint: ServingEndpoint) -> dict[str, Any]:
    """The ``PATCH .../telemetry-config`` body: the whole telemetry block."""
    telemetry = endpoint.telemetry_config
    return {"telemetry_config": telemetry.to_wire()} if telemetry else {}


def notifications_body(endpoint: ServingEndpoint) -> dict[str, Any]:
    notifications = endpoint.email_notifications
    return {"email_notifications": notifications.to_wire() if notifications else {}}
