"""``reconciler emulator serve``: the emulator on a real socket, under uvicorn.

One worker process and one event loop: SQLite reads are inline and short, writes go to a
thread, injected latency is an ``await``, so one process serves many concurrent requests
(measured by ``bench/emulator.py``). Binds 127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from typing import Any

import uvicorn

from reconciler.emulator.app import create_app
from reconciler.emulator.settings import EmulatorSettings

logger = logging.getLogger(__name__)

ReadyCallback = Callable[[str, int], None]


class _Server(uvicorn.Server):
    """uvicorn's server, telling the caller the bound address once it listens."""

    def __init__(self, config: uvicorn.Config, on_ready: ReadyCallback | None) -> None:
        super().__init__(config)
        self._on_ready = on_ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self._on_ready is not None and self.servers:
            address: Any = self.servers[0].sockets[0].getsockname()
            self._on_ready(str(address[0]), int(address[1]))


def serve(settings: EmulatorSettings, host: str = "127.0.0.1", port: int = 8787,
          on_ready: ReadyCallback | None = None, log_level: str = "warning") -> None:
    """Serve until interrupted (SIGINT/SIGTERM); ``port`` 0 picks a free one."""
    if settings.token is None:
        raise ValueError("a server always requires a token")
    app = create_app(settings)
    config = uvicorn.Config(
        app, host=host, port=port, workers=1, log_level=log_level, access_log=False,
        lifespan="off", timeout_keep_alive=30, backlog=2048,
    )
    try:
        _Server(config, on_ready).run()
    finally:
        app.close()
