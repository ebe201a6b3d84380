"""The Unity AI Gateway calls (databricks-sdk 0.162 ``AiGatewayAPI`` routes and the Unity
Catalog grants API), over the same ``RegistryClient`` (auth, retries, error mapping).

Reads return raw JSON: members this version does not know are kept, so a newer server's
fields survive a read and show in the diff instead of being dropped.
"""

from __future__ import annotations

from typing import Any

from reconciler import errors
from reconciler.model.steps import ServiceStep
from reconciler.registry.client import RegistryClient
from reconciler.registry.routes import SECURABLE_TYPES as SECURABLE_TYPES
from reconciler.registry.routes import service_grants_path, service_route
from reconciler.registry.routes import service_path as _path

PAGE_SIZE = 200  # the FULL view's maximum
STALE_CODES = frozenset({"ABORTED", "FAILED_PRECONDITION"})
LIST_KEYS = {"model-provider-services": "model_provider_services",
             "model-services": "model_services", "mcp-services": "mcp_services"}


class StaleEtag(errors.RegistryConflict):
    """The securable changed since it was read: the plan is stale (never retried blindly)."""


def _stale(exc: errors.RegistryError, what: str) -> errors.RegistryError:
    if exc.status == 409 and (exc.error_code or "") in STALE_CODES:
        return StaleEtag(f"{what} changed since it was planned (etag mismatch): run plan "
                         f"again ({exc})", method=exc.method, path=exc.path,
                         status=exc.status, error_code=exc.error_code)
    return exc


async def list_services(registry: RegistryClient, collection: str,
                        parent: str) -> list[dict[str, Any]]:
    """Every service of ``collection`` in ``parent`` (FULL view), following every page token,
    also past an empty page that carries one."""
    items: list[dict[str, Any]] = []
    token = ""
    for _ in range(100_000):  # a server handing out tokens forever must not hang us
        body = await registry.call("GET", _path(collection, parent=parent, view="FULL",
                                                page_size=str(PAGE_SIZE), page_token=token))
        page = body.get(LIST_KEYS[collection], [])
        if not isinstance(page, list):
            raise errors.RegistryProtocolError(
                f"GET {collection}: '{LIST_KEYS[collection]}' is not a list")
        items.extend(p for p in page if isinstance(p, dict))
        token = str(body.get("next_page_token") or "")
        if not token:
            return items
    raise errors.RegistryProtocolError(f"GET {collection}: too many pages")


async def get_service(registry: RegistryClient, collection: str,
                      full_name: str) -> dict[str, Any] | None:
    try:
        return await registry.call("GET", _path(collection, full_name))
    except errors.RegistryNotFound:
        return None


async def write_service(registry: RegistryClient, step: ServiceStep,
                        body: dict[str, Any] | None) -> dict[str, Any]:
    """Send one service step (its route from ``routes.service_route``) with ``body``, the
    step's wire body with ``${env.NAME}`` resolved. A refused etag is ``StaleEtag``."""
    method, path = service_route(step)
    try:
        return await registry.call(method, path, body)
    except errors.RegistryError as exc:
        raise _stale(exc, f"{step.collection}/{step.service}") from exc


async def get_grants(registry: RegistryClient, collection: str,
                     full_name: str) -> dict[str, list[str]]:
    body = await registry.call("GET", service_grants_path(collection, full_name))
    out: dict[str, list[str]] = {}
    for item in body.get("privilege_assignments") or []:
        if isinstance(item, dict) and isinstance(item.get("principal"), str):
            out[item["principal"]] = sorted(str(p) for p in item.get("privileges") or [])
    return out
