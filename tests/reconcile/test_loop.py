"""The continuous-mode loop on the embedded local registry, with its sleep faked.

Every cycle is real (manifests read from disk, plan, apply on the emulator's SQLite file);
only the time between cycles is replaced by a function that records the delay and plays
the part of the outside world (a `git pull` editing a manifest, SIGTERM setting the stop).
"""

from __future__ import annotations

import datetime
import json
import threading
from collections.abc import Callable
from pathlib import Path

from reconcile.projects import make_project, write_endpoint
from reconciler.api import workflow
from reconciler.api.reconciling import CycleRecord, Reconciler, ReconcileSettings, next_delay
from reconciler.api.validating import load_project


def live_tag(root: Path, name: str, key: str) -> str | None:
    plan = workflow.plan(load_project(root))
    action = plan.action_for(name)
    assert action is not None
    if action.action == "create":
        return None
    exported = {m["name"]: m for m in workflow.export(load_project(root))}
    tags: dict[str, str] = exported[name].get("tags", {})
    return tags.get(key)


def reconciler(root: Path, on_sleep: Callable[[int, float], None], records: list[CycleRecord],
               stop: threading.Event, **settings: object) -> Reconciler:
    """A Reconciler whose sleep calls ``on_sleep(cycles so far, delay)`` instead of waiting."""

    def sleep(delay: float) -> None:
        on_sleep(len(records), delay)

    return Reconciler(
        lambda: load_project(root), ReconcileSettings(**settings),  # type: ignore[arg-type]
        target="local", on_cycle=records.append, stop=stop, sleep=sleep,
        now=lambda: datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC))


def test_backs_off_on_errors_keeps_going_and_resets_after_a_good_cycle(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", "chat")
    records: list[CycleRecord] = []
    stop = threading.Event()
    delays: list[float] = []

    def world(cycles: int, delay: float) -> None:
        delays.append(delay)
        if cycles == 1:  # someone pushes a broken manifest
            (root / "endpoints" / "chat.yaml").write_text("name: chat\nconfig: {served: 1}\n")
        if cycles == 4:  # ... and fixes it, with a new tag
            write_endpoint(root, "chat", "platform")
        if cycles == 6:
            stop.set()  # SIGTERM while sleeping: the loop ends without another cycle

    last = reconciler(root, world, records, stop, interval=10.0, max_backoff=35.0).run()

    assert [r.outcome for r in records] == ["applied", "error", "error", "error", "applied",
                                            "no-op"]
    assert delays == [10.0, 20.0, 35.0, 35.0, 10.0, 10.0]  # doubled, capped, then reset
    assert [r.next_delay_seconds for r in records] == delays
    assert records[1].error is not None and "chat.yaml" in records[1].error
    assert records[4].endpoints == ["chat"] and records[4].applied == 1
    assert last is records[-1]
    assert live_tag(root, "chat", "team") == "platform"


def test_report_only_logs_changes_and_writes_nothing(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", "chat", "embed")
    records: list[CycleRecord] = []
    last = reconciler(root, lambda *_: None, records, threading.Event(), interval=1.0,
                      report_only=True, max_cycles=2).run()
    assert [(r.outcome, r.changes, r.applied) for r in records] == [("reported", 2, 0)] * 2
    assert last is not None and last.endpoints == ["chat", "embed"]
    assert workflow.export(load_project(root)) == []


def test_one_json_line_per_cycle_with_the_documented_fields(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", "chat")
    records: list[CycleRecord] = []
    reconciler(root, lambda *_: None, records, threading.Event(), interval=2.0,
               max_cycles=2).run()
    lines = [r.to_json() for r in records]
    assert all("\n" not in line for line in lines)
    first, second = (json.loads(line) for line in lines)
    assert first == {
        "timestamp": "2026-01-02T03:04:05Z", "cycle": 1, "target": "local",
        "outcome": "applied", "changes": 1, "applied": 1, "failed": 0,
        "duration_seconds": first["duration_seconds"], "next_delay_seconds": 2.0,
        "endpoints": ["chat"], "error": None, "stopping": False}
    assert second["outcome"] == "no-op" and second["next_delay_seconds"] is None


def test_a_stop_before_the_first_cycle_runs_nothing(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", "chat")
    stop = threading.Event()
    stop.set()
    records: list[CycleRecord] = []
    assert reconciler(root, lambda *_: None, records, stop, interval=1.0).run() is None
    assert records == []


def test_next_delay() -> None:
    assert [next_delay(5, 60, n) for n in range(6)] == [5, 10, 20, 40, 60, 60]
    assert next_delay(120, 60, 3) == 120  # the cap never goes below the interval
    assert next_delay(1, 300, 10_000) == 300
