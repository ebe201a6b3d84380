"""``create_app``: the emulator as one ASGI application.

The same app serves in-process (``httpx.AsyncClient(transport=httpx.ASGITransport(app=...))``,
the embedded ``local`` target) and over a socket under uvicorn (``reconciler emulator
serve``). Paths and methods the service has no API for answer 404 ``ENDPOINT_NOT_FOUND``
in the service's error shape.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp

from reconciler.emulator import openapi, permissions, uc_routes
from reconciler.emulator.api_error import ApiError, no_api
from reconciler.emulator.middleware import GatewayMiddleware
from reconciler.emulator.routes import ApiHandlers, json_response
from reconciler.emulator.settings import EmulatorSettings
from reconciler.emulator.store import EndpointStore

__all__ = ["EmulatorApp", "EmulatorSettings", "create_app"]

BASE = "/api/2.0/serving-endpoints"


def _routes(h: ApiHandlers, permission_routes: list[Route]) -> list[Route]:
    return [
        # MLflow's client joins paths with a trailing slash for list and create.
        Route(BASE, h.list_endpoints, methods=["GET"]),
        Route(BASE + "/", h.list_endpoints, methods=["GET"]),
        Route(BASE, h.create, methods=["POST"]),
        Route(BASE + "/pt", h.create_pt, methods=["POST"]),
        Route(BASE + "/pt/{name}/config", h.update_pt_config, methods=["PUT"]),
        Route(BASE + "/", h.create, methods=["POST"]),
        Route(BASE + "/{name}", h.get, methods=["GET"]),
        Route(BASE + "/{name}", h.delete, methods=["DELETE"]),
        Route(BASE + "/{name}/config", h.update_config, methods=["PUT"]),
        Route(BASE + "/{name}/rate-limits", h.put_rate_limits, methods=["PUT"]),
        Route(BASE + "/{name}/ai-gateway", h.put_ai_gateway, methods=["PUT"]),
        Route(BASE + "/{name}/tags", h.patch_tags, methods=["PATCH"]),
        Route(BASE + "/{name}/notifications", h.patch_notifications, methods=["PATCH"]),
        Route(BASE + "/{name}/telemetry-config", h.patch_telemetry_config, methods=["PATCH"]),
        *permission_routes,
        Route("/serving-endpoints/chat/completions", h.openai_route, methods=["POST"]),
        Route("/serving-endpoints/completions", h.openai_route, methods=["POST"]),
        Route("/serving-endpoints/embeddings", h.openai_route, methods=["POST"]),
        Route("/serving-endpoints/{name}/invocations", h.invocations, methods=["POST"]),
        Route("/serving-endpoints/{name}/served-models/{entity}/invocations",
              h.entity_invocations, methods=["POST"]),
        Route("/.well-known/databricks-config", _host_metadata, methods=["GET"]),
        Route("/_emulator/health", h.health, methods=["GET"]),
        Route("/_emulator/openapi.json", _openapi, methods=["GET"]),
        Route("/_emulator/fail-next-update", h.fail_next_update, methods=["POST"]),
        Route("/_emulator/fail-queries", h.fail_queries, methods=["POST"]),
    ]


async def _openapi(request: Request) -> Response:
    return json_response(openapi.document())


async def _host_metadata(request: Request) -> Response:
    # The SDK probes this discovery document before its first call; a workspace answers it
    # without auth. Only the OIDC root is given: the emulator has no accounts or clouds.
    base = str(request.base_url).rstrip("/")
    return json_response({"oidc_endpoint": f"{base}/oidc"})


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return json_response(exc.body(), status=exc.status)


async def _no_route(request: Request, exc: Exception) -> Response:
    # Unknown path or method: the workspace answers 404 ENDPOINT_NOT_FOUND for both.
    error = no_api(request.method, request.url.path)
    return json_response(error.body(), status=error.status)


class EmulatorApp(Starlette):
    """A Starlette app whose outermost layer is the emulator's ``GatewayMiddleware``.

    The gateway must sit outside Starlette's error middleware so that an injected drop
    closes the socket instead of turning into a 500.
    """

    def __init__(self, settings: EmulatorSettings) -> None:
        self.settings = settings
        self.store = EndpointStore(settings.db_path)
        handlers = ApiHandlers(self.store, settings)
        super().__init__(
            routes=_routes(handlers, permissions.routes(self.store, settings))
            + uc_routes.routes(self.store, settings),
            exception_handlers={ApiError: _api_error, HTTPException: _no_route},
        )
        self.router.redirect_slashes = False
        self.gateway: GatewayMiddleware | None = None

    def build_middleware_stack(self) -> ASGIApp:
        self.gateway = GatewayMiddleware(super().build_middleware_stack(), self.settings)
        return self.gateway

    def close(self) -> None:
        """Release the database and the request log (the server calls it on shutdown)."""
        if self.gateway is not None:
            self.gateway.close()
        self.store.close()


def create_app(settings: EmulatorSettings | None = None) -> EmulatorApp:
    """A new emulator; each call has its own store connection and fault generator."""
    return EmulatorApp(settings or EmulatorSettings())
