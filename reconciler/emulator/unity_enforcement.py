"""The "Enforce Unity Gateway" workspace setting, as an emulator knob.

With it on, a workspace sends generative-AI traffic through Unity Catalog governance only:
the emulator then refuses to create or reconfigure a serving endpoint with an external
model, and refuses queries of existing external-model endpoints on the legacy path (HTTP
501, as LiteLLM observed). The status and code of the write refusal are not documented;
the choice is listed in docs/unity-gateway.md. The knob is ``EmulatorSettings.
enforce_unity_gateway`` (``emulator serve --enforce-unity-gateway``) or, at run time,
``POST /_emulator/unity-gateway {"enforce_unity_gateway": true}``.
"""

from __future__ import annotations

from typing import Any

from reconciler.emulator.api_error import ApiError
from reconciler.emulator.settings import EmulatorSettings
from reconciler.emulator.store import EndpointStore

Doc = dict[str, Any]
META_KEY = "enforce_unity_gateway"
ADVICE = ("this workspace enforces Unity Gateway: use a model provider service and a model "
          "service instead (reconciler migrate)")


def enforced(store: EndpointStore, settings: EmulatorSettings) -> bool:
    if settings.enforce_unity_gateway:
        return True
    return store.read_meta(META_KEY) == "1"


def _external(config: Doc | None) -> bool:
    entities = (config or {}).get("served_entities") or []
    return any(isinstance(e, dict) and e.get("external_model") for e in entities)


def check_write(store: EndpointStore, settings: EmulatorSettings, config: Doc | None) -> None:
    """Refuse a create or config update that serves an external model."""
    if _external(config) and enforced(store, settings):
        raise ApiError(400, "FEATURE_DISABLED",
                       f"External models on serving endpoints are disabled: {ADVICE}.")


def check_query(store: EndpointStore, settings: EmulatorSettings, doc: Doc) -> None:
    """Refuse a legacy-path query of an external-model endpoint."""
    if _external(doc.get("config")) and enforced(store, settings):
        raise ApiError(501, "NOT_IMPLEMENTED",
                       f"Endpoint '{doc['name']}' cannot be queried on this path: {ADVICE}.")
