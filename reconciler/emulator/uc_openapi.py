"""The OpenAPI paths of the Unity AI Gateway routes (``uc_routes``), merged into the
emulator's ``/_emulator/openapi.json`` by ``openapi.document`` and built from the same
``uc_schemas`` the server validates with."""

from __future__ import annotations

from typing import Any

from reconciler.emulator import uc_schemas, uc_services

Schema = dict[str, Any]
UC = "/api/2.1/unity-catalog"
_DESCRIBED = {400: "Invalid request", 401: "Missing or wrong token", 404: "Not found",
              409: "Conflict or stale etag", 429: "Too many requests",
              501: "Not implemented", 503: "Temporarily unavailable"}
SECURABLE: Schema = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "etag": {"type": "string"},
                   "create_time": {"type": "string"}, "update_time": {"type": "string"},
                   "config": {"type": "object"}},
    "required": ["name", "etag", "create_time", "update_time"],
}
GRANTS: Schema = {"type": "object", "properties": {"privilege_assignments": {
    "type": "array", "items": {"type": "object", "properties": {
        "principal": {"type": "string"},
        "privileges": {"type": "array", "items": {"type": "string"}}}}}}}


def _param(name: str, where: str = "query", required: bool = False,
           schema: Schema | None = None) -> Schema:
    return {"name": name, "in": where, "required": required or where == "path",
            "schema": schema or {"type": "string"}}


def _op(op_id: str, ok: Schema, body: Schema | None, errors: tuple[int, ...],
        params: list[Schema]) -> Schema:
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    operation: Schema = {
        "operationId": op_id,
        "responses": {
            "200": {"description": "OK", "content": {"application/json": {"schema": ok}}},
            **{str(s): {"description": _DESCRIBED[s], "content": content}
               for s in (*errors, 401, 429, 503)},
        },
    }
    if params:
        operation["parameters"] = params
    if body is not None:
        operation["requestBody"] = {"required": True,
                                    "content": {"application/json": {"schema": body}}}
    return operation


def paths() -> dict[str, Any]:
    out: dict[str, Any] = {}
    full = _param("full_name", "path")
    for kind in uc_services.KINDS.values():
        camel = "".join(p.title() for p in kind.collection.split("-"))[:-1]
        body = uc_schemas.securable(kind.config_schema)
        listing = {"type": "object", "properties": {
            kind.list_key: {"type": "array", "items": SECURABLE},
            "next_page_token": {"type": "string"}}}
        out[f"{UC}/{kind.collection}"] = {
            "post": _op("create" + camel, SECURABLE, body, (400, 409), [
                _param("parent", required=True), _param(kind.id_param, required=True)]),
            "get": _op("list" + camel + "s", listing, None, (400,), [
                _param("parent", required=True),
                _param("view", schema={"type": "string", "enum": ["BASIC", "FULL"]}),
                _param("page_size", schema={"type": "integer", "minimum": 0}),
                _param("page_token")]),
        }
        out[f"{UC}/{kind.collection}/{{full_name}}"] = {
            "get": _op("get" + camel, SECURABLE, None, (404,), [full]),
            "patch": _op("update" + camel, SECURABLE, body, (400, 404, 409), [
                full, _param("update_mask", required=True), _param("etag")]),
            "delete": _op("delete" + camel, {"type": "object"}, None, (404, 409),
                          [full, _param("etag")]),
        }
    grant_params = [_param("securable_type", "path"), full]
    out[f"{UC}/permissions/{{securable_type}}/{{full_name}}"] = {
        "get": _op("getGrants", GRANTS, None, (400, 404), grant_params),
        "patch": _op("updateGrants", GRANTS, uc_schemas.GRANTS_UPDATE, (400, 404),
                     grant_params),
    }
    query_body: Schema = {"type": "object", "properties": {"model": {"type": "string"}},
                          "required": ["model"]}
    for route, op_id in (("chat/completions", "gatewayChat"), ("embeddings", "gatewayEmbed")):
        out[f"/ai-gateway/mlflow/v1/{route}"] = {"post": _op(
            op_id, {"type": "object"}, query_body, (400, 404), [])}
    out["/api/2.0/settings/types/enforce_unity_gateway/names/default"] = {"get": _op(
        "getEnforceUnityGateway", {"type": "object", "properties": {
            "enforce_unity_gateway": {"type": "object", "properties": {
                "value": {"type": "boolean"}}}}}, None, (), [])}
    return out
