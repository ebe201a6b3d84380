"""A scriptable hostile registry on loopback: each request is answered by a test's function.

    with hostile_server(answer) as url:    # answer(request) -> Reply, or writes itself
        ...

``answer`` gets the request line and body (``Request``) and returns a ``Reply`` (status,
headers, body), or ``None`` after writing to ``request.handler.wfile`` itself (slow drips,
endless bodies, dropped connections). The server binds 127.0.0.1 on a free port and stops
when the block ends; its threads are daemons, so a handler still dripping cannot hold a test.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

API = "/api/2.0/serving-endpoints"
OWN_MANIFEST = (
    "name: own\nconfig:\n  served_entities:\n    - entity_name: main.ml.m\n"
    "      entity_version: '1'\n      workload_size: Small\n      scale_to_zero_enabled: true\n"
)


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    handler: http.server.BaseHTTPRequestHandler

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Reply:
    status: int = 200
    body: bytes = b"{}"
    headers: dict[str, str] = field(default_factory=lambda: {"content-type": "application/json"})

    @classmethod
    def of(cls, data: Any, status: int = 200, **headers: str) -> Reply:
        return cls(status, json.dumps(data).encode(),
                   {"content-type": "application/json", **headers})


Answer = Callable[[Request], "Reply | None"]


class _Handler(http.server.BaseHTTPRequestHandler):
    answer: Answer
    seen: list[Request]
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Request(self.command, self.path, {k.lower(): v for k, v in self.headers.items()},
                          body, self)
        self.seen.append(request)
        try:
            reply = self.answer(request)
        except (BrokenPipeError, ConnectionResetError):
            return
        if reply is None:
            self.close_connection = True
            return
        self.send_response(reply.status)
        for key, value in reply.headers.items():
            self.send_header(key, value)
        self.send_header("content-length", str(len(reply.body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(reply.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: object) -> None:
        return None


@dataclass
class HostileServer:
    url: str
    seen: list[Request]


@contextlib.contextmanager
def hostile_server(answer: Answer) -> Iterator[HostileServer]:
    seen: list[Request] = []
    handler = type("Handler", (_Handler,), {"answer": staticmethod(answer), "seen": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    # serve_forever polls for shutdown every 0.5 s by default: each test's teardown then
    # waited up to half a second for nothing (tests are I/O-bound on this loopback server).
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01},
                              daemon=True)
    thread.start()
    try:
        yield HostileServer(f"http://127.0.0.1:{server.server_address[1]}", seen)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def write_remote_project(root: Any, url: str, token_env: str = "HOSTILE_TOKEN",
                         extra: str = "") -> Any:
    """A project with one manifest (``endpoints/own.yaml``, endpoint ``own``) whose target
    ``t`` is the server at ``url``."""
    (root / "endpoints").mkdir(parents=True, exist_ok=True)
    (root / "endpoints" / "own.yaml").write_text(OWN_MANIFEST, encoding="utf-8")
    (root / "reconciler.yaml").write_text(
        "project: hardening\nmanifests: [endpoints/]\ndefault_target: t\n"
        f"targets:\n  t: {{host: '{url}', token_env: {token_env}{extra}}}\n", encoding="utf-8")
    return root
