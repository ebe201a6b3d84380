"""What happens to a request before the API sees it: the request log, injected latency,
faults (429 with ``Retry-After`` or 503), dropped connections, and bearer-token auth.

It is plain ASGI and sits outside Starlette's own error handling, so that a dropped
connection really is one: under uvicorn the socket is closed without a byte of answer
(the client sees a connection error, never a 500), and in-process (``httpx.ASGITransport``)
``DroppedConnection`` is raised into the caller. Control routes under ``/_emulator/`` get
no latency, faults or drops. With ``--seed``, each request's draws come from a generator of
its own, seeded by the seed, the request line and how many times that request line was seen
before: which request fails no longer depends on how concurrent requests interleave (with
one shared generator, the same seed gave a different fault sequence on every run). Without a
seed, one unseeded generator serves all requests.
"""

from __future__ import annotations

import base64
import collections
import hmac
import json
import logging
import math
import random
import time
from pathlib import Path
from typing import IO, Any

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reconciler.emulator.settings import EmulatorSettings

logger = logging.getLogger(__name__)

CONTROL_PREFIX = "/_emulator/"
# Answered without a token, like the workspace's own discovery document.
PUBLIC_PATHS = frozenset({
    "/_emulator/health", "/_emulator/openapi.json", "/.well-known/databricks-config",
})


class DroppedConnection(ConnectionResetError):
    """In-process stand-in for a connection the server closed without answering."""


def drop_connection(receive: Receive) -> None:
    """Close the client's socket without answering, or raise when there is no socket.

    uvicorn's ``receive`` is a method of its request cycle, which holds the transport;
    marking the cycle disconnected stops uvicorn from writing a 500 afterwards.
    """
    cycle = getattr(receive, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise DroppedConnection("the emulator dropped the connection (injected fault)")
    transport.close()
    cycle.disconnected = True  # type: ignore[union-attr]


async def _send_json(send: Send, status: int, body: dict[str, Any],
                     headers: list[tuple[bytes, bytes]] | None = None) -> None:
    payload = json.dumps(body).encode()
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()), *(headers or [])],
    })
    await send({"type": "http.response.body", "body": payload})


class GatewayMiddleware:
    """Wraps the API app with the test controls and auth of ``EmulatorSettings``."""

    def __init__(self, app: ASGIApp, settings: EmulatorSettings) -> None:
        self.app = app
        self.settings = settings
        self.rng = random.Random(settings.seed)
        self._log: IO[str] | None = None
        if settings.request_log is not None:
            Path(settings.request_log).parent.mkdir(parents=True, exist_ok=True)
            self._log = open(settings.request_log, "a", encoding="utf-8", buffering=1)  # noqa: SIM115
        self._token = settings.token.encode() if settings.token else None
        self._recent: collections.deque[float] = collections.deque()  # accepted, last 1 s
        self._seen: collections.Counter[str] = collections.Counter()  # request line -> count

    def close(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def _authorised(self, scope: Scope) -> bool:
        if self._token is None or scope["path"] in PUBLIC_PATHS:
            return True
        header = next((v for k, v in scope["headers"] if k == b"authorization"), b"")
        scheme, _, credential = header.partition(b" ")
        if scheme.lower() == b"bearer":
            return hmac.compare_digest(credential.strip(), self._token)
        if scheme.lower() == b"basic":  # curl -u token:$DATABRICKS_TOKEN, as in the docs
            try:
                _user, _, password = base64.b64decode(credential.strip()).partition(b":")
            except ValueError:
                return False
            return hmac.compare_digest(password, self._token)
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        record: dict[str, Any] = {"method": scope["method"], "path": scope["path"],
                                  "status": None}

        async def observed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                record["status"] = message["status"]
                served = next((v for k, v in message.get("headers") or []
                               if k == b"served-model-name"), None)
                if served is not None:  # which entity answered a query (traffic split)
                    record["served_entity"] = served.decode("latin-1")
            await send(message)

        try:
            await self._handle(scope, receive, observed_send, record)
        finally:
            record["ms"] = round((time.perf_counter() - started) * 1000, 3)
            self._write_log(record)

    async def _handle(self, scope: Scope, receive: Receive, send: Send,
                      record: dict[str, Any]) -> None:
        settings = self.settings
        path = scope["path"]
        if not path.startswith(CONTROL_PREFIX) and path not in PUBLIC_PATHS:
            if settings.max_rps and await self._throttled(send, record):
                return
            if settings.latency_ms:
                await anyio.sleep(settings.latency_ms / 1000)
            if settings.drop_rate or settings.fault_rate:
                rng = self._draws(scope)
                draw = rng.random()
                if draw < settings.drop_rate:
                    await self._drop(scope, receive, record, rng)
                    return
                if draw < settings.drop_rate + settings.fault_rate:
                    await self._fault(send, record, rng)
                    return
        if not self._authorised(scope):
            missing = not any(k == b"authorization" for k, _ in scope["headers"])
            message = ("Credential was not sent or was of an unsupported type for this API."
                       if missing else "Invalid access token.")
            await _send_json(send, 401, {"error_code": "UNAUTHENTICATED", "message": message})
            return
        await self.app(scope, receive, send)

    def _draws(self, scope: Scope) -> random.Random:
        """The generator of this request's draws (see the module docstring)."""
        if self.settings.seed is None:
            return self.rng
        query = scope.get("query_string", b"").decode("latin-1")
        line = f"{scope['method']} {scope['path']}?{query}"
        seen = self._seen[line]
        self._seen[line] = seen + 1
        # A str seed is hashed (sha512) by random.Random: stable across runs and processes.
        return random.Random(f"{self.settings.seed}\n{line}\n{seen}")

    async def _drop(self, scope: Scope, receive: Receive, record: dict[str, Any],
                    rng: random.Random) -> None:
        # Half the drops happen after the request was served: the write is done but its
        # answer is lost, the case a client's retry logic has to get right.
        after = rng.random() < 0.5
        record["fault"] = "drop-after" if after else "drop-before"
        if after:
            async def discard(_message: Message) -> None:
                return None

            await self.app(scope, receive, discard)
        drop_connection(receive)

    async def _throttled(self, send: Send, record: dict[str, Any]) -> bool:
        """Above ``max_rps`` requests accepted in the last second: 429 with ``Retry-After``
        (whole seconds, as the workspace sends, until the oldest of them leaves the window).
        Refused requests are not counted, so a client that waits gets through."""
        now = time.monotonic()
        recent = self._recent
        while recent and recent[0] <= now - 1.0:
            recent.popleft()
        if len(recent) < self.settings.max_rps:
            recent.append(now)
            return False
        wait = max(1, math.ceil(recent[0] + 1.0 - now))
        record["fault"] = "throttled"
        await _send_json(send, 429, {"error_code": "REQUEST_LIMIT_EXCEEDED",
                                     "message": "Too many requests; retry later."},
                         [(b"retry-after", str(wait).encode())])
        return True

    async def _fault(self, send: Send, record: dict[str, Any], rng: random.Random) -> None:
        retry_after = str(self.settings.retry_after_seconds).encode()
        if rng.random() < 0.5:
            record["fault"] = "429"
            await _send_json(send, 429, {"error_code": "REQUEST_LIMIT_EXCEEDED",
                                         "message": "Too many requests (injected fault)."},
                             [(b"retry-after", retry_after)])
        else:
            record["fault"] = "503"
            await _send_json(send, 503, {"error_code": "TEMPORARILY_UNAVAILABLE",
                                         "message": "The service is temporarily unavailable "
                                                    "(injected fault)."},
                             [(b"retry-after", retry_after)])

    def _write_log(self, record: dict[str, Any]) -> None:
        if self._log is None:
            return
        record["ts"] = round(time.time(), 3)
        try:
            self._log.write(json.dumps(record) + "\n")
        except OSError:
            logger.warning("could not write the request log", exc_info=True)
