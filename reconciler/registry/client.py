"""The Databricks serving-endpoints REST client: the typed calls of the API.

``RegistryClient`` is the one place that speaks to the registry: the endpoint reads (as the
typed ``LiveEndpoint`` view, raw JSON kept whole), the writes of plan steps (their requests
from ``routes.route``: the step's own endpoint, under the target's host) and their answers'
shapes checked, so later code can index them without surprises; a list without
``endpoints`` is an empty list. Each call goes through ``Transport.call``
(``registry/transport.py``): retries of what is temporary, deadlines, the request budget,
size limits, errors mapped to the ``errors.Registry*`` tree without the token, and every
request counted (``stats``).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Collection
from typing import Any

from reconciler import errors
from reconciler.model.live import LiveEndpoint
from reconciler.model.steps import (
    CreateStep,
    PatchTagsStep,
    PlanStep,
    SetPermissionsStep,
    UpdateConfigStep,
)
from reconciler.registry import permissions
from reconciler.registry.listing import parse_trimmed_list
from reconciler.registry.routes import API, endpoint_path, route
from reconciler.registry.transport import CallStats, Transport

log = logging.getLogger(__name__)


__all__ = ["API", "CallStats", "RegistryClient", "endpoint_path"]


class RegistryClient(Transport):
    """Async client of the serving-endpoints API; methods return plain JSON dicts.

    The typed calls of the API; each goes through ``Transport.call`` (retries, deadlines,
    the request budget, answers checked and errors mapped: ``registry/transport.py``)."""

    # -- the API ---------------------------------------------------------------------------

    async def list_endpoints(self, keep: Collection[str] | None = None) -> list[dict[str, Any]]:
        """Every endpoint's list summary; with ``keep``, only those members of each.

        Callers that need a few members (name, state, tags) of a long list pass ``keep``:
        the list is then parsed one endpoint at a time and trimmed as it is read (listing.py).
        """
        parse = None if keep is None else functools.partial(parse_trimmed_list, keep=keep)
        body = await self.call("GET", API, parse=parse, require_body=True)
        items = body.get("endpoints", [])
        if not isinstance(items, list):
            raise self.protocol_error("GET", API, "'endpoints' is not a list")
        for item in items:
            _check_endpoint(item, "GET", API, self)
        if keep is not None:  # the ordinary parse was the fallback: trim here
            items = [{k: v for k, v in item.items() if k in keep} for item in items]
        return items

    async def read_endpoints(self, keep: Collection[str] | None = None) -> list[LiveEndpoint]:
        """The list as typed views (``model/live.py``), parsed here once for every reader;
        each keeps its raw JSON (``.raw``), unknown members included."""
        return [LiveEndpoint.of(item) for item in await self.list_endpoints(keep)]

    async def read_endpoint(self, name: str) -> LiveEndpoint | None:
        """One endpoint's GET as a typed view (raw JSON in ``.raw``); None when absent."""
        body = await self.get_endpoint(name)
        return None if body is None else LiveEndpoint.of(body)

    async def get_endpoint(self, name: str) -> dict[str, Any] | None:
        path = endpoint_path(name)
        try:
            body = await self.call("GET", path, endpoint=name, require_body=True)
        except errors.RegistryNotFound:
            return None
        _check_endpoint(body, "GET", path, self, name)
        return body

    async def create_endpoint(self, body: dict[str, Any]) -> dict[str, Any]:
        name = str(body.get("name", ""))
        result = await self.call("POST", API, body, endpoint=name, require_body=True)
        _check_endpoint(result, "POST", API, self, name)
        return result

    async def update_config(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        path = endpoint_path(name, "/config")
        result = await self.call("PUT", path, body, endpoint=name, require_body=True)
        _check_endpoint(result, "PUT", path, self, name)
        return result

    async def put_ai_gateway(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        return await self.call("PUT", endpoint_path(name, "/ai-gateway"), body, endpoint=name)

    async def patch_tags(
        self, name: str, add: list[dict[str, Any]], delete: list[str]
    ) -> dict[str, Any]:
        path = endpoint_path(name, "/tags")
        result = await self.call(
            "PATCH", path, {"add_tags": add, "delete_tags": delete}, endpoint=name
        )
        if not isinstance(result.get("tags", []), list):
            raise self.protocol_error("PATCH", path, "'tags' is not a list", name)
        return result

    async def patch_notifications(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        path = endpoint_path(name, "/notifications")
        return await self.call("PATCH", path, body, endpoint=name)

    async def put_rate_limits(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        return await self.call("PUT", endpoint_path(name, "/rate-limits"), body, endpoint=name)

    async def delete_endpoint(self, name: str) -> None:
        await self.call("DELETE", endpoint_path(name), endpoint=name)

    async def write(self, step: PlanStep, body: dict[str, Any] | None,
                    endpoint_id: str | None = None) -> dict[str, Any]:
        """Perform one plan step: its request comes from ``routes.route`` (the step's own
        endpoint, under the target's host); ``body`` is the step's body with secrets resolved;
        ``endpoint_id`` is the endpoint's id, for a permissions step (grants are keyed by it).
        The answer is shape-checked like the typed methods above."""
        method, path = route(step, endpoint_id)
        if isinstance(step, SetPermissionsStep):
            # Paced by the budget's permission-writes class (30 writes/s per workspace).
            answer = await self.call(method, path, body, endpoint=step.endpoint)
            return permissions.checked_answer(self, method, path, answer, step.endpoint)
        if isinstance(step, CreateStep) and (body or {}).get("name") != step.endpoint:
            raise errors.PlanError(
                f"refusing to create {(body or {}).get('name')!r} from a step for endpoint "
                f"{step.endpoint!r}")
        result = await self.call(method, path, body, endpoint=step.endpoint,
                                 require_body=isinstance(step, CreateStep | UpdateConfigStep))
        if isinstance(step, CreateStep | UpdateConfigStep):
            _check_endpoint(result, method, path, self, step.endpoint)
        elif isinstance(step, PatchTagsStep) and not isinstance(result.get("tags", []), list):
            raise self.protocol_error(method, path, "'tags' is not a list", step.endpoint)
        return result

    async def read_back(self, step: PlanStep, endpoint_id: str) -> dict[str, Any]:
        """The live state of what ``step`` writes, for a facet not in the endpoint's GET body
        (permissions: ``GET`` of its own route, keyed by ``endpoint_id``), shape-checked."""
        if not isinstance(step, SetPermissionsStep):
            raise ValueError(f"a {step.op} step's facet is read with the endpoint's GET")
        _method, path = route(step, endpoint_id)
        answer = await self.call("GET", path, endpoint=step.endpoint, require_body=True)
        return permissions.checked_answer(self, "GET", path, answer, step.endpoint)


def _check_endpoint(
    obj: Any, method: str, path: str, client: RegistryClient, name: str | None = None
) -> None:
    """Enough shape checking that later code can index the object without surprises."""
    if not isinstance(obj, dict):
        raise client.protocol_error(method, path, "an endpoint is not a JSON object", name)
    if not isinstance(obj.get("name"), str):
        raise client.protocol_error(method, path, "an endpoint has no string 'name'", name)
    who = name or obj["name"]
    for key in ("state", "config", "pending_config", "ai_gateway", "email_notifications"):
        if key in obj and obj[key] is not None and not isinstance(obj[key], dict):
            raise client.protocol_error(method, path, f"'{key}' is not an object", who)
    tags = obj.get("tags", [])
    if tags is not None and (
        not isinstance(tags, list)
        or not all(isinstance(t, dict) and isinstance(t.get("key"), str) for t in tags)
    ):
        raise client.protocol_error(method, path, "'tags' is not a list of {key, value}", who)
    config = obj.get("config") or {}
    entities = config.get("served_entities", [])
    if entities is not None and (
        not isinstance(entities, list) or not all(isinstance(e, dict) for e in entities)
    ):
        raise client.protocol_error(method, path, "'config.served_entities' is not a list", who)
