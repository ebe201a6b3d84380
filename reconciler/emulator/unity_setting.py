"""The "Enforce Unity Gateway" setting as a readable workspace setting, for plan's
preflight: ``GET /api/2.0/settings/types/enforce_unity_gateway/names/default``.

The path follows the workspace settings API's shape (``/api/2.0/settings/types/{type}/
names/default``); this setting's own API is not in databricks-sdk 0.162, so the path is
inferred (docs/unity-gateway.md). The emulator answers it from its knob.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reconciler.emulator import unity_enforcement
from reconciler.emulator.routes import json_response
from reconciler.emulator.settings import EmulatorSettings
from reconciler.emulator.store import EndpointStore

PATH = "/api/2.0/settings/types/enforce_unity_gateway/names/default"


def routes(store: EndpointStore, settings: EmulatorSettings) -> list[Route]:
    async def get(request: Request) -> Response:
        value = unity_enforcement.enforced(store, settings)
        return json_response({"setting_name": "default",
                              "enforce_unity_gateway": {"value": value}})

    return [Route(PATH, get, methods=["GET"])]
