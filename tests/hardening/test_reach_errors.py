"""Network and auth errors say which target, which host, where the token came from and what
to do; a refused connection at the first try fails in seconds (issue 14, item 14)."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from support.cli import run_cli
from support.hostile_http import Reply, hostile_server, write_remote_project


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again: nothing listens there


@pytest.mark.slow  # the real 3 s first-contact grace
def test_a_refused_connection_fails_fast_naming_target_and_host(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOSTILE_TOKEN", "dapi-hostile-token")
    url = f"http://127.0.0.1:{_closed_port()}"
    root = write_remote_project(tmp_path / "p", url)
    started = time.monotonic()
    code, _out, err = run_cli(capsys, "plan", "-C", str(root))
    elapsed = time.monotonic() - started
    assert code == 1
    assert elapsed < 8, elapsed  # was 7 retries over 38 s
    assert "cannot connect" in err and f"target 't' at {url}" in err, err
    assert "check the target's host" in err


@pytest.mark.parametrize(("status", "advice"), [(401, "expired"), (403, "CAN_MANAGE")])
def test_an_auth_error_names_target_host_and_token_source(
    status: int, advice: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HOSTILE_TOKEN", "dapi-hostile-token")
    body = {"error_code": "UNAUTHENTICATED" if status == 401 else "PERMISSION_DENIED",
            "message": "Invalid access token."}
    with hostile_server(lambda _r: Reply.of(body, status)) as server:
        root = write_remote_project(tmp_path / "p", server.url)
        code, _out, err = run_cli(capsys, "plan", "-C", str(root))
    assert code == 1
    assert "Invalid access token" in err
    assert f"target 't' at {server.url}" in err
    assert "$HOSTILE_TOKEN" in err and advice in err, err
    assert len(server.seen) == 1  # an auth error is not retried
