"""The HTTP surface: one handler per Databricks route, in and out of JSON.

Handlers stay thin: parse the body, run the structural check, then do the work in one
store transaction (writes) or one SELECT (reads). Order of answers for a write: a body that
is not JSON (400 MALFORMED_REQUEST), a badly typed body (400), an unknown endpoint (404),
an update already in progress (409), then the rules that need the stored endpoint (400).
"""

from __future__ import annotations

import json
import random
import time
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from reconciler.emulator import (
    endpoints,
    identity,
    invocations,
    schemas,
    unity_enforcement,
    validation,
    views,
)
from reconciler.emulator.api_error import (
    ApiError,
    already_exists,
    malformed,
    not_found,
    query_fault,
)
from reconciler.emulator.settings import EmulatorSettings
from reconciler.emulator.store import EndpointStore, QueryFault, WriteTxn

Doc = dict[str, Any]

OPENAI_TASKS = {
    "/serving-endpoints/chat/completions": "llm/v1/chat",
    "/serving-endpoints/completions": "llm/v1/completions",
    "/serving-endpoints/embeddings": "llm/v1/embeddings",
}


def now_ms() -> int:
    return int(time.time() * 1000)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None,
                  ) -> Response:
    payload = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    return Response(payload, status_code=status, headers=headers,
                    media_type="application/json")


async def read_body(request: Request) -> Doc:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except RecursionError:
        raise malformed(_TOO_DEEP) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise malformed(f"Invalid JSON given in the body of the request: {exc}") from None
    if not isinstance(body, dict):
        raise malformed("The body of the request must be a JSON object.")
    if _deeper_than(body, MAX_NESTING):
        raise malformed(_TOO_DEEP)
    return body


# Requests nest about ten levels; deeper ones would exhaust the recursion of validation.
MAX_NESTING = 64
_TOO_DEEP = f"The body of the request is nested deeper than {MAX_NESTING} levels."


def _deeper_than(data: Any, limit: int) -> bool:
    """Iterative depth check (the check itself must not recurse on hostile input)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return False


class ApiHandlers:
    """The route handlers of one emulator instance (its store and settings)."""

    def __init__(self, store: EndpointStore, settings: EmulatorSettings) -> None:
        self.store = store
        self.settings = settings
        # Its own generator (not the gateway's), so traffic-split and query-fault draws
        # repeat with --seed whatever faults the API requests drew.
        self.query_rng = random.Random(settings.seed)

    def _settled(self, name: str) -> Doc:
        doc = self.store.read(name)
        if doc is None:
            raise not_found(name)
        return endpoints.settle(doc, now_ms())

    @staticmethod
    def _existing(txn: WriteTxn, name: str) -> Doc:
        doc = txn.get(name)
        if doc is None:
            raise not_found(name)
        return endpoints.settle(doc, now_ms())

    # --- endpoints ---------------------------------------------------------------------
    async def create(self, request: Request) -> Response:
        body = await read_body(request)
        validation.check_create(body)
        validation.check_classic_route(body.get("config"))
        unity_enforcement.check_write(self.store, self.settings, body.get("config"))
        return await self._create(body)

    async def create_pt(self, request: Request) -> Response:
        """``POST .../serving-endpoints/pt`` (SDK ``create_provisioned_throughput_endpoint``):
        the same endpoint as a classic create of the PT body."""
        body = await read_body(request)
        validation.check_pt_create(body)
        unity_enforcement.check_write(self.store, self.settings, body.get("config"))
        return await self._create(body)

    async def update_pt_config(self, request: Request) -> Response:
        """``PUT .../pt/{name}/config``: ``{"config": PtEndpointCoreConfig}``."""
        body = await read_body(request)
        validation.check_body(schemas.PT_UPDATE, body)
        validation.check_pt_config(body["config"], "config")
        unity_enforcement.check_write(self.store, self.settings, body["config"])
        return await self._update_config(request.path_params["name"], body["config"])

    async def _create(self, body: Doc) -> Response:
        def work(txn: WriteTxn) -> Doc:
            name = body["name"]
            if txn.get(name) is not None:
                raise already_exists(name)
            doc = endpoints.new_endpoint(
                body, endpoint_id=uuid.uuid4().hex, creator=self.settings.creator,
                now=now_ms(), ready_after=self.settings.ready_after, salt=self.store.salt,
                fail=txn.take_fail_next_update(name))
            endpoints.force_values(doc, self.settings.normalise)
            txn.put(doc)
            txn.put_acl(doc["id"], identity.creator_acl(doc["creator"]))
            return doc

        return json_response(views.detailed(await self.store.write(work)))

    async def get(self, request: Request) -> Response:
        return json_response(views.detailed(self._settled(request.path_params["name"])))

    async def list_endpoints(self, request: Request) -> Response:
        now = now_ms()
        items = [views.summary(endpoints.settle(doc, now)) for doc in self.store.read_all()]
        return json_response({"endpoints": items} if items else {})

    async def delete(self, request: Request) -> Response:
        name = request.path_params["name"]

        def work(txn: WriteTxn) -> None:
            self._existing(txn, name)
            txn.delete(name)  # its grants go with it

        await self.store.write(work)
        return json_response({})

    async def update_config(self, request: Request) -> Response:
        body = await read_body(request)
        validation.check_body(schemas.CORE_CONFIG, body)
        validation.check_classic_route(body)
        unity_enforcement.check_write(self.store, self.settings, body)
        return await self._update_config(request.path_params["name"], body)

    async def _update_config(self, name: str, body: Doc) -> Response:
        def work(txn: WriteTxn) -> Doc:
            # A refused update rolls back, so an armed failure waits for the next real one.
            doc = endpoints.update_config(
                self._existing(txn, name), body, now=now_ms(),
                ready_after=self.settings.ready_after, salt=self.store.salt,
                fail=txn.take_fail_next_update(name))
            endpoints.force_values(doc, self.settings.normalise)
            txn.put(doc)
            return doc

        return json_response(views.detailed(await self.store.write(work)))

    async def put_rate_limits(self, request: Request) -> Response:
        name = request.path_params["name"]
        body = await read_body(request)
        validation.check_body(schemas.PUT_RATE_LIMITS, body)
        limits = endpoints.legacy_rate_limits(body.get("rate_limits") or [])

        def work(txn: WriteTxn) -> None:
            doc = self._existing(txn, name)
            doc["legacy_rate_limits"] = limits
            txn.put(doc)

        await self.store.write(work)
        return json_response({"rate_limits": limits} if limits else {})

    async def put_ai_gateway(self, request: Request) -> Response:
        name = request.path_params["name"]
        body = await read_body(request)
        validation.check_body(schemas.AI_GATEWAY, body)

        def work(txn: WriteTxn) -> Doc | None:
            doc = self._existing(txn, name)
            validation.check_gateway(body, doc.get("ai_gateway"), "ai_gateway")
            gateway = endpoints.normalise_gateway(body, name)
            doc.pop("ai_gateway", None)
            if gateway:
                doc["ai_gateway"] = gateway
                endpoints.fill_pt_gateway(doc)
            txn.put(doc)
            return gateway

        return json_response(await self.store.write(work) or {})

    async def patch_tags(self, request: Request) -> Response:
        name = request.path_params["name"]
        body = await read_body(request)
        validation.check_body(schemas.PATCH_TAGS, body)

        def work(txn: WriteTxn) -> Doc:
            doc = endpoints.patch_tags(self._existing(txn, name), body.get("add_tags") or [],
                                       body.get("delete_tags") or [])
            txn.put(doc)
            return doc

        doc = await self.store.write(work)
        return json_response({"tags": doc["tags"]} if doc.get("tags") else {})

    async def patch_notifications(self, request: Request) -> Response:
        name = request.path_params["name"]
        body = await read_body(request)
        validation.check_body(schemas.PATCH_NOTIFICATIONS, body)
        notifications = endpoints.prune(schemas.EMAIL_NOTIFICATIONS,
                                        body.get("email_notifications") or {})

        def work(txn: WriteTxn) -> None:
            doc = self._existing(txn, name)
            doc.pop("email_notifications", None)
            if notifications:
                doc["email_notifications"] = notifications
            txn.put(doc)

        await self.store.write(work)
        answer: Doc = {"name": name}
        if notifications:
            answer["email_notifications"] = notifications
        return json_response(answer)

    async def patch_telemetry_config(self, request: Request) -> Response:
        """``PATCH .../telemetry-config``: replaces the telemetry; an omitted one removes it
        (SDK 0.162 ``patch_telemetry_config`` docstring). Answers the endpoint."""
        name = request.path_params["name"]
        body = await read_body(request)
        validation.check_body(schemas.PATCH_TELEMETRY, body)
        telemetry = endpoints.stored_telemetry(body.get("telemetry_config"))

        def work(txn: WriteTxn) -> Doc:
            doc = self._existing(txn, name)
            doc.pop("telemetry_config", None)
            if telemetry:
                doc["telemetry_config"] = telemetry
            txn.put(doc)
            return doc

        return json_response(views.detailed(await self.store.write(work)))

    # --- queries ---------------------------------------------------------------------------
    async def invocations(self, request: Request) -> Response:
        body = await read_body(request)
        return self._query(request.path_params["name"], body)

    async def entity_invocations(self, request: Request) -> Response:
        body = await read_body(request)
        return self._query(request.path_params["name"], body, request.path_params["entity"])

    async def openai_route(self, request: Request) -> Response:
        body = await read_body(request)
        validation.check_body(schemas.OPENAI_QUERY, body)
        name = body.pop("model")
        doc = self._settled(name)
        expected = OPENAI_TASKS[request.url.path]
        task = endpoints.config_task(doc.get("config"))
        if task != expected:
            raise ApiError(400, "INVALID_PARAMETER_VALUE",
                           f"Endpoint '{name}' has task '{task}', not '{expected}'.")
        return self._query(name, body)

    def _query(self, name: str, body: Doc, entity_name: str | None = None) -> Response:
        doc = self.store.read(name)
        if doc is None:
            raise not_found(name)
        doc = endpoints.settle(doc, now_ms())
        unity_enforcement.check_query(self.store, self.settings, doc)
        entity = invocations.answering_entity(doc, body, self.query_rng.random(), entity_name)
        answer, served = invocations.entity_answer(entity, body, now_ms() // 1000)
        self._injected_query_fault(name, served)
        headers = {"served-model-name": served}
        if body.get("stream") and "choices" in answer:
            return StreamingResponse(invocations.stream_chunks(answer), headers=headers,
                                     media_type="text/event-stream")
        return json_response(answer, headers=headers)

    # --- test controls -----------------------------------------------------------------------
    async def fail_next_update(self, request: Request) -> Response:
        body = await read_body(request)
        validation.check_body(schemas.FAIL_NEXT_UPDATE, body)
        name = body["name"]

        def work(txn: WriteTxn) -> None:
            txn.set_fail_next_update(name)

        await self.store.write(work)
        return json_response({})

    def _injected_query_fault(self, name: str, served: str) -> None:
        """Raise the armed fault of ``POST /_emulator/fail-queries`` when this query draws it.

        A fault on the answering entity wins over one on the whole endpoint.
        """
        faults = {f.served_entity: f for f in self.store.read_query_faults(name)}
        fault = faults.get(served) or faults.get("")
        if fault is not None and self.query_rng.random() < fault.rate:
            raise query_fault(fault.status, served, fault.message)

    async def fail_queries(self, request: Request) -> Response:
        body = await read_body(request)
        validation.check_body(schemas.FAIL_QUERIES, body)
        fault = QueryFault(name=body["name"], served_entity=body.get("served_entity") or "",
                           status=int(body["status"]), rate=float(body["rate"]),
                           message=body.get("message"))

        def work(txn: WriteTxn) -> None:
            txn.set_query_fault(fault)

        await self.store.write(work)
        return json_response({})

    async def health(self, request: Request) -> Response:
        return json_response({"status": "ok"})
