"""The Unity AI Gateway calls (databricks-sdk 0.162 ``AiGatewayAPI`` routes and the Unity
Catalog grants API), over the same ``RegistryClient`` (auth, retries, error mapping).

Reads return raw JSON: members this version does not know are kept, so a newer server's
fields survive a read and show in the diff instead of being dropped.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from reconciler import errors
from reconciler.registry.client import RegistryClient

UC = "/api/2.1/unity-catalog"
PAGE_SIZE = 200  # the FULL view's maximum
STALE_CODES = frozenset({"ABORTED", "FAILED_PRECONDITION"})
ID_PARAMS = {"model-provider-services": "model_provider_service_id",
             "model-services": "model_service_id", "mcp-services": "mcp_service_id"}
LIST_KEYS = {"model-provider-services": "model_provider_services",
             "model-services": "model_services", "mcp-services": "mcp_services"}
SECURABLE_TYPES = {"model-provider-services": "MODEL_PROVIDER_SERVICE",
                   "model-services": "MODEL_SERVICE", "mcp-services": "MCP_SERVICE"}


class StaleEtag(errors.RegistryConflict):
    """The securable changed since it was read: the plan is stale (never retried blindly)."""


def _path(collection: str, full_name: str = "", **query: str) -> str:
    path = f"{UC}/{collection}"
    if full_name:
        path += "/" + quote(full_name, safe=".")
    given = {k: v for k, v in query.items() if v}
    return path + ("?" + urlencode(given) if given else "")


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


async def create_service(registry: RegistryClient, collection: str, full_name: str,
                         body: dict[str, Any]) -> dict[str, Any]:
    catalog, schema, ident = full_name.split(".")
    path = _path(collection, parent=f"schemas/{catalog}.{schema}",
                 **{ID_PARAMS[collection]: ident})
    return await registry.call("POST", path, body)


async def update_service(registry: RegistryClient, collection: str, full_name: str,
                         body: dict[str, Any], mask: list[str], etag: str) -> dict[str, Any]:
    path = _path(collection, full_name, update_mask=",".join(mask), etag=etag)
    try:
        return await registry.call("PATCH", path, body)
    except errors.RegistryError as exc:
        raise _stale(exc, f"{collection}/{full_name}") from exc


async def delete_service(registry: RegistryClient, collection: str, full_name: str,
                         etag: str) -> None:
    try:
        await registry.call("DELETE", _path(collection, full_name, etag=etag))
    except errors.RegistryError as exc:
        raise _stale(exc, f"{collection}/{full_name}") from exc


async def get_grants(registry: RegistryClient, collection: str,
                     full_name: str) -> dict[str, list[str]]:
    body = await registry.call(
        "GET", f"{UC}/permissions/{SECURABLE_TYPES[collection]}/{quote(full_name, safe='.')}")
    out: dict[str, list[str]] = {}
    for item in body.get("privilege_assignments") or []:
        if isinstance(item, dict) and isinstance(item.get("principal"), str):
            out[item["principal"]] = sorted(str(p) for p in item.get("privileges") or [])
    return out


async def update_grants(registry: RegistryClient, collection: str, full_name: str,
                        changes: list[dict[str, Any]]) -> None:
    await registry.call(
        "PATCH", f"{UC}/permissions/{SECURABLE_TYPES[collection]}/{quote(full_name, safe='.')}",
        {"changes": changes})
