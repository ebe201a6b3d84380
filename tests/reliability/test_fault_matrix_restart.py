"""Fault matrix (issue 14, "Measured"), the restart row: ``reconciler emulator serve`` on a
SQLite file is killed with SIGKILL in the middle of an apply and started again on the same
port and database, in 10 seeded trials (two at a time, each on its own server).

Each trial runs the real command line (``reconciler apply --auto-approve``, a subprocess) on
a project of ``ENDPOINTS`` endpoints; the emulator is killed once the request log shows a
seeded number of requests (the apply is still running then: checked), stays down a seeded
time and comes back on the same database. The apply must end by itself (its retries span
the outage), a second apply runs only when a plan (the library's, in-process) still shows
changes, and then the plan is empty: every endpoint exists once, nothing was deleted, no
create succeeded twice.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.cli_process import finish, run, started
from support.emulator_server import EmulatorServer
from support.trials import changes_in_process, live_names, run_trials

from reliability.generated import API, TOKEN_ENV, read_log, write_project

ENDPOINTS = 20
TRIALS = 10
SEED = 20261201
APPLY_TIMEOUT = 240.0  # wall seconds: the apply's own retry budget is 120 s


@dataclass(frozen=True)
class Trial:
    seed: int
    kill_after: int  # requests in the log when the emulator was killed
    down_seconds: float
    outage_seconds: float  # from the kill until the restarted emulator answered
    first_exit: int
    first_failed: int
    applies: int  # apply runs until the plan was empty
    creates_ok: int
    requests: int


def _apply(root: Path, server: EmulatorServer) -> tuple[int, dict[str, object], str]:
    done = run(root, "apply", "--auto-approve", "--format", "json", env=_token(server),
               timeout=APPLY_TIMEOUT)
    report = json.loads(done.stdout) if done.stdout.strip().startswith("{") else {}
    return done.returncode, report, done.stderr


def _token(server: EmulatorServer) -> dict[str, str]:
    return {TOKEN_ENV: server.token}


def _trial(tmp_path: Path, seed: int) -> Trial:
    rng = random.Random(seed)
    log = tmp_path / "requests.jsonl"
    server = EmulatorServer.start(db_path=tmp_path / "emulator.db", request_log=log,
                                  latency_ms=20, ready_after=0.3)
    with server:
        root = write_project(tmp_path / "project", ENDPOINTS,
                             target=f"{{host: '{server.url}', token_env: {TOKEN_ENV}}}")
        kill_after = rng.randint(3, ENDPOINTS)
        down = round(rng.uniform(0.2, 2.0), 2)
        with started(root, "apply", "--auto-approve", "--format", "json",
                     env=_token(server)) as apply:
            deadline = time.monotonic() + APPLY_TIMEOUT
            while len(read_log(log)) < kill_after:
                assert apply.poll() is None, f"seed {seed}: apply ended before the kill"
                assert time.monotonic() < deadline, f"seed {seed}: no requests"
                time.sleep(0.01)
            killed = time.monotonic()
            server.kill()  # SIGKILL: nothing of the emulator's shutdown runs
            assert apply.poll() is None, f"seed {seed}: the apply was not running at the kill"
            time.sleep(down)  # the seeded outage itself, not a wait for something
            server.restart()  # same port, same database file
            outage = round(time.monotonic() - killed, 2)
            first = finish(apply, timeout=APPLY_TIMEOUT)
        first_exit, out, err = first.returncode, first.stdout, first.stderr
        report = json.loads(out) if out.strip().startswith("{") else {}
        assert "Traceback" not in err, err[-3000:]
        assert first_exit in (0, 1), f"seed {seed}: exit {first_exit}: {err[-2000:]}"
        failed = [o for o in report.get("outcomes", [])  # type: ignore[attr-defined]
                  if o.get("status") == "failed"]
        applies = 1
        while changes_in_process(root, server):
            assert applies < 3, f"seed {seed}: not converged after {applies} applies"
            code, _report, err = _apply(root, server)
            assert code == 0, err[-2000:]
            applies += 1
        names = live_names(server)
    rows = read_log(log)
    assert names == [f"ep-{i:05d}" for i in range(ENDPOINTS)], names
    assert not [r for r in rows if r["method"] == "DELETE"], "something was deleted"
    creates_ok = sum(1 for r in rows if r["method"] == "POST" and r["status"] == 200
                     and str(r["path"]).rstrip("/") == API)
    assert creates_ok <= ENDPOINTS, f"seed {seed}: {creates_ok} creates answered 200"
    return Trial(seed, kill_after, down, outage, first_exit, len(failed), applies, creates_ok,
                 len(rows))


@pytest.mark.slow
def test_emulator_killed_and_restarted_mid_apply_converges_without_doubles(
    tmp_path: Path,
) -> None:
    trials = run_trials(lambda n: _trial(tmp_path / f"trial-{n}", SEED + n), TRIALS)
    for t in trials:
        print(f"seed {t.seed}: killed after {t.kill_after} requests, down {t.down_seconds} s "
              f"(outage {t.outage_seconds} s until it answered again); "
              f"first apply exit {t.first_exit} ({t.first_failed} failed); converged after "
              f"{t.applies} apply run(s); {t.creates_ok} creates answered 200; "
              f"{t.requests} requests")
    second = [t.seed for t in trials if t.applies > 1]
    print(f"{TRIALS} trials: {TRIALS - len(second)} converged in the interrupted apply, "
          f"{len(second)} needed a second one ({second})")
    assert len(trials) == TRIALS
