"""The emulator in-process, driven synchronously through ``httpx.ASGITransport``.

It is the same path the embedded ``local`` target takes (an ``httpx.AsyncClient`` on the
ASGI app), wrapped in a private event loop so plain tests can call ``api.get(...)``.
"""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Any

import httpx

from reconciler.emulator.app import EmulatorApp, EmulatorSettings, create_app


class InProcessApi:
    """``get``/``post``/``put``/``patch``/``delete``/``request`` on a fresh emulator app."""

    def __init__(self, **settings: Any) -> None:
        self.app: EmulatorApp = create_app(EmulatorSettings(**settings))
        self._loop = asyncio.new_event_loop()
        self._client = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app),
                                         base_url="http://emulator")

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self._loop.run_until_complete(self._client.request(method, path, **kwargs))

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)

    def close(self) -> None:
        self._loop.run_until_complete(self._client.aclose())
        self._loop.close()
        self.app.close()

    def __enter__(self) -> InProcessApi:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
