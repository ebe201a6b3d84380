"""Queries to serving endpoints (the data plane), as evidence that an endpoint answers.

``POST /serving-endpoints/{name}/invocations`` (or one served entity's
``/served-models/{entity}/invocations``), or for a Unity AI Gateway model service the
OpenAI-compatible ``POST /ai-gateway/mlflow/v1/{chat/completions|embeddings}`` with
``model`` = its full name, sent once, never retried: a smoke or gate query's
answer, good or bad, is the result, and a retried 429 would hide what a user would see.
Nothing raises for an HTTP or transport failure; a ``QueryAnswer`` carries the status, the
server's ``error_code`` and message (masked), the body and the latency.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from reconciler.redaction import redact_text
from reconciler.registry.answers import parse_error_body
from reconciler.registry.client import RegistryClient

MAX_MESSAGE = 300


@dataclass(frozen=True)
class QueryAnswer:
    """What one query got back. ``status`` is None when no HTTP answer came at all."""

    status: int | None
    body: Any
    latency_ms: float
    served_entity: str | None = None
    error_code: str | None = None
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def query_path(name: str, entity: str | None = None) -> str:
    if entity is None:
        return f"/serving-endpoints/{quote(name, safe='')}/invocations"
    return (f"/serving-endpoints/{quote(name, safe='')}/served-models/"
            f"{quote(entity, safe='')}/invocations")


async def query_endpoint(
    client: RegistryClient,
    name: str,
    payload: dict[str, Any],
    *,
    entity: str | None = None,
    timeout: float = 60.0,
) -> QueryAnswer:
    """Send one query; the answer whatever it is (see the module docstring)."""
    return await _query(client, query_path(name, entity), payload, timeout)


# The OpenAI-compatible routes of Unity AI Gateway, by the API type a model service lists in
# ``supported_api_types`` (docs/unity-gateway.md "Queries").
GATEWAY_ROUTES = {"openai/v1/chat/completions": "/ai-gateway/mlflow/v1/chat/completions",
                  "openai/v1/embeddings": "/ai-gateway/mlflow/v1/embeddings"}


async def query_model_service(
    client: RegistryClient,
    full_name: str,
    api_type: str,
    payload: dict[str, Any],
    *,
    timeout: float = 60.0,
) -> QueryAnswer:
    """One query of a model service (``catalog.schema.id``) on the route of ``api_type``."""
    return await _query(client, GATEWAY_ROUTES[api_type], {**payload, "model": full_name},
                        timeout)


async def _query(client: RegistryClient, path: str, payload: dict[str, Any],
                 timeout: float) -> QueryAnswer:
    client.stats.by_method["POST"] += 1
    started = time.perf_counter()
    try:
        response = await client.http.request("POST", path, json=payload, timeout=timeout)
        content = await response.aread()
    except httpx.TimeoutException:
        return QueryAnswer(None, None, _ms(started), message=f"no answer within {timeout:g}s")
    except (httpx.HTTPError, ConnectionError) as exc:
        return QueryAnswer(None, None, _ms(started),
                           message=f"{type(exc).__name__}: {_short(str(exc))}")
    latency = _ms(started)
    served = response.headers.get("served-model-name")
    if response.status_code >= 400:
        code, message = parse_error_body(content)
        return QueryAnswer(response.status_code, None, latency, served, code, _short(message))
    try:
        body = json.loads(content) if content.strip() else None
    except (ValueError, UnicodeDecodeError):
        kind = response.headers.get("content-type", "unknown content type")
        return QueryAnswer(response.status_code, None, latency, served,
                           message=f"the answer is not JSON ({kind})")
    return QueryAnswer(response.status_code, body, latency, served)


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def _short(text: str) -> str:
    text = " ".join(redact_text(text).split())
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE] + "..."
