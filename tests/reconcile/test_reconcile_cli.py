"""`reconciler reconcile` as a real subprocess against `reconciler emulator serve`.

SIGTERM in the middle of a cycle (endpoints written, their rollouts still in progress) must
stop the process promptly with exit 0, and the next run must converge.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import pytest
from support import cli_process
from support.emulator_server import EmulatorServer

from reconcile.projects import make_project

pytestmark = pytest.mark.e2e


def token(server: EmulatorServer) -> dict[str, str]:
    return {"EMU_TOKEN": server.token}


def project_on(server: EmulatorServer, root: Path, *names: str) -> Path:
    make_project(root, *names)
    (root / "reconciler.yaml").write_text(
        "project: loop-test\nproject_id: 10095e5f0a1b2c3d\ndefault_target: emu\ntargets:\n"
        f"  emu: {{host: '{server.url}', token_env: EMU_TOKEN}}\n")
    return root


def reconciler(server: EmulatorServer, root: Path,
               *args: str) -> AbstractContextManager[subprocess.Popen[str]]:
    """``reconciler reconcile ARGS`` running until the block ends (then killed if need be)."""
    return cli_process.started(root, "reconcile", *args, env=token(server))


def updating(server: EmulatorServer) -> list[str]:
    listing = httpx.get(f"{server.url}/api/2.0/serving-endpoints",
                        headers={"Authorization": f"Bearer {server.token}"}).json()
    return [e["name"] for e in listing.get("endpoints", [])
            if e.get("state", {}).get("config_update") == "IN_PROGRESS"]


def stop(process: subprocess.Popen[str], sig: int = signal.SIGTERM) -> tuple[float, str]:
    started = time.monotonic()
    process.send_signal(sig)
    stopped = cli_process.finish(process, timeout=20)
    return time.monotonic() - started, stopped.stderr


def records(log: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def test_sigterm_mid_cycle_exits_0_promptly_and_the_next_run_converges(tmp_path: Path) -> None:
    with EmulatorServer.start(db_path=tmp_path / "emu.db", ready_after=30) as server:
        root = project_on(server, tmp_path / "p", "chat", "embed", "summarise")
        log = tmp_path / "cycles.jsonl"
        with reconciler(server, root, "--interval", "1s", "--log-file", str(log)) as process:
            deadline = time.monotonic() + 30
            while len(updating(server)) < 3:  # all written; the cycle waits for the rollouts
                assert process.poll() is None, process.communicate()
                assert time.monotonic() < deadline, "the first cycle wrote nothing"
                time.sleep(0.05)
            took, stderr = stop(process)
        assert process.returncode == 0, stderr
        assert took < 5  # not the 30 s rollout
        [record] = records(log)
        assert record["outcome"] == "applied" and record["stopping"] is True
        assert record["applied"] == 3 and record["failed"] == 0
        assert record["next_delay_seconds"] is None
        assert "Traceback" not in stderr

        # The next run picks up where it stopped: the rollouts are waited for (they are
        # someone else's updates now), nothing is written twice, and the plan is empty.
        again = cli_process.run(root, "plan", "--detailed-exitcode", "--format", "json",
                                env=token(server), timeout=60)
        plan = json.loads(again.stdout)
        assert again.returncode == 0, [a for a in plan["actions"] if a["action"] != "no-op"]


def test_sigint_between_cycles_exits_0_promptly(tmp_path: Path) -> None:
    with EmulatorServer.start(db_path=tmp_path / "emu.db", ready_after=0) as server:
        root = project_on(server, tmp_path / "p", "chat")
        log = tmp_path / "cycles.jsonl"
        with reconciler(server, root, "--interval", "1h", "--log-file", str(log)) as process:
            deadline = time.monotonic() + 30
            while not log.exists() or not log.read_text():  # the first cycle is done
                assert process.poll() is None, process.communicate()
                assert time.monotonic() < deadline
                time.sleep(0.05)
            took, stderr = stop(process, signal.SIGINT)
        assert process.returncode == 0 and took < 5, stderr
        assert [r["outcome"] for r in records(log)] == ["applied"]
