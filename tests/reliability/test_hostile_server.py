"""Hostile server: a registry answering malformed JSON, HTML pages, wrong types or truncated
bodies gives a clear error naming the endpoint and the call, never a traceback or a plan.

The server is a few lines of ``http.server`` on loopback, so the whole CLI path runs as a
user would run it (``reconciler plan`` / ``apply`` against a workspace target); the same
answers are also fed to the library entry points (``reconciler.api.workflow``).
"""

from __future__ import annotations

import asyncio
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import cli_process

from reconciler import errors
from reconciler.api import workflow
from reconciler.api.validating import load_project
from reconciler.registry import RetryPolicy, open_remote
from reliability.generated import API, TOKEN_ENV, write_project

NAME = "ep-00000"
GOOD_ITEM = {"name": NAME, "state": {"ready": "READY", "config_update": "NOT_UPDATING"}}
# What a broken proxy, a half-deployed service or a wrong host answers. Each case is
# (the call that goes wrong, status, content type, body).
BAD_ANSWERS: dict[str, tuple[str, int, str, bytes]] = {
    "list-html": ("GET " + API, 200, "text/html", b"<html><body>Sign in</body></html>"),
    "list-truncated": ("GET " + API, 200, "application/json", b'{"endpoints": [{"name": "e'),
    "list-wrong-type": ("GET " + API, 200, "application/json", b'{"endpoints": "none"}'),
    "list-items-not-objects": ("GET " + API, 200, "application/json", b'{"endpoints": [1, 2]}'),
    "list-array": ("GET " + API, 200, "application/json", b"[]"),
    "list-500-html": ("GET " + API, 500, "text/html", b"<html><h1>Internal error</h1></html>"),
    "get-html": (f"GET {API}/{NAME}", 200, "text/html", b"<!doctype html><title>x</title>"),
    "get-truncated": (f"GET {API}/{NAME}", 200, "application/json", b'{"name": "ep-00000", "c'),
    "get-name-number": (f"GET {API}/{NAME}", 200, "application/json", b'{"name": 5}'),
    "get-config-list": (f"GET {API}/{NAME}", 200, "application/json",
                        b'{"name": "ep-00000", "config": []}'),
    "get-tags-string": (f"GET {API}/{NAME}", 200, "application/json",
                        b'{"name": "ep-00000", "tags": "team=x"}'),
    "get-entities-dict": (f"GET {API}/{NAME}", 200, "application/json",
                          b'{"name": "ep-00000", "config": {"served_entities": {"a": 1}}}'),
    "get-binary": (f"GET {API}/{NAME}", 200, "application/json", b"\xff\xfe\x00garbage"),
    "get-404-html": (f"GET {API}/{NAME}", 502, "text/html", b"<html>Bad gateway</html>"),
}
# For the apply path: nothing exists yet, the create's answer is the broken one.
BAD_CREATES: dict[str, tuple[int, str, bytes]] = {
    "create-html": (200, "text/html", b"<html>OK</html>"),
    "create-truncated": (200, "application/json", b'{"name": "ep-0'),
    "create-wrong-name": (200, "application/json", b'{"name": ["ep-00000"]}'),
}


class _Handler(http.server.BaseHTTPRequestHandler):
    answers: dict[str, tuple[int, str, bytes]] = {}

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        key = f"{self.command} {self.path}"
        status, kind, body = self.answers.get(key, (200, "application/json", b"{}"))
        self.send_response(status)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture
def hostile() -> Iterator[tuple[str, dict[str, tuple[int, str, bytes]]]]:
    answers: dict[str, tuple[int, str, bytes]] = {}
    handler = type("Handler", (_Handler,), {"answers": answers})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", answers
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _cli(root: Path, *args: str) -> cli_process.Finished:
    return cli_process.run(root, *args, env={TOKEN_ENV: "dapi-hostile"}, timeout=60)


def _assert_clear(message: str, call: str) -> None:
    method, path = call.split(" ", 1)
    assert "Traceback" not in message
    assert f"{method} {path}" in message, message
    if path.endswith(NAME):
        assert NAME in message


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(BAD_ANSWERS))
def test_plan_against_a_broken_registry_fails_clearly(
    case: str, hostile: tuple[str, dict[str, tuple[int, str, bytes]]], tmp_path: Path
) -> None:
    url, answers = hostile
    call, status, kind, body = BAD_ANSWERS[case]
    answers["GET " + API] = (200, "application/json", json.dumps({"endpoints": [GOOD_ITEM]})
                             .encode())
    answers[call] = (status, kind, body)
    root = write_project(tmp_path / "p", 1, target=f"{{host: '{url}', token_env: {TOKEN_ENV}}}")

    # The library: a RegistryError naming the call (and the endpoint), not a KeyError.
    project = load_project(root, env={TOKEN_ENV: "x"})

    async def plan() -> None:
        async with open_remote(url, "x", retry=RetryPolicy(backoffs=())) as registry:
            await workflow.plan_with(project, registry, workflow.PlanSettings())

    with pytest.raises(errors.RegistryError) as caught:
        asyncio.run(plan())
    _assert_clear(str(caught.value), call)

    # The CLI: exit 1, the same message, no traceback, and no plan printed from garbage.
    result = _cli(root, "plan", "--format", "json")
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout == ""
    _assert_clear(result.stderr, call)


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(BAD_CREATES))
def test_apply_against_a_broken_registry_reports_the_endpoint(
    case: str, hostile: tuple[str, dict[str, tuple[int, str, bytes]]], tmp_path: Path
) -> None:
    url, answers = hostile
    answers["GET " + API] = (200, "application/json", b'{"endpoints": []}')
    answers["POST " + API] = BAD_CREATES[case]
    root = write_project(tmp_path / "p", 1, target=f"{{host: '{url}', token_env: {TOKEN_ENV}}}")
    result = _cli(root, "apply", "--auto-approve", "--format", "json")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    report = json.loads(result.stdout)
    [outcome] = report["outcomes"]
    assert outcome["name"] == NAME and outcome["status"] == "failed"
    if case == "create-wrong-name":
        # A well-formed JSON object whose fields are wrong: apply does not use the answer,
        # waits for the endpoint, and reports that it never appeared.
        assert NAME in outcome["error"], outcome
    else:
        assert f"POST {API}" in outcome["error"], outcome
        assert "unexpected response" in outcome["error"], outcome
