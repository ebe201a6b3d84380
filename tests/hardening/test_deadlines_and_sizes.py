"""Bounded answers (issue 14, item 4): a response larger than the documented cap and a server
that drips bytes end with an error naming the call, the host and the target."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from support.cli import run_cli
from support.hostile_http import API, Reply, Request, hostile_server, write_remote_project

from reconciler import errors
from reconciler.registry import RetryPolicy, open_remote
from reconciler.registry.transport import MAX_RESPONSE_BYTES


def _endless_list(request: Request) -> None:
    handler = request.handler
    handler.send_response(200)
    handler.send_header("content-type", "application/json")
    handler.send_header("transfer-encoding", "chunked")
    handler.end_headers()
    chunk = b'{"name": "ep-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "tags": []},' * 16384
    try:
        handler.wfile.write(b'%x\r\n{"endpoints": [\r\n' % len(b'{"endpoints": ['))
        for _ in range(4 * MAX_RESPONSE_BYTES // len(chunk)):
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    except (BrokenPipeError, ConnectionResetError):
        return


def _drip(request: Request) -> None:
    handler = request.handler
    handler.send_response(200)
    handler.send_header("content-type", "application/json")
    handler.send_header("content-length", "1000000")
    handler.end_headers()
    try:
        for _ in range(600):
            handler.wfile.write(b" ")
            handler.wfile.flush()
            time.sleep(0.2)
    except (BrokenPipeError, ConnectionResetError):
        return


def test_the_cap_is_generous() -> None:
    # A list of 10,000 endpoints with tags is about 5 MB: the cap leaves ten times that.
    assert MAX_RESPONSE_BYTES >= 50 * 1024 * 1024


def test_an_endless_list_stops_at_the_cap(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOSTILE_TOKEN", "dapi-hostile-token")
    with hostile_server(_endless_list) as server:
        root = write_remote_project(tmp_path / "p", server.url)
        started = time.monotonic()
        code, _out, err = run_cli(capsys, "plan", "-C", str(root))
        elapsed = time.monotonic() - started
    assert code == 1
    assert f"GET {API}" in err and "response limit" in err, err
    assert server.url in err and "target 't'" in err
    assert elapsed < 60
    assert len(server.seen) == 1  # an oversized answer is not worth asking for again


@pytest.mark.slow  # real deadlines of seconds
def test_a_dripping_server_meets_the_request_deadline() -> None:
    async def scenario(url: str) -> errors.RegistryError:
        policy = RetryPolicy(backoffs=(0.1,), total_budget=10, request_deadline=1.0)
        async with open_remote(url, "dapi-hostile-token", retry=policy, target="t") as client:
            with pytest.raises(errors.RegistryError) as caught:
                await client.list_endpoints()
        return caught.value

    with hostile_server(_drip) as server:
        started = time.monotonic()
        error = asyncio.run(scenario(server.url))
        elapsed = time.monotonic() - started
    message = str(error)
    assert elapsed < 5, elapsed  # two attempts of 1 s and a pause, not 600 x 0.2 s
    assert f"GET {API}" in message and "deadline" in message
    assert server.url in message and "target 't'" in message


@pytest.mark.slow  # real deadlines of seconds
def test_the_retry_budget_bounds_the_whole_call() -> None:
    async def scenario(url: str) -> None:
        policy = RetryPolicy(backoffs=(0.1,) * 20, total_budget=6.0, request_deadline=30.0)
        async with open_remote(url, "dapi-hostile-token", retry=policy, target="t") as client:
            with pytest.raises(errors.RegistryError, match="deadline"):
                await client.list_endpoints()

    with hostile_server(_drip) as server:
        started = time.monotonic()
        asyncio.run(scenario(server.url))
        assert time.monotonic() - started < 9  # the 6 s budget, not the 30 s deadline


def test_a_declared_oversize_body_is_refused_before_reading(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOSTILE_TOKEN", "dapi-hostile-token")

    def huge(request: Request) -> Reply | None:
        handler = request.handler
        handler.send_response(200)
        handler.send_header("content-type", "application/json")
        handler.send_header("content-length", str(10 * MAX_RESPONSE_BYTES))
        handler.end_headers()
        return None

    with hostile_server(huge) as server:
        root = write_remote_project(tmp_path / "p", server.url)
        code, _out, err = run_cli(capsys, "plan", "-C", str(root))
    assert code == 1 and "response limit" in err
