"""Fault matrix, SIGINT row: ``reconciler apply`` interrupted by SIGINT at seeded moments.

Each trial is a real ``reconciler apply --auto-approve --parallelism 4`` against ``reconciler
emulator serve`` on 127.0.0.1 (25 ms latency, updates in progress for 0.3 s) whose plan
updates 12 endpoints (config, AI Gateway and tags: three writes each) and creates 8. SIGINT
lands once the server has answered a seeded number of apply's requests after its first write
(0 to 50). Then: exit 130 with the report printed ("Apply stopped", the not-started
endpoints listed); every edited endpoint either fully at its new state or untouched; the next
apply exits 0 and the plan after it (the library's, in-process) is empty; each name exists
once, exactly one successful create per endpoint, no DELETE. The 12 endpoints are first
applied in-process (the starting state); trials run two at a time, each on its own server.
"""

from __future__ import annotations

import random
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from support import interrupt_runs as runs
from support.cli_process import started
from support.emulator_server import EmulatorServer
from support.trials import apply_in_process, assert_created_once, changes_in_process, run_trials

from reliability.generated import read_log, set_manifests, write_project

TRIALS = 10
EXISTING = 12
CREATED = 8
SEED = 14_130
SUMMARY = re.compile(r"Apply stopped: (\d+) done(?:, .*?(\d+) not started)?")


def _trial(trial: int, after_first_write: int, work: Path) -> dict[str, object]:
    work.mkdir(parents=True)
    log = work / "requests.jsonl"
    with EmulatorServer.start(db_path=work / "emulator.db", log_path=work / "server.log",
                              latency_ms=25, ready_after=0.3, request_log=log) as server:
        prefix = f"int{trial}"
        total = EXISTING + CREATED
        root = write_project(work / "project", EXISTING, prefix=prefix,
                             project=f"interrupt-{trial}", target=runs.target(server))
        apply_in_process(root, server)
        set_manifests(root, total, prefix=prefix, tier=runs.NEW[1], calls=runs.NEW[2],
                      model=runs.NEW[0])
        before = len(read_log(log))

        with started(root, "apply", "--auto-approve", "--parallelism", "4",
                     env=runs.token(server)) as victim:
            first_write = _wait_first_write(log, victim, before)
            mid_apply = first_write is not None
            if first_write is not None:
                runs.wait_for(log, victim, first_write + after_first_write)
            mid_apply = mid_apply and victim.poll() is None
            _took, out, err = runs.interrupt(victim, signal.SIGINT)
        at_signal = read_log(log)

        if mid_apply:
            assert victim.returncode == 130, f"trial {trial}: {out}{err}"
            assert SUMMARY.search(out), f"trial {trial}: no report: {out}{err}"
        assert "Traceback" not in out + err
        summary = SUMMARY.search(out)
        for index in range(EXISTING):
            state = runs.facets(server, f"{prefix}-{index:05d}")
            assert state in (runs.OLD, runs.NEW), f"trial {trial}: {prefix}-{index:05d} " \
                "half-written"

        code, output = runs.run(root, server, "apply", "--auto-approve")
        assert code == 0, f"trial {trial}: the next apply: {output[-2000:]}"
        assert changes_in_process(root, server) == [], f"trial {trial}: the plan after it"
        assert_created_once(server, read_log(log), [f"{prefix}-{i:05d}" for i in range(total)],
                            trial)
        return {"trial": trial, "after_first_write": after_first_write, "mid_apply": mid_apply,
                "exit": victim.returncode,
                "done": int(summary.group(1)) if summary else None,
                "not_started": int(summary.group(2) or 0) if summary else None,
                "writes_before_signal": sum(1 for r in at_signal[before:]
                                            if r["method"] != "GET")}


def _wait_first_write(log: Path, process: subprocess.Popen[str], before: int) -> int | None:
    """The number of logged requests when apply's first write was answered."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        rows = read_log(log)
        for index, row in enumerate(rows[before:], start=before):
            if row["method"] != "GET":
                return index + 1
        if process.poll() is not None:
            return None
        time.sleep(0.005)
    raise AssertionError("the apply wrote nothing")


@pytest.mark.slow
def test_sigint_at_random_points_reports_and_the_next_apply_converges(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    points = [rng.randint(0, 50) for _ in range(TRIALS)]
    results = run_trials(lambda t: _trial(t, points[t], tmp_path / f"trial{t}"), TRIALS)
    print("SIGINT trials:", results)
    interrupted = [r for r in results if r["mid_apply"]]
    assert len(interrupted) >= TRIALS - 2, results
    assert len({r["writes_before_signal"] for r in interrupted}) >= 3, results
