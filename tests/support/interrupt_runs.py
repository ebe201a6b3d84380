"""``reconciler apply`` and ``reconcile`` as processes interrupted by SIGINT or SIGTERM.

Shared by the interrupt tests (tests/e2e/test_cli_interrupts.py) and the SIGINT row of the
fault matrix (tests/reliability/test_interrupt_matrix.py). Projects come from
``reliability.generated``: each endpoint has a config (its external model), an AI Gateway
rate limit and a ``tier`` tag, so one edit of all three is three writes per endpoint, and an
endpoint left half-written shows as a mix of old and new values.
"""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
from reliability.generated import API, TOKEN_ENV, read_log

from support import cli_process
from support.emulator_server import EmulatorServer

OLD = ("gpt-4o-mini", "gold", 100)  # (model, tier tag, rate limit calls) as first applied
NEW = ("gpt-4o", "silver", 200)


def target(server: EmulatorServer) -> str:
    return f"{{host: '{server.url}', token_env: {TOKEN_ENV}, max_rps: 0}}"


def token(server: EmulatorServer) -> dict[str, str]:
    """The environment a ``target(server)`` project needs: the server's token."""
    return {TOKEN_ENV: server.token}


def run(root: Path, server: EmulatorServer, *args: str) -> tuple[int, str]:
    """``reconciler ARGS`` on ``server`` to its end: exit code, stdout and stderr."""
    done = cli_process.run(root, *args, env=token(server))
    return done.returncode, done.output


def wait_for(log: Path, process: subprocess.Popen[str], count: int, *,
             method: str | None = None, timeout: float = 90) -> None:
    """Until the server has answered ``count`` requests (of ``method``) in ``log``."""
    deadline = time.monotonic() + timeout
    while sum(1 for r in read_log(log) if method is None or r["method"] == method) < count:
        if process.poll() is not None:
            out, err = process.communicate()
            raise AssertionError(f"the process ended first ({process.returncode}): {out}{err}")
        assert time.monotonic() < deadline, "no progress"
        time.sleep(0.01)


def interrupt(process: subprocess.Popen[str], *signals: int, gap: float = 0.2,
              timeout: float = 60) -> tuple[float, str, str]:
    """Send ``signals`` (``gap`` apart); the seconds from the last one to the exit, and the
    process's stdout and stderr."""
    for number, sig in enumerate(signals):
        if number:
            time.sleep(gap)
        process.send_signal(sig)
    sent = time.monotonic()
    done = cli_process.finish(process, timeout=timeout)
    return time.monotonic() - sent, done.stdout, done.stderr


def facets(server: EmulatorServer, name: str) -> tuple[Any, Any, Any] | None:
    """(model, tier, calls) of a live endpoint, the config being rolled out if any."""
    answer = httpx.get(f"{server.url}{API}/{name}",
                       headers={"Authorization": f"Bearer {server.token}"}, timeout=30)
    if answer.status_code == 404:
        return None
    body = answer.json()
    config = body.get("pending_config") or body.get("config") or {}
    entities = config.get("served_entities") or [{}]
    model = (entities[0].get("external_model") or {}).get("name")
    tags = {t["key"]: t.get("value") for t in body.get("tags") or []}
    limits = (body.get("ai_gateway") or {}).get("rate_limits") or [{}]
    return model, tags.get("tier"), limits[0].get("calls")


def stop_signal(name: str) -> int:
    return {"SIGINT": signal.SIGINT, "SIGTERM": signal.SIGTERM}[name]
