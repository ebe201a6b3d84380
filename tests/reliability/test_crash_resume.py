"""Crash and resume: ``reconciler apply`` SIGKILLed at seeded random moments, then run again.

Each trial is a real ``reconciler apply --auto-approve`` process against ``reconciler emulator
serve`` on loopback (latency and in-progress time injected, so the kill lands while creates
are in flight or while apply waits for them). The process gets SIGKILL once the server has
seen a number of requests drawn from a seeded generator: no cleanup code runs. A second apply
must then converge: exit 0, the next plan empty (the library's plan, in-process), every
endpoint present once, none deleted and re-created, exactly one successful create each.
Trials run two at a time, each on its own server and database.
"""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path

import pytest
from support import cli_process
from support.emulator_server import EmulatorServer
from support.trials import assert_created_once, changes_in_process, run_trials

from reliability.generated import TOKEN_ENV, read_log, write_project

TRIALS = 10
ENDPOINTS = 60
SEED = 6_2026


def run(root: Path, server: EmulatorServer, *args: str) -> tuple[int, str]:
    done = cli_process.run(root, *args, env={TOKEN_ENV: server.token})
    return done.returncode, done.output


def _trial(trial: int, kill_after: int, work: Path) -> dict[str, object]:
    """One seeded kill and resume on a private server; the figures of the trial."""
    work.mkdir(parents=True)
    log_path = work / "requests.jsonl"
    with EmulatorServer.start(db_path=work / "emulator.db", log_path=work / "server.log",
                              latency_ms=25, ready_after=0.4, request_log=log_path) as server:
        prefix = f"crash{trial}"
        root = write_project(work / "project", ENDPOINTS, prefix=prefix,
                             project=f"crash-{trial}",
                             target=f"{{host: '{server.url}', token_env: {TOKEN_ENV}, max_rps: 0}}")
        with cli_process.started(root, "apply", "--auto-approve", "--parallelism", "4",
                                 env={TOKEN_ENV: server.token}) as victim:
            # The kill point is counted in API requests the server has seen, not in seconds,
            # so it lands at the same stage whatever the machine's load.
            deadline = time.monotonic() + 60
            while victim.poll() is None and len(read_log(log_path)) < kill_after:
                assert time.monotonic() < deadline, "the apply made no progress"
                time.sleep(0.003)
            mid_apply = victim.poll() is None
            victim.send_signal(signal.SIGKILL)
            cli_process.finish(victim, timeout=30)
        at_kill = read_log(log_path)
        creates_at_kill = sum(1 for r in at_kill if r["method"] == "POST" and r["status"] == 200)

        code, output = run(root, server, "apply", "--auto-approve")
        assert code == 0, f"trial {trial} (killed after {kill_after} requests): {output[-2000:]}"
        assert "Traceback" not in output
        assert changes_in_process(root, server) == [], \
            f"trial {trial}: the plan after resuming is not empty"

        rows = read_log(log_path)
        assert_created_once(server, rows, [f"{prefix}-{i:05d}" for i in range(ENDPOINTS)],
                            (trial, creates_at_kill))
        return {"trial": trial, "kill_after": kill_after, "mid_apply": mid_apply,
                "created_before_kill": creates_at_kill,
                "resume_409": sum(1 for r in rows[len(at_kill):] if r["status"] == 409)}


@pytest.mark.slow
def test_apply_killed_at_random_points_then_resumed_converges(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    # A full apply is about 66 requests: a list for the plan, a list before creating, 60
    # creates, then lists polling until the endpoints are ready.
    points = [rng.randint(1, 66) for _ in range(TRIALS)]
    results = run_trials(lambda t: _trial(t, points[t], tmp_path / f"trial{t}"), TRIALS)
    print("crash-resume trials:", results)
    # The seeded delays must really interrupt applies, at different stages.
    interrupted = [r for r in results if r["mid_apply"]]
    assert len(interrupted) >= TRIALS - 2, results
    stages = {r["created_before_kill"] for r in interrupted}
    assert len(stages) >= 3, f"kills landed at too few different points: {results}"
