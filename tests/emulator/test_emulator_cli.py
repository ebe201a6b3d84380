"""``reconciler emulator serve`` as a user starts it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from reconciler.cli.main import cli

FLAGS = ("--host", "--port", "--db", "--token", "--ready-after", "--latency-ms",
         "--fault-rate", "--drop-rate", "--seed", "--request-log")


def test_serve_help_lists_every_knob() -> None:
    result = CliRunner().invoke(cli, ["emulator", "serve", "--help"])
    assert result.exit_code == 0
    for flag in FLAGS:
        assert flag in result.output


def test_bad_knob_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["emulator", "serve", "--fault-rate", "2"])
    assert result.exit_code == 2 and "--fault-rate" in result.output


@pytest.mark.e2e  # a served emulator subprocess
def test_token_from_environment_and_free_port(tmp_path: Path) -> None:
    env = {**os.environ, "RECONCILER_EMULATOR_TOKEN": "from-env"}
    log = tmp_path / "out.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "reconciler", "emulator", "serve", "--port", "0"],
            env=env, stdout=out, stderr=out, stdin=subprocess.DEVNULL)
    try:
        url = None
        deadline = time.monotonic() + 30
        while url is None and time.monotonic() < deadline:
            match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", log.read_text())
            url = match.group(1) if match else None
            time.sleep(0.05)
        assert url is not None, log.read_text()
        assert httpx.get(url + "/api/2.0/serving-endpoints").status_code == 401
        answer = httpx.get(url + "/api/2.0/serving-endpoints",
                           headers={"Authorization": "Bearer from-env"})
        assert answer.status_code == 200 and answer.json() == {}
    finally:
        process.terminate()
        process.wait(timeout=10)
    # uvicorn shuts down cleanly, then re-raises the signal it caught.
    assert process.returncode in (0, -signal.SIGTERM)
