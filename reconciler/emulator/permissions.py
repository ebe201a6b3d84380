"""Endpoint permissions (keyed by endpoint id) and the caller's identity (SCIM ``Me``).

What the service does, as far as the reference documents it (field-research.md section 2):

- ``GET|PUT|PATCH /api/2.0/permissions/serving-endpoints/{id}`` and ``GET .../permissionLevels``;
  the object id is the endpoint's ``id``, not its name.
- A new endpoint's direct grants are its creator with CAN_MANAGE; every endpoint also shows the
  workspace ``admins`` group's CAN_MANAGE, inherited from the root object
  ``/serving-endpoints/``, which no request writes or removes.
- PUT replaces all direct grants (an empty list removes them all); PATCH replaces the listed
  principals' grants and keeps the others; nothing removes a single principal.
- A request entry names exactly one of ``user_name``, ``group_name``,
  ``service_principal_name`` and a known level, else 400 ``INVALID_PARAMETER_VALUE``.

``GET /api/2.0/preview/scim/v2/Me`` answers the token's identity (``identity.scim_me``).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reconciler.emulator import identity, schemas, validation
from reconciler.emulator.api_error import ApiError, invalid
from reconciler.emulator.routes import json_response, read_body
from reconciler.emulator.settings import EmulatorSettings
from reconciler.emulator.store import EndpointStore, WriteTxn

Doc = dict[str, Any]

PATH = "/api/2.0/permissions/serving-endpoints/{endpoint_id}"
ME_PATH = "/api/2.0/preview/scim/v2/Me"
ROOT_OBJECT = "/serving-endpoints/"
PRINCIPALS = schemas.PRINCIPALS
LEVELS = (
    ("CAN_MANAGE", "Can manage the endpoint: change its config, permissions and delete it."),
    ("CAN_QUERY", "Can query the endpoint."),
    ("CAN_VIEW", "Can view the endpoint and its details."),
)


def principal_of(grant: Doc) -> tuple[str, str]:
    """The (kind, name) a grant is for: ``("group_name", "admins")``."""
    for kind in PRINCIPALS:
        if grant.get(kind):
            return kind, str(grant[kind])
    return "", ""


def view(endpoint_id: str, acl: list[Doc]) -> Doc:
    """``ServingEndpointPermissions``: the direct grants plus the inherited admins grant,
    one entry per principal (a direct admins grant shares the entry of the inherited one)."""
    entries: dict[tuple[str, str], Doc] = {}
    for grant in acl:
        kind, name = principal_of(grant)
        entry = entries.setdefault((kind, name), {kind: name, "all_permissions": []})
        if kind != "group_name":
            entry["display_name"] = name
        entry["all_permissions"].append(
            {"permission_level": grant["permission_level"], "inherited": False})
    admins = entries.setdefault(("group_name", "admins"),
                                {"group_name": "admins", "all_permissions": []})
    admins["all_permissions"].append({"permission_level": "CAN_MANAGE", "inherited": True,
                                      "inherited_from_object": [ROOT_OBJECT]})
    return {
        "object_id": f"/serving-endpoints/{endpoint_id}",
        "object_type": "serving-endpoint",
        "access_control_list": list(entries.values()),
    }


def merged(acl: list[Doc], changes: list[Doc]) -> list[Doc]:
    """PATCH: each listed principal's grant is replaced; the other principals keep theirs."""
    out = {principal_of(g): g for g in acl}
    for grant in changes:
        out[principal_of(grant)] = grant
    return list(out.values())


def checked_entries(body: Doc) -> list[Doc]:
    """The request's grants, one per principal (a principal listed twice keeps its last
    entry), or 400 INVALID_PARAMETER_VALUE naming the entry."""
    validation.check_body(schemas.PERMISSIONS_REQUEST, body)
    entries: list[Doc] = body.get("access_control_list") or []
    grants: dict[tuple[str, str], Doc] = {}
    for index, entry in enumerate(entries):
        where = f"access_control_list[{index}]"
        given = [k for k in PRINCIPALS if entry.get(k) is not None]
        if len(given) != 1:
            raise invalid(f"{where}: exactly one of user_name, group_name or "
                          f"service_principal_name must be given (got {len(given)}).")
        kind = given[0]
        name = str(entry[kind])
        if kind == "service_principal_name" and not identity.UUID.match(name):
            # No directory here; a name that is not an application id never exists.
            raise invalid(f"{where}: Principal: ServicePrincipalName({name}) does not exist. "
                          "service_principal_name is the application id (a UUID).")
        grants[(kind, name)] = {kind: name, "permission_level": entry["permission_level"]}
    return list(grants.values())


def _id_not_found(endpoint_id: str) -> ApiError:
    return ApiError(404, "RESOURCE_DOES_NOT_EXIST",
                    f"Serving endpoint with id '{endpoint_id}' does not exist.")


class PermissionHandlers:
    """The permission and identity routes of one emulator instance."""

    def __init__(self, store: EndpointStore, settings: EmulatorSettings) -> None:
        self.store = store
        self.settings = settings

    async def get(self, request: Request) -> Response:
        endpoint_id = request.path_params["endpoint_id"]
        if self.store.read_by_id(endpoint_id) is None:
            raise _id_not_found(endpoint_id)
        return json_response(view(endpoint_id, self.store.read_acl(endpoint_id) or []))

    async def write(self, request: Request) -> Response:
        endpoint_id = request.path_params["endpoint_id"]
        grants = checked_entries(await read_body(request))
        replace = request.method == "PUT"

        def work(txn: WriteTxn) -> list[Doc]:
            if txn.get_by_id(endpoint_id) is None:
                raise _id_not_found(endpoint_id)
            acl = grants if replace else merged(txn.get_acl(endpoint_id) or [], grants)
            txn.put_acl(endpoint_id, acl)
            return acl

        return json_response(view(endpoint_id, await self.store.write(work)))

    async def levels(self, request: Request) -> Response:
        endpoint_id = request.path_params["endpoint_id"]
        if self.store.read_by_id(endpoint_id) is None:
            raise _id_not_found(endpoint_id)
        return json_response({"permission_levels": [
            {"permission_level": level, "description": text} for level, text in LEVELS]})

    async def me(self, request: Request) -> Response:
        return json_response(identity.scim_me(self.settings.creator))


def routes(store: EndpointStore, settings: EmulatorSettings) -> list[Route]:
    h = PermissionHandlers(store, settings)
    return [
        Route(PATH, h.get, methods=["GET"]),
        Route(PATH, h.write, methods=["PUT", "PATCH"]),
        Route(PATH + "/permissionLevels", h.levels, methods=["GET"]),
        Route(ME_PATH, h.me, methods=["GET"]),
    ]
