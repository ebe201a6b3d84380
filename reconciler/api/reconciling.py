"""Continuous mode: plan and apply (or only report) on an interval, one record per cycle.

``Reconciler.run`` is the loop behind ``reconciler reconcile --interval``. Each cycle loads
the project from disk again (so a ``git pull`` between cycles is picked up), plans against
the target, applies the plan unless ``report_only``, and hands exactly one ``CycleRecord``
to ``on_cycle``. A failing cycle (invalid manifests, an unreachable workspace, a failed
endpoint) never ends the loop: the next delay doubles, up to ``max_backoff``, and goes back
to ``interval`` after the first good cycle.

Stopping is cooperative, through a ``threading.Event`` (the CLI sets it from SIGTERM and
SIGINT). Between cycles the sleep ends at once. During an apply, endpoints that have not
started writing are not started, an endpoint that has started finishes its writes (so none
is left half-written), and waits for config updates to roll out are abandoned: the writes
are accepted by then, and the next run compares the result. A second event, ``stop_now``
(a second signal), stops the apply at once (the calls in flight are cancelled); the cycle
still ends with its record. Outside an apply (``applying`` false) the CLI raises
``KeyboardInterrupt`` for it instead; with ``stop_now`` set, the cycle catches it and still
writes its record. Sleep and clocks are injected, so tests drive the loop without waiting.
"""

from __future__ import annotations

import datetime
import json
import logging
import math
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from reconciler import errors
from reconciler.api import event_loop, workflow
from reconciler.applying.report import ApplyReport
from reconciler.loading.project import Project
from reconciler.planning.plan import Plan
from reconciler.redaction import redact_text
from reconciler.registry import open_registry

log = logging.getLogger(__name__)

CycleOutcome = Literal["no-op", "applied", "reported", "error"]
MAX_NAMES_IN_RECORD = 20  # a record stays one readable line even for a huge first apply


@dataclass(frozen=True)
class ReconcileSettings:
    interval: float
    report_only: bool = False
    max_cycles: int | None = None  # None: until stopped
    max_backoff: float = 300.0  # longest delay after errors (never below ``interval``)
    plan: workflow.PlanSettings = field(default_factory=workflow.PlanSettings)
    timeout: float = 1200.0  # how long one cycle waits for config updates to roll out

    def __post_init__(self) -> None:
        # NaN passes every "<= 0" check and hot-loops; infinity overflows a sleep.
        for name in ("interval", "max_backoff", "timeout"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0 or (name == "interval" and value == 0):
                raise errors.ReconcilerError(
                    f"reconcile {name} must be a finite number of seconds above zero, "
                    f"got {value}")


@dataclass(frozen=True)
class CycleRecord:
    """What one cycle did: the one structured log line ``reconcile`` writes per cycle."""

    timestamp: str  # ISO 8601 UTC, when the cycle started
    cycle: int
    target: str
    outcome: CycleOutcome
    changes: int  # endpoints the plan would change (blocked ones included)
    applied: int  # endpoints written and, unless stopping, settled
    failed: int
    duration_seconds: float
    next_delay_seconds: float | None  # None: this was the last cycle
    endpoints: list[str] = field(default_factory=list)  # the changed ones, by name
    error: str | None = None
    stopping: bool = False  # a stop was requested while this cycle ran

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        """One line of JSON, secrets masked."""
        return redact_text(json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=False))


def next_delay(interval: float, max_backoff: float, errors_in_row: int) -> float:
    """``interval`` after a good cycle; doubled for each error in a row, capped."""
    if errors_in_row <= 0:
        return interval
    cap = max(interval, max_backoff)
    return float(min(cap, interval * 2.0 ** min(errors_in_row, 60)))


def _utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class Reconciler:
    """The loop driver; ``run()`` until ``stop`` is set or ``max_cycles`` cycles ran."""

    def __init__(
        self,
        load: Callable[[], Project],
        settings: ReconcileSettings,
        *,
        target: str,
        on_cycle: Callable[[CycleRecord], None],
        stop: threading.Event | None = None,
        stop_now: threading.Event | None = None,
        sleep: Callable[[float], object] | None = None,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime.datetime] = _utc_now,
        env: Mapping[str, str] | None = None,  # for credentials and ${env.NAME}; os.environ
    ) -> None:
        self._load = load
        self.settings = settings
        self._target = target
        self._on_cycle = on_cycle
        self.stop = stop or threading.Event()
        self.stop_now = stop_now or threading.Event()
        self.applying = False  # an apply is running (it watches ``stop_now``)
        # The default sleep is the stop event's wait: a stop ends it at once.
        self._sleep = sleep or self.stop.wait
        self._clock = clock
        self._now = now
        self._env = os.environ if env is None else env

    def run(self) -> CycleRecord | None:
        """Run cycles; returns the last record (None when stopped before the first)."""
        errors_in_row = 0
        last: CycleRecord | None = None
        number = 0
        while not self.stop.is_set():
            number += 1
            record = self.run_cycle(number)
            errors_in_row = errors_in_row + 1 if record.outcome == "error" else 0
            final = self.stop.is_set() or (
                self.settings.max_cycles is not None and number >= self.settings.max_cycles)
            delay = None if final else next_delay(
                self.settings.interval, self.settings.max_backoff, errors_in_row)
            last = replace(record, next_delay_seconds=delay,
                           stopping=record.stopping or self.stop.is_set())
            self._on_cycle(last)
            if delay is None:
                break
            self._sleep(delay)
        return last

    def run_cycle(self, number: int) -> CycleRecord:
        """One cycle: load, plan, apply (unless report-only); never raises for its errors."""
        started_at = self._now().isoformat(timespec="seconds").replace("+00:00", "Z")
        started = self._clock()
        target = self._target
        plan: Plan | None = None
        report: ApplyReport | None = None
        error: str | None = None
        try:
            project = self._load()
            target = project.target_name
            plan, report = event_loop.run(lambda: self._plan_and_apply(project), project.secrets)
        except errors.ReconcilerError as exc:
            error = redact_text(str(exc))
        except KeyboardInterrupt:
            if not self.stop_now.is_set():
                raise  # not ours (a library caller's Ctrl-C): never swallowed
            error = "stopped at once by a second signal"
        except Exception as exc:  # a daemon keeps going; the record and the debug log say why
            log.debug("reconcile cycle %d failed unexpectedly", number, exc_info=True)
            error = redact_text(f"{type(exc).__name__}: {exc}")
        finally:
            self.applying = False
        changed = [a.name for a in plan.actions if a.has_changes] if plan else []
        failed = len(report.failed) if report else 0
        if report is not None and report.stopped == "now" and error is None:
            error = (f"stopped at once by a second signal: {len(report.interrupted)} "
                     f"endpoint(s) interrupted between their writes, "
                     f"{len(report.not_started)} not started")
        if report is not None and failed and error is None:
            first = report.failed[0]
            error = f"{first.name}: {first.error or first.failure}"
            if failed > 1:
                error += f" (and {failed - 1} more)"
        outcome: CycleOutcome
        if error is not None:
            outcome = "error"
        elif not changed:
            outcome = "no-op"
        elif report is None:
            outcome = "reported"
        else:
            outcome = "applied"
        return CycleRecord(
            timestamp=started_at,
            cycle=number,
            target=target,
            outcome=outcome,
            changes=len(changed),
            applied=len(report.done) if report else 0,
            failed=failed,
            duration_seconds=round(self._clock() - started, 3),
            next_delay_seconds=None,
            endpoints=changed[:MAX_NAMES_IN_RECORD],
            error=error,
            stopping=self.stop.is_set(),
        )

    async def _plan_and_apply(self, project: Project) -> tuple[Plan, ApplyReport | None]:
        """Plan and apply on one registry connection (one client per cycle)."""
        plan_settings = self.settings.plan
        async with open_registry(project, parallelism=plan_settings.parallelism,
                                 env=self._env) as registry:
            plan = await workflow.plan_with(project, registry, plan_settings)
            if not plan.has_changes or self.settings.report_only or self.stop.is_set():
                return plan, None
            apply_settings = workflow.ApplySettings(
                parallelism=plan_settings.parallelism,
                timeout=self.settings.timeout,
                stop_requested=self.stop.is_set,
                stop_now=self.stop_now.is_set,
                env=self._env,
            )
            self.applying = True
            report = await workflow.apply_with(project, registry, plan, apply_settings)
        return plan, report
