"""Smoke queries of Unity AI Gateway model services (``reconciler test``).

A model service answers on the OpenAI-compatible ``/ai-gateway/mlflow/v1`` routes with
``model`` set to its full name. Its smoke query is the built-in chat request when it
supports chat, else the embeddings request; which one comes from the live service's
read-only ``supported_api_types`` and the ``native_api_types`` of the manifest's external
destinations. The answer is judged like an endpoint's (``applying.smoke.check_answer``):
``choices[].message`` or ``data[].embedding``, and ``usage``. Sent once, never retried.
``apply --smoke`` queries each model service it created or updated the same way.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from reconciler import errors
from reconciler.applying.report import ApplyReport, EndpointOutcome, SmokeResult
from reconciler.applying.smoke import (
    CHAT,
    DEFAULT_REQUESTS,
    EMBEDDINGS,
    SmokeRequest,
    SmokeSettings,
    failed,
    result_of,
    skipped,
    with_smoke,
)
from reconciler.model.unity import ModelService
from reconciler.registry import unity_client
from reconciler.registry.client import RegistryClient
from reconciler.registry.pacing import for_each
from reconciler.registry.queries import query_model_service

CHAT_TYPES = ("openai/v1/chat/completions", "mlflow/v1/chat/completions")
EMBEDDINGS_TYPE = "openai/v1/embeddings"


def declared_api_types(service: ModelService) -> list[str]:
    """The ``native_api_types`` of the manifest's external destinations (primary first)."""
    routing = service.config.routing
    destinations = [*routing.destinations,
                    *((routing.fallback.destinations or []) if routing.fallback else [])]
    return [t for d in destinations if d.external_model_config is not None
            for t in d.external_model_config.target.native_api_types or []]


def api_type_of(service: ModelService, live: Mapping[str, Any]) -> tuple[str, str] | str:
    """``(api type of the route, task)`` of the service's smoke query, or why it has none."""
    listed = live.get("supported_api_types")
    types = [*(t for t in listed if isinstance(t, str))] if isinstance(listed, list) else []
    types += declared_api_types(service)
    if any(t in CHAT_TYPES for t in types):
        return CHAT_TYPES[0], CHAT
    if EMBEDDINGS_TYPE in types:
        return EMBEDDINGS_TYPE, EMBEDDINGS
    shown = ", ".join(dict.fromkeys(types)) or "none"
    return f"no chat or embeddings API type to query (supported_api_types: {shown})"


async def smoke_model_service(registry: RegistryClient, service: ModelService,
                              settings: SmokeSettings) -> SmokeResult:
    """One smoke query of a model service, judged; a missing service fails."""
    name = service.name
    try:
        live = await unity_client.get_service(registry, service.collection, name)
    except errors.RegistryError as exc:
        return failed(name, f"cannot read the model service: {exc}")
    if live is None:
        return failed(name, "the model service does not exist on the target (apply first)")
    choice = api_type_of(service, live)
    if isinstance(choice, str):
        return skipped(name, choice)
    api_type, task = choice
    request = SmokeRequest(copy.deepcopy(DEFAULT_REQUESTS[task]), task)
    answer = await query_model_service(registry, name, api_type, request.payload,
                                       timeout=settings.timeout)
    return result_of(name, request, answer)


async def smoke_services_after_apply(report: ApplyReport, registry: RegistryClient,
                                     services: Sequence[ModelService],
                                     settings: SmokeSettings) -> ApplyReport:
    """``apply --smoke`` for model services: each one apply created or updated gets its
    smoke query; a failed one becomes ``failed (smoke)`` like an endpoint."""
    by_label = {f"{s.collection}/{s.name}": s for s in services}
    results: dict[str, SmokeResult] = {}
    chosen = [o for o in report.outcomes if o.status == "done" and o.name in by_label
              and o.action in ("create", "update")]

    async def one(outcome: EndpointOutcome) -> None:
        results[outcome.name] = await smoke_model_service(registry, by_label[outcome.name],
                                                          settings)

    await for_each(chosen, one, workers=settings.parallelism)
    outcomes = [with_smoke(o, results[o.name]) if o.name in results else o
                for o in report.outcomes]
    return report.model_copy(update={"outcomes": outcomes})
