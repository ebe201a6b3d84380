"""Queries of model services through the OpenAI-compatible Unity AI Gateway route
(``POST /ai-gateway/mlflow/v1/chat/completions`` and ``/embeddings``, ``model`` = the model
service's ``catalog.schema.id``).

Which destination answers follows the service's routing: a primary destination drawn by
its traffic percentage (the draw is a digest of the request, so equal requests go to the
same destination and a test can predict it), then, if that destination cannot answer (its
provider service or serving endpoint is gone, or the emulator was told it fails), the
fallback destinations in order. The answer itself is the canned one of ``invocations``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from reconciler.emulator import invocations
from reconciler.emulator.api_error import ApiError, invalid

Doc = dict[str, Any]
ROUTE_TYPES = {
    "chat": "openai/v1/chat/completions",
    "embeddings": "openai/v1/embeddings",
}
TASKS = {"chat": "llm/v1/chat", "embeddings": "llm/v1/embeddings"}


def draw(payload: Doc) -> int:
    """A number in 0..99 fixed by the request body."""
    raw = json.dumps(payload, sort_keys=True, default=str).encode()
    return int(hashlib.sha256(raw).hexdigest()[:8], 16) % 100


def pick_primary(destinations: list[Doc], point: int) -> Doc:
    if len(destinations) == 1:
        return destinations[0]
    total = 0
    for dest in destinations:
        total += int(dest.get("traffic_percentage") or 0)
        if point < total:
            return dest
    return destinations[-1]


def order(config: Doc, payload: Doc) -> list[Doc]:
    """Destinations in the order they are tried for this request."""
    routing = config.get("routing") or {}
    primary = [d for d in routing.get("destinations") or []
               if len(routing["destinations"]) == 1 or int(d.get("traffic_percentage") or 0)]
    chosen = [pick_primary(primary, draw(payload))] if primary else []
    return chosen + list((routing.get("fallback") or {}).get("destinations") or [])


def _model_and_types(dest: Doc) -> tuple[str, list[str]]:
    if dest.get("external_model_config"):
        target = dest["external_model_config"].get("target") or {}
        return str(target.get("model")), list(target.get("native_api_types") or [])
    if dest.get("pay_per_token_config"):
        model = str(dest["pay_per_token_config"]["model"]).removeprefix("models/")
        return model, [ROUTE_TYPES["chat"]]
    pt = dest.get("provisioned_throughput_config") or {}
    return str(pt.get("model") or pt.get("model_serving_endpoint")), [ROUTE_TYPES["chat"]]


def answer(service: Doc, route: str, payload: Doc, now_s: int,
           available: Callable[[Doc], bool]) -> tuple[Doc, str]:
    """The body and the name of the destination that answered."""
    full_name = str(service["name"]).split("/", 1)[1]
    tried: list[str] = []
    for dest in order(service.get("config") or {}, payload):
        model, types = _model_and_types(dest)
        if types and ROUTE_TYPES[route] not in types:
            tried.append(f"{dest['name']} (no {ROUTE_TYPES[route]})")
            continue
        if not available(dest):
            tried.append(f"{dest['name']} (unavailable)")
            continue
        endpoint = {"name": full_name, "config": {"served_entities": [{
            "name": dest["name"], "external_model": {"name": model, "task": TASKS[route]}}]}}
        body, _ = invocations.answer(endpoint, payload, now_s)
        return body, str(dest["name"])
    if not any(t.endswith("(unavailable)") for t in tried):
        raise invalid(f"Model service '{full_name}' has no destination for "
                      f"{ROUTE_TYPES[route]}.")
    raise ApiError(503, "TEMPORARILY_UNAVAILABLE",
                   f"No destination of model service '{full_name}' could answer: "
                   + ", ".join(tried) + ".")
