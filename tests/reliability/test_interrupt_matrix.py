"""Fault matrix, SIGINT row: ``reconciler apply`` interrupted by SIGINT at seeded moments.

Each trial is a real ``reconciler apply --auto-approve --parallelism 4`` against ``reconciler
emulator serve`` on 127.0.0.1 (25 ms latency, updates in progress for 0.3 s) whose plan
updates 12 endpoints (config, AI Gateway and tags: three writes each) and creates 8. SIGINT
lands once the server has answered a seeded number of apply's requests after its first write
(0 to 50). Then: exit 130 with the report printed ("Apply stopped", the not-started
endpoints listed); every edited endpoint either fully at its new state or untouched; the next
apply exits 0 and the plan after it is empty; each name exists once, exactly one successful
create per endpoint, no DELETE.
"""

from __future__ import annotations

import concurrent.futures
import random
import re
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from support.emulator_server import EmulatorServer
from support.interrupt_runs import NEW, OLD, facets, interrupt, run, start, target, wait_for

from reliability.generated import API, read_log, set_manifests, write_project

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
                             project=f"interrupt-{trial}", target=target(server))
        code, output = run(root, server, "apply", "--auto-approve")
        assert code == 0, output
        set_manifests(root, total, prefix=prefix, tier=NEW[1], calls=NEW[2], model=NEW[0])
        before = len(read_log(log))

        victim = start(root, server, "apply", "--auto-approve", "--parallelism", "4")
        first_write = _wait_first_write(log, victim, before)
        mid_apply = first_write is not None
        if first_write is not None:
            wait_for(log, victim, first_write + after_first_write)
        mid_apply = mid_apply and victim.poll() is None
        _took, out, err = interrupt(victim, signal.SIGINT)
        at_signal = read_log(log)

        if mid_apply:
            assert victim.returncode == 130, f"trial {trial}: {out}{err}"
            assert SUMMARY.search(out), f"trial {trial}: no report: {out}{err}"
        assert "Traceback" not in out + err
        summary = SUMMARY.search(out)
        for index in range(EXISTING):
            state = facets(server, f"{prefix}-{index:05d}")
            assert state in (OLD, NEW), f"trial {trial}: {prefix}-{index:05d} half-written"

        code, output = run(root, server, "apply", "--auto-approve")
        assert code == 0, f"trial {trial}: the next apply: {output[-2000:]}"
        code, output = run(root, server, "plan", "--detailed-exitcode")
        assert code == 0, f"trial {trial}: the plan after it is not empty: {output[-2000:]}"

        rows = read_log(log)
        assert not [r for r in rows if r["method"] == "DELETE"], f"trial {trial} deleted"
        ok_creates = sum(1 for r in rows if r["method"] == "POST" and r["status"] == 200
                         and r["path"].rstrip("/") == API)
        assert ok_creates == total, (trial, ok_creates)
        listed = httpx.get(server.url + API, timeout=30,
                           headers={"Authorization": f"Bearer {server.token}"}).json()
        names = sorted(e["name"] for e in listed.get("endpoints", []))
        assert names == [f"{prefix}-{i:05d}" for i in range(total)]
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
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda t: _trial(t, points[t], tmp_path / f"trial{t}"),
                                range(TRIALS)))
    print("SIGINT trials:", results)
    interrupted = [r for r in results if r["mid_apply"]]
    assert len(interrupted) >= TRIALS - 2, results
    assert len({r["writes_before_signal"] for r in interrupted}) >= 3, results
