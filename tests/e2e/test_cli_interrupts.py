"""Ctrl-C and SIGTERM during ``reconciler apply`` and ``reconcile`` (issue 14 item 8).

Real processes against ``reconciler emulator serve`` on 127.0.0.1 with injected latency. A
first signal: the endpoints being written finish all their facets, no other is started, the
normal report is printed with the not-started endpoints listed, exit 130; every endpoint is
then either fully at its new state or untouched, and the next apply converges. A second
signal: stop at once, exit 130, the report (or the cycle's record) still printed.
"""

from __future__ import annotations

import contextlib
import json
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from reliability.generated import read_log, set_manifests, write_project
from support.cli_process import started
from support.emulator_server import EmulatorServer
from support.interrupt_runs import (
    NEW,
    OLD,
    facets,
    interrupt,
    run,
    stop_signal,
    target,
    token,
)
from support.interrupt_runs import wait_for as wait_for_requests
from support.trials import apply_in_process

pytestmark = pytest.mark.e2e
COUNT = 5


def edited_project(tmp_path: Path, server: EmulatorServer) -> Path:
    """COUNT endpoints applied, then edited: three writes each (config, AI Gateway, tags)."""
    root = write_project(tmp_path / "project", COUNT, target=target(server))
    apply_in_process(root, server)  # the starting state: in-process, no CLI start-up
    set_manifests(root, COUNT, tier=NEW[1], calls=NEW[2], model=NEW[0])
    return root


@dataclass(frozen=True)
class Interrupted:
    """A run of the CLI on an edited project, signalled and ended."""

    server: EmulatorServer  # still serving until the test ends
    root: Path
    log: Path  # the server's request log
    before: int  # requests in the log when the interrupted run started
    returncode: int
    took: float  # seconds from the last signal to the exit
    out: str
    err: str


Interrupt = Callable[..., Interrupted]


@pytest.fixture
def interrupted(tmp_path: Path) -> Iterator[Interrupt]:
    """``interrupted(*cli_args, signals=(...), latency_ms=..., when=...)``: an emulator with
    that latency, COUNT endpoints applied and edited, ``reconciler ARGS`` started on them and
    sent ``signals`` (``gap`` seconds apart) once the server has answered the run's first
    request (``when="request"``: the plan's listing) or its first PUT (``when="write"``)."""
    with contextlib.ExitStack() as stack:

        def interrupt_run(*args: str, signals: tuple[int, ...], latency_ms: int,
                          when: str = "write", ready_after: float | None = 0.3,
                          gap: float = 0.1) -> Interrupted:
            log = tmp_path / "requests.jsonl"
            server = stack.enter_context(EmulatorServer.start(
                db_path=tmp_path / "emu.db", latency_ms=latency_ms, ready_after=ready_after,
                request_log=log))
            root = edited_project(tmp_path, server)
            rows = read_log(log)
            puts = sum(1 for r in rows if r["method"] == "PUT")
            with started(root, *args, env=token(server)) as process:
                if when == "write":  # the first config PUT
                    wait_for_requests(log, process, puts + 1, method="PUT")
                else:
                    wait_for_requests(log, process, len(rows) + 1)
                took, out, err = interrupt(process, *signals, gap=gap)
            return Interrupted(server, root, log, len(rows), process.returncode, took, out, err)

        yield interrupt_run


def cycle_records(log: Path) -> list[dict[str, Any]]:
    """The cycle records of a reconcile log (not the warnings written beside them)."""
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    return [line for line in lines if "cycle" in line]


def assert_whole_or_untouched(server: EmulatorServer) -> dict[str, Any]:
    states: dict[str, Any] = {}
    for index in range(COUNT):
        name = f"ep-{index:05d}"
        state = facets(server, name)
        assert state in (OLD, NEW), f"{name} is half-written: {state}"
        states[name] = state
    return states


def assert_converges(root: Path, server: EmulatorServer) -> None:
    code, output = run(root, server, "apply", "--auto-approve")
    assert code == 0, output
    code, output = run(root, server, "plan", "--detailed-exitcode")
    assert code == 0, f"the plan after the next apply is not empty: {output[-2000:]}"


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_a_first_signal_finishes_the_endpoint_being_written_and_reports(
        interrupted: Interrupt, sig: str) -> None:
    stopped = interrupted("apply", "--auto-approve", "--parallelism", "1",
                       signals=(stop_signal(sig),), latency_ms=150)
    out, err = stopped.out, stopped.err

    assert stopped.returncode == 130, out + err
    assert "Traceback" not in out + err
    assert "Stopping: the endpoints being written finish their writes" in err
    assert "Apply stopped: " in out and " not started" in out
    assert "not started (update config, ai_gateway, tags): apply was stopping; left " \
           "untouched" in out
    states = assert_whole_or_untouched(stopped.server)
    done = [line for line in out.splitlines() if line.startswith("~ ep-")]
    assert done and all("updated config, ai_gateway, tags" in line for line in done)
    assert sum(1 for s in states.values() if s == NEW) == len(done)
    assert_converges(stopped.root, stopped.server)


def test_a_second_signal_stops_at_once_and_still_reports(interrupted: Interrupt) -> None:
    stopped = interrupted("apply", "--auto-approve", "--parallelism", "1",
                       signals=(signal.SIGINT, signal.SIGINT), latency_ms=700)
    out, err = stopped.out, stopped.err

    assert stopped.returncode == 130, out + err
    # Not three 0.7 s writes.
    assert stopped.took < 5, f"{stopped.took:.1f}s after the second signal"
    assert "Traceback" not in out + err
    assert "Stopping at once" in err
    assert "Apply stopped at once: " in out
    # The endpoint being written was stopped between (or in) its writes: reported with
    # what it sent; the others were not started.
    assert "! ep-00000: INTERRUPTED: stopped at once while writing" in out
    assert "(sent: PUT /api/2.0/serving-endpoints/ep-00000/config" in out
    assert out.count("not started (update") == COUNT - 1
    assert_converges(stopped.root, stopped.server)


def test_reconcile_a_second_signal_stops_at_once_with_exit_130_and_its_record(
        interrupted: Interrupt, tmp_path: Path) -> None:
    cycles = tmp_path / "cycles.jsonl"
    stopped = interrupted("reconcile", "--interval", "1h", "--parallelism", "1",
                       "--log-file", str(cycles),
                       signals=(signal.SIGTERM, signal.SIGTERM), latency_ms=700)
    out, err = stopped.out, stopped.err

    assert stopped.returncode == 130, out + err
    assert stopped.took < 5, f"{stopped.took:.1f}s after the second signal"
    assert "Traceback" not in out + err
    [record] = cycle_records(cycles)
    assert record["stopping"] is True and record["next_delay_seconds"] is None
    assert record["outcome"] == "error" and record["applied"] == 0
    assert record["error"].startswith("stopped at once by a second signal: 1 endpoint(s) "
                                      "interrupted between their writes, 4 not started")
    assert_converges(stopped.root, stopped.server)


def test_reconcile_a_first_signal_mid_apply_still_exits_0(
        interrupted: Interrupt, tmp_path: Path) -> None:
    """As docs/ci.md says: a service manager stopping it is no failure."""
    cycles = tmp_path / "cycles.jsonl"
    stopped = interrupted("reconcile", "--interval", "1h", "--parallelism", "1",
                       "--log-file", str(cycles), signals=(signal.SIGTERM,), latency_ms=150)

    assert stopped.returncode == 0, stopped.out + stopped.err
    [record] = cycle_records(cycles)
    assert record["stopping"] is True and record["applied"] >= 1
    assert_whole_or_untouched(stopped.server)
    assert_converges(stopped.root, stopped.server)


def test_reconcile_a_second_signal_while_planning_stops_at_once_with_its_record(
        interrupted: Interrupt, tmp_path: Path) -> None:
    cycles = tmp_path / "cycles.jsonl"
    stopped = interrupted("reconcile", "--interval", "1h", "--parallelism", "1",
                       "--log-file", str(cycles), signals=(signal.SIGINT, signal.SIGINT),
                       latency_ms=700, when="request")  # the plan's listing: planning now
    out, err = stopped.out, stopped.err

    assert stopped.returncode == 130, out + err
    assert stopped.took < 5, f"{stopped.took:.1f}s after the second signal"
    assert "Traceback" not in out + err
    [record] = cycle_records(cycles)
    assert record["outcome"] == "error" and record["stopping"] is True
    assert record["error"] == "stopped at once by a second signal"
    assert not [r for r in read_log(stopped.log)[stopped.before:] if r["method"] != "GET"]


def test_apply_interrupted_while_planning_exits_130_without_writing(
        interrupted: Interrupt) -> None:
    stopped = interrupted("apply", "--auto-approve", signals=(signal.SIGINT,), latency_ms=700,
                       when="request", ready_after=None)
    out, err = stopped.out, stopped.err

    assert stopped.returncode == 130, out + err
    assert stopped.took < 5 and "Interrupted." in err and "Traceback" not in out + err
    assert not [r for r in read_log(stopped.log)[stopped.before:] if r["method"] != "GET"]
