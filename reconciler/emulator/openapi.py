"""The OpenAPI 3.0 description of the emulated routes, served at ``/_emulator/openapi.json``.

It is built from the same schemas the server validates with, so it cannot drift from the
behaviour (a later test fuzzes the emulator from it). Response schemas list the members a
client can rely on and allow more, like the service's own proto3 JSON.
"""

from __future__ import annotations

from typing import Any

from reconciler.emulator import schemas, uc_openapi

Schema = dict[str, Any]

ERROR: Schema = {
    "type": "object",
    "properties": {"error_code": {"type": "string"}, "message": {"type": "string"}},
    "required": ["error_code", "message"],
}
STATE: Schema = {
    "type": "object",
    "properties": {
        "ready": {"type": "string", "enum": ["READY", "NOT_READY"]},
        "config_update": {"type": "string", "enum": [
            "NOT_UPDATING", "IN_PROGRESS", "UPDATE_FAILED", "UPDATE_CANCELED"]},
    },
    "required": ["ready", "config_update"],
}
_COMMON = {
    "name": {"type": "string"},
    "id": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
    "creator": {"type": "string"},
    "creation_timestamp": {"type": "integer"},
    "last_updated_timestamp": {"type": "integer"},
    "state": STATE,
    "tags": {"type": "array", "items": schemas.TAG},
    "description": {"type": "string"},
    "task": {"type": "string"},
    "ai_gateway": schemas.AI_GATEWAY,
}
ENDPOINT_DETAILED: Schema = {
    "type": "object",
    "properties": {
        **_COMMON,
        "config": {"type": "object", "properties": {"config_version": {"type": "integer"}}},
        "pending_config": {"type": "object", "properties": {
            "config_version": {"type": "integer"}, "start_time": {"type": "integer"}}},
        "permission_level": {"type": "string", "enum": ["CAN_MANAGE", "CAN_QUERY", "CAN_VIEW"]},
        "route_optimized": {"type": "boolean"},
        "email_notifications": schemas.EMAIL_NOTIFICATIONS,
        "telemetry_config": schemas.TELEMETRY_CONFIG,
    },
    "required": ["name", "id", "creator", "creation_timestamp", "last_updated_timestamp",
                 "state", "permission_level", "route_optimized", "description"],
}
ENDPOINT_SUMMARY: Schema = {
    "type": "object",
    "properties": _COMMON,
    "required": ["name", "id", "creator", "creation_timestamp", "last_updated_timestamp",
                 "state", "description"],
}
_GRANT: Schema = {
    "type": "object",
    "properties": {
        "permission_level": schemas.PERMISSION_LEVEL,
        "inherited": {"type": "boolean"},
        "inherited_from_object": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["permission_level", "inherited"],
}
PERMISSIONS: Schema = {
    "type": "object",
    "properties": {
        "object_id": {"type": "string", "pattern": "^/serving-endpoints/[0-9a-f]{32}$"},
        "object_type": {"type": "string", "enum": ["serving-endpoint"]},
        "access_control_list": {"type": "array", "items": {
            "type": "object",
            "properties": {**{p: {"type": "string"} for p in schemas.PRINCIPALS},
                           "display_name": {"type": "string"},
                           "all_permissions": {"type": "array", "items": _GRANT}},
            "required": ["all_permissions"],
        }},
    },
    "required": ["object_id", "object_type", "access_control_list"],
}
PERMISSION_LEVELS: Schema = {"type": "object", "properties": {"permission_levels": {
    "type": "array", "items": {"type": "object", "properties": {
        "permission_level": schemas.PERMISSION_LEVEL, "description": {"type": "string"}},
        "required": ["permission_level"]}}}}
SCIM_USER: Schema = {
    "type": "object",
    "properties": {"id": {"type": "string"}, "userName": {"type": "string"},
                   "displayName": {"type": "string"}, "active": {"type": "boolean"}},
    "required": ["id", "userName"],
}
QUERY_RESPONSE: Schema = {"type": "object"}


def _errors(*statuses: int) -> dict[str, Any]:
    described = {400: "Invalid request", 401: "Missing or wrong token",
                 404: "No such endpoint", 409: "Conflict", 429: "Too many requests",
                 503: "Temporarily unavailable"}
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    return {str(s): {"description": described[s], "content": content}
            for s in (*statuses, 401, 429, 503)}


def _op(op_id: str, ok: Schema, body: Schema | None = None, errors: tuple[int, ...] = (400,),
        params: tuple[str, ...] = ()) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": op_id,
        "responses": {
            "200": {"description": "OK", "content": {"application/json": {"schema": ok}}},
            **_errors(*errors),
        },
    }
    if params:
        operation["parameters"] = [
            {"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
            for p in params
        ]
    if body is not None:
        operation["requestBody"] = {"required": True,
                                    "content": {"application/json": {"schema": body}}}
    return operation


def document() -> dict[str, Any]:
    """The OpenAPI document (a fresh dict each call)."""
    ref = {"$ref": "#/components/schemas/ServingEndpointDetailed"}
    named = ("name",)
    by_id = ("serving_endpoint_id",)
    base = "/api/2.0/serving-endpoints"
    perms = "/api/2.0/permissions/serving-endpoints/{serving_endpoint_id}"
    paths: dict[str, Any] = {
        base: {
            "get": _op("list", {"type": "object", "properties": {"endpoints": {
                "type": "array", "items": ENDPOINT_SUMMARY}}}, errors=()),
            "post": _op("create", ref, schemas.CREATE_ENDPOINT, errors=(400, 409)),
        },
        base + "/pt": {"post": _op(
            "createProvisionedThroughputEndpoint", ref, schemas.PT_CREATE, errors=(400, 409))},
        base + "/pt/{name}/config": {"put": _op(
            "updateProvisionedThroughputEndpointConfig", ref, schemas.PT_UPDATE,
            (400, 404, 409), named)},
        base + "/{name}": {
            "get": _op("get", ref, errors=(404,), params=named),
            "delete": _op("delete", {"type": "object"}, errors=(404,), params=named),
        },
        base + "/{name}/config": {"put": _op(
            "updateConfig", ref, schemas.CORE_CONFIG, (400, 404, 409), named)},
        base + "/{name}/rate-limits": {"put": _op(
            "putRateLimits", schemas.PUT_RATE_LIMITS, schemas.PUT_RATE_LIMITS, (400, 404), named)},
        base + "/{name}/ai-gateway": {"put": _op(
            "putAiGateway", schemas.AI_GATEWAY, schemas.AI_GATEWAY, (400, 404), named)},
        base + "/{name}/tags": {"patch": _op(
            "patchTags", {"type": "object", "properties": {"tags": {
                "type": "array", "items": schemas.TAG}}}, schemas.PATCH_TAGS, (400, 404), named)},
        base + "/{name}/notifications": {"patch": _op(
            "patchNotifications", {"type": "object", "properties": {"name": {"type": "string"}},
                                   "required": ["name"]},
            schemas.PATCH_NOTIFICATIONS, (400, 404), named)},
        base + "/{name}/telemetry-config": {"patch": _op(
            "patchTelemetryConfig", ref, schemas.PATCH_TELEMETRY, (400, 404), named)},
        perms: {
            "get": _op("getPermissions", PERMISSIONS, errors=(404,), params=by_id),
            "put": _op("setPermissions", PERMISSIONS, schemas.PERMISSIONS_REQUEST, (400, 404),
                       by_id),
            "patch": _op("updatePermissions", PERMISSIONS, schemas.PERMISSIONS_REQUEST,
                         (400, 404), by_id),
        },
        perms + "/permissionLevels": {"get": _op(
            "getPermissionLevels", PERMISSION_LEVELS, errors=(404,), params=by_id)},
        "/api/2.0/preview/scim/v2/Me": {"get": _op("currentUser", SCIM_USER, errors=())},
        "/serving-endpoints/{name}/invocations": {"post": _op(
            "query", QUERY_RESPONSE, schemas.QUERY, (400, 404), named)},
        "/serving-endpoints/{name}/served-models/{entity}/invocations": {"post": _op(
            "queryServedEntity", QUERY_RESPONSE, schemas.QUERY, (400, 404), ("name", "entity"))},
    }
    for path in ("chat/completions", "completions", "embeddings"):
        paths[f"/serving-endpoints/{path}"] = {"post": _op(
            "openai" + path.title().replace("/", ""), QUERY_RESPONSE, schemas.OPENAI_QUERY,
            (400, 404))}
    paths.update(uc_openapi.paths())
    return {
        "openapi": "3.0.3",
        "info": {"title": "serving-reconciler emulator: Databricks serving-endpoints API",
                 "version": "1"},
        "paths": paths,
        "components": {
            "schemas": {"ServingEndpointDetailed": ENDPOINT_DETAILED, "Error": ERROR},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }
