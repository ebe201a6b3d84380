"""HTTP routes of the Unity AI Gateway securables (databricks-sdk 0.162 ``AiGatewayAPI``),
their Unity Catalog grants, and the OpenAI-compatible query route of model services.

- ``POST /api/2.1/unity-catalog/{kind}?parent=schemas/c.s&{kind}_id=id``: create; the body
  is the object without ``name`` (the server derives ``{kind}/c.s.id``).
- ``GET /api/2.1/unity-catalog/{kind}?parent=&view=BASIC|FULL&page_size=&page_token=``.
- ``GET|PATCH|DELETE /api/2.1/unity-catalog/{kind}/c.s.id`` (PATCH needs ``update_mask``;
  PATCH and DELETE honour ``etag``).
- ``GET|PATCH /api/2.1/unity-catalog/permissions/{securable_type}/c.s.id``.
- ``POST /ai-gateway/mlflow/v1/chat/completions`` and ``/embeddings``.
- ``GET|POST /_emulator/unity-gateway``: knobs (enforcement, an empty first list page,
  destinations told to fail).
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reconciler.emulator import (
    gateway_query,
    uc_schemas,
    uc_services,
    uc_validation,
    unity_enforcement,
    unity_setting,
    validation,
)
from reconciler.emulator.api_error import ApiError, invalid
from reconciler.emulator.routes import json_response, read_body
from reconciler.emulator.settings import EmulatorSettings
from reconciler.emulator.store import EndpointStore, WriteTxn
from reconciler.emulator.uc_services import Kind

Doc = dict[str, Any]
UC = "/api/2.1/unity-catalog"
DEFAULT_PAGE = 200
MAX_PAGE = {"BASIC": 1000, "FULL": 200}
# Privileges these securables take (others are refused as on a workspace).
PRIVILEGES = frozenset({"ALL_PRIVILEGES", "APPLY_TAG", "BROWSE", "EXECUTE", "MANAGE",
                        "READ_METADATA"})
KNOBS = ("enforce_unity_gateway", "empty_first_list_page", "failing_destinations")


def _now_ms() -> int:
    return int(time.time() * 1000)


def _token(last_name: str) -> str:
    return base64.urlsafe_b64encode(("p:" + last_name).encode()).decode()


def _after(token: str | None) -> str:
    if not token:
        return ""
    try:
        raw = base64.urlsafe_b64decode(token.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        raise invalid("Invalid page_token.") from None
    if not raw.startswith("p:"):
        raise invalid("Invalid page_token.")
    return raw[2:]


class UnityHandlers:
    """Handlers of one emulator instance for the Unity Catalog AI Gateway securables."""

    def __init__(self, store: EndpointStore, settings: EmulatorSettings) -> None:
        self.store = store
        self.settings = settings
        self.metastore_id = str(uuid.uuid5(uuid.NAMESPACE_URL, "emulator:" + store.salt))

    # --- helpers -------------------------------------------------------------------------
    def _knob(self, name: str) -> Any:
        raw = self.store.read_meta("uc:" + name)
        return None if raw is None else json.loads(raw)

    def _available(self, service_full: str) -> Callable[[Doc], bool]:
        failing = set(self._knob("failing_destinations") or [])

        def available(dest: Doc) -> bool:
            if f"{service_full}/{dest['name']}" in failing:
                return False
            return not self._dangling(dest)

        return available

    def _dangling(self, dest: Doc) -> bool:
        external = dest.get("external_model_config")
        if external:
            return self.store.read_securable(str(external["model_provider_service"])) is None
        pt = dest.get("provisioned_throughput_config")
        if pt:
            name = str(pt["model_serving_endpoint"]).removeprefix("serving-endpoints/")
            return self.store.read(name) is None
        return False

    def _view(self, kind: Kind, doc: Doc) -> Doc:
        out = uc_services.derived(kind, doc)
        routing = (out.get("config") or {}).get("routing") or {}
        for dest in (routing.get("destinations") or []) + \
                ((routing.get("fallback") or {}).get("destinations") or []):
            if self._dangling(dest):
                dest["is_deleted"] = True
        return out

    def _check_config(self, kind: Kind, txn: WriteTxn, config: Doc) -> None:
        if kind is uc_services.MODEL_PROVIDER_SERVICE:
            uc_validation.check_provider_config(config)
        elif kind is uc_services.MODEL_SERVICE:
            uc_validation.check_model_service_config(
                config, txn.get_securable, lambda name: txn.get(name) is not None)
            self._resolve_pt(txn, config)
        else:
            uc_validation.check_mcp_config(config)

    @staticmethod
    def _resolve_pt(txn: WriteTxn, config: Doc) -> None:
        routing = config.get("routing") or {}
        for dest in (routing.get("destinations") or []) + \
                ((routing.get("fallback") or {}).get("destinations") or []):
            pt = dest.get("provisioned_throughput_config")
            if pt:
                endpoint = txn.get(str(pt["model_serving_endpoint"]).split("/", 1)[1]) or {}
                entities = (endpoint.get("config") or {}).get("served_entities") or [{}]
                pt["model"] = str(entities[0].get("entity_name") or endpoint.get("name"))

    @staticmethod
    def _body(kind: Kind, raw: Doc) -> Doc:
        validation.check_body(uc_schemas.securable(kind.config_schema), raw)
        return raw

    # --- securables ------------------------------------------------------------------------
    def create(self, kind: Kind) -> Callable[[Request], Any]:
        async def handler(request: Request) -> Response:
            body = self._body(kind, await read_body(request))
            if body.get("name"):
                raise invalid(f"Do not set name on create: the server derives it from parent "
                              f"and {kind.id_param}.")
            catalog, schema = uc_services.parse_parent(request.query_params.get("parent"))
            service_id = uc_services.check_part(request.query_params.get(kind.id_param),
                                                kind.id_param)
            full = f"{catalog}.{schema}.{service_id}"

            def work(txn: WriteTxn) -> Doc:
                if txn.securable_name(full) is not None:
                    raise ApiError(409, "RESOURCE_ALREADY_EXISTS",
                                   f"A securable named '{full}' already exists.")
                self._check_config(kind, txn, body.get("config") or {})
                doc = uc_services.new_document(
                    kind, body, catalog=catalog, schema=schema, service_id=service_id,
                    creator=self.settings.creator, now_ms=_now_ms(),
                    metastore_id=self.metastore_id, salt=self.store.salt)
                self._resolve_pt(txn, doc["config"])
                txn.put_securable(full, doc)
                return doc

            return json_response(self._view(kind, await self.store.write(work)))

        return handler

    def get(self, kind: Kind) -> Callable[[Request], Any]:
        async def handler(request: Request) -> Response:
            name = kind.name(request.path_params["full_name"])
            doc = self.store.read_securable(name)
            if doc is None:
                raise uc_services.not_found(kind, name)
            return json_response(self._view(kind, doc))

        return handler

    def list(self, kind: Kind) -> Callable[[Request], Any]:
        async def handler(request: Request) -> Response:
            query = request.query_params
            if not query.get("parent"):
                raise invalid("parent is required: 'schemas/{catalog}.{schema}'.")
            catalog, schema = uc_services.parse_parent(query.get("parent"))
            view = query.get("view") or "BASIC"
            if view not in MAX_PAGE:
                raise invalid(f"Invalid view {view!r}; expected BASIC or FULL.")
            try:
                size = int(query.get("page_size") or 0)
            except ValueError:
                raise invalid("page_size must be an integer.") from None
            if size < 0:
                raise invalid("page_size must not be negative.")
            size = min(size or DEFAULT_PAGE, MAX_PAGE[view])
            token = query.get("page_token")
            if not token and self._knob("empty_first_list_page"):
                # As on a workspace that filters a page after cutting it: nothing, but more.
                return json_response({"next_page_token": _token("")})
            prefix = kind.name(f"{catalog}.{schema}.")
            docs = self.store.read_securables(prefix, _after(token), size + 1)
            more = len(docs) > size
            docs = docs[:size]
            items = [self._view(kind, d) for d in docs]
            if view == "BASIC":
                items = [uc_services.basic(kind, d) for d in items]
            answer: Doc = {kind.list_key: items} if items else {}
            if more:
                answer["next_page_token"] = _token(docs[-1]["name"])
            return json_response(answer)

        return handler

    def update(self, kind: Kind) -> Callable[[Request], Any]:
        async def handler(request: Request) -> Response:
            name = kind.name(request.path_params["full_name"])
            body = self._body(kind, await read_body(request))
            paths = uc_services.parse_mask(kind, request.query_params.get("update_mask"))
            etag = request.query_params.get("etag")

            def work(txn: WriteTxn) -> Doc:
                old = txn.get_securable(name)
                if old is None:
                    raise uc_services.not_found(kind, name)
                uc_services.check_etag(kind, old, etag)
                doc = uc_services.apply_mask(kind, old, body, paths, self.store.salt)
                uc_validation.check_immutable(old, doc)
                self._check_config(kind, txn, doc.get("config") or {})
                uc_services.touch(doc, self.settings.creator, _now_ms())
                txn.put_securable(request.path_params["full_name"], doc)
                return doc

            return json_response(self._view(kind, await self.store.write(work)))

        return handler

    def delete(self, kind: Kind) -> Callable[[Request], Any]:
        async def handler(request: Request) -> Response:
            full = request.path_params["full_name"]
            name = kind.name(full)
            etag = request.query_params.get("etag")

            def work(txn: WriteTxn) -> None:
                old = txn.get_securable(name)
                if old is None:
                    raise uc_services.not_found(kind, name)
                uc_services.check_etag(kind, old, etag)
                txn.delete_securable(name, f"{kind.securable_type}/{full}")

            await self.store.write(work)
            return json_response({})

        return handler

    # --- grants ------------------------------------------------------------------------------
    def _securable(self, request: Request) -> tuple[Kind, str]:
        raw_type = str(request.path_params["securable_type"]).upper()
        kind = uc_services.BY_SECURABLE_TYPE.get(raw_type)
        if kind is None:
            raise invalid(f"Unsupported securable type '{raw_type}' (the emulator has "
                          f"{', '.join(sorted(uc_services.BY_SECURABLE_TYPE))}).")
        full = request.path_params["full_name"]
        if self.store.read_securable(kind.name(full)) is None:
            raise uc_services.not_found(kind, kind.name(full))
        return kind, full

    async def get_grants(self, request: Request) -> Response:
        kind, full = self._securable(request)
        grants = self.store.read_grants(f"{kind.securable_type}/{full}")
        principal = request.query_params.get("principal")
        if principal:
            grants = [g for g in grants if g["principal"] == principal]
        return json_response({"privilege_assignments": grants} if grants else {})

    async def update_grants(self, request: Request) -> Response:
        kind, full = self._securable(request)
        body = await read_body(request)
        validation.check_body(uc_schemas.GRANTS_UPDATE, body)
        changes = body.get("changes") or []
        for i, change in enumerate(changes):
            for privilege in (change.get("add") or []) + (change.get("remove") or []):
                if privilege not in PRIVILEGES:
                    raise invalid(f"changes[{i}]: privilege {privilege} does not apply to a "
                                  f"{kind.label.lower()}.")
        key = f"{kind.securable_type}/{full}"

        def work(txn: WriteTxn) -> list[Doc]:
            held = {g["principal"]: set(g["privileges"]) for g in txn.get_grants(key)}
            for change in changes:
                privileges = held.setdefault(change["principal"], set())
                privileges |= set(change.get("add") or [])
                privileges -= set(change.get("remove") or [])
            grants = [{"principal": p, "privileges": sorted(v)}
                      for p, v in sorted(held.items()) if v]
            txn.put_grants(key, grants)
            return grants

        grants = await self.store.write(work)
        return json_response({"privilege_assignments": grants} if grants else {})

    # --- queries -------------------------------------------------------------------------------
    def query(self, route: str) -> Callable[[Request], Any]:
        async def handler(request: Request) -> Response:
            body = await read_body(request)
            model = body.pop("model", None)
            if not isinstance(model, str) or model.count(".") != 2:
                raise invalid("'model' must be a model service's full name "
                              "'catalog.schema.service'.")
            name = uc_services.MODEL_SERVICE.name(model)
            service = self.store.read_securable(name)
            if service is None:
                raise uc_services.not_found(uc_services.MODEL_SERVICE, name)
            answer, served = gateway_query.answer(service, route, body, _now_ms() // 1000,
                                                  self._available(model))
            return json_response(answer, headers={"served-model-name": served})

        return handler

    # --- knobs -----------------------------------------------------------------------------------
    async def knobs(self, request: Request) -> Response:
        if request.method == "POST":
            body = await read_body(request)
            unknown = [k for k in body if k not in KNOBS]
            if unknown:
                raise invalid(f"Unknown knob {unknown[0]!r}; known: {', '.join(KNOBS)}.")

            def work(txn: WriteTxn) -> None:
                for key, value in body.items():
                    if key == "enforce_unity_gateway":
                        txn.set_meta(unity_enforcement.META_KEY, "1" if value else "0")
                    txn.set_meta("uc:" + key, json.dumps(value))

            await self.store.write(work)
        state = {k: self._knob(k) for k in KNOBS}
        state["enforce_unity_gateway"] = unity_enforcement.enforced(self.store, self.settings)
        return json_response(state)


def routes(store: EndpointStore, settings: EmulatorSettings) -> list[Route]:
    h = UnityHandlers(store, settings)
    out = [
        Route(UC + "/permissions/{securable_type}/{full_name}", h.get_grants, methods=["GET"]),
        Route(UC + "/permissions/{securable_type}/{full_name}", h.update_grants,
              methods=["PATCH"]),
        Route("/ai-gateway/mlflow/v1/chat/completions", h.query("chat"), methods=["POST"]),
        Route("/ai-gateway/mlflow/v1/embeddings", h.query("embeddings"), methods=["POST"]),
        Route("/_emulator/unity-gateway", h.knobs, methods=["GET", "POST"]),
    ]
    out += unity_setting.routes(store, settings)
    for kind in uc_services.KINDS.values():
        base = f"{UC}/{kind.collection}"
        out += [
            Route(base, h.create(kind), methods=["POST"]),
            Route(base, h.list(kind), methods=["GET"]),
            Route(base + "/{full_name}", h.get(kind), methods=["GET"]),
            Route(base + "/{full_name}", h.update(kind), methods=["PATCH"]),
            Route(base + "/{full_name}", h.delete(kind), methods=["DELETE"]),
        ]
    return out
