"""The one table from plan steps to HTTP requests: method and path under the target's host.

Only the registry turns a step into a request. The path is always built from the step's own
endpoint name (URL-quoted, so a name cannot add path segments or a query) and is always
relative: the client sends it to the target's host and nowhere else. ``describe`` is the
same table for people: ``plan --show-requests`` and ``apply FILE`` print exactly what will be
sent.
"""

from __future__ import annotations

from typing import Literal, assert_never
from urllib.parse import quote, urlencode

from reconciler.model.steps import (
    CreateServiceStep,
    CreateStep,
    DeleteServiceStep,
    DeleteStep,
    GrantServiceStep,
    PatchNotificationsStep,
    PatchTagsStep,
    PatchTelemetryConfigStep,
    PlanStep,
    PutAiGatewayStep,
    ServiceStep,
    SetPermissionsStep,
    UpdateConfigStep,
    UpdateServiceStep,
)

API = "/api/2.0/serving-endpoints"
PERMISSIONS_API = "/api/2.0/permissions/serving-endpoints"
HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]


def endpoint_path(name: str, suffix: str = "") -> str:
    # Dots encoded too: a registry-supplied name ".." must not become a path segment that
    # URL normalisation turns into another resource (valid names never contain dots).
    return f"{API}/{quote(name, safe='').replace('.', '%2E')}{suffix}"


def permissions_path(endpoint_id: str) -> str:
    """Grants are keyed by the endpoint's id (not its name; it changes on recreate)."""
    return f"{PERMISSIONS_API}/{quote(endpoint_id, safe='').replace('.', '%2E')}"


def route(step: PlanStep, endpoint_id: str | None = None) -> tuple[HttpMethod, str]:
    """``(method, path)`` of the request that performs ``step``. ``endpoint_id``: the id of
    the step's endpoint, which only a permissions step needs (apply knows it from the
    endpoint's re-read or its create answer)."""
    match step:
        case CreateStep():
            return "POST", API + ("/pt" if step.route == "provisioned_throughput" else "")
        case UpdateConfigStep() if step.route == "provisioned_throughput":
            return "PUT", f"{API}/pt/{endpoint_path(step.endpoint)[len(API) + 1:]}/config"
        case UpdateConfigStep():
            return "PUT", endpoint_path(step.endpoint, "/config")
        case PutAiGatewayStep():
            return "PUT", endpoint_path(step.endpoint, "/ai-gateway")
        case PatchTagsStep():
            return "PATCH", endpoint_path(step.endpoint, "/tags")
        case PatchNotificationsStep():
            return "PATCH", endpoint_path(step.endpoint, "/notifications")
        case PatchTelemetryConfigStep():
            return "PATCH", endpoint_path(step.endpoint, "/telemetry-config")
        case SetPermissionsStep():
            if not endpoint_id:
                raise ValueError(f"granting on {step.endpoint!r} needs its endpoint id")
            return ("PUT" if step.replace else "PATCH"), permissions_path(endpoint_id)
        case DeleteStep():
            return "DELETE", endpoint_path(step.endpoint)
        case _:
            assert_never(step)


def request_line(step: PlanStep, host: str | None = None) -> str:
    """``PATCH https://host/api/2.0/serving-endpoints/chat/tags`` (the host when known); a
    permissions step shows ``{id of NAME}`` where apply puts the endpoint's id."""
    if isinstance(step, SetPermissionsStep):
        method, path = ("PUT" if step.replace else "PATCH"), \
            f"{PERMISSIONS_API}/{{id of {step.endpoint}}}"
    else:
        method, path = route(step)
    return f"{method} {(host or '').rstrip('/')}{path}"


# -- Unity AI Gateway services (databricks-sdk 0.162 AiGatewayAPI, UC grants API) -------------

UC_API = "/api/2.1/unity-catalog"
SERVICE_ID_PARAMS = {"model-provider-services": "model_provider_service_id",
                     "model-services": "model_service_id", "mcp-services": "mcp_service_id"}
SECURABLE_TYPES = {"model-provider-services": "MODEL_PROVIDER_SERVICE",
                   "model-services": "MODEL_SERVICE", "mcp-services": "MCP_SERVICE"}


def service_path(collection: str, full_name: str = "", **query: str) -> str:
    """``/api/2.1/unity-catalog/{collection}[/{c.s.id}][?query]``; the name URL-quoted (its
    parts cannot hold '.', '/' or be empty, so it stays one path segment)."""
    path = f"{UC_API}/{collection}"
    if full_name:
        path += "/" + quote(full_name, safe=".")
    given = {k: v for k, v in query.items() if v}
    return path + ("?" + urlencode(given) if given else "")


def service_grants_path(collection: str, full_name: str) -> str:
    return f"{UC_API}/permissions/{SECURABLE_TYPES[collection]}/{quote(full_name, safe='.')}"


def service_route(step: ServiceStep) -> tuple[HttpMethod, str]:
    """``(method, path with query)`` of the request that performs a service step."""
    match step:
        case CreateServiceStep():
            catalog, schema, ident = step.service.split(".")
            return "POST", service_path(step.collection, parent=f"schemas/{catalog}.{schema}",
                                        **{SERVICE_ID_PARAMS[step.collection]: ident})
        case UpdateServiceStep():
            return "PATCH", service_path(step.collection, step.service,
                                         update_mask=",".join(step.update_mask), etag=step.etag)
        case DeleteServiceStep():
            return "DELETE", service_path(step.collection, step.service, etag=step.etag)
        case GrantServiceStep():
            return "PATCH", service_grants_path(step.collection, step.service)
        case _:
            assert_never(step)


def service_request_line(step: ServiceStep, host: str | None = None) -> str:
    method, path = service_route(step)
    return f"{method} {(host or '').rstrip('/')}{path}"
