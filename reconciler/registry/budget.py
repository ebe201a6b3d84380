"""A run's request budget: one mechanism, per-class limits, shared by every request of a run.

Two limits apply, both per target (one ``RegistryClient``: one run, one workspace), both to
every endpoint the run touches at once, whatever ``--parallelism``:

* **All requests** at most ``max_rps`` per second (``max_rps:`` of the target, ``--max-rps``).
  Databricks publishes no limit for the serving-endpoint management calls; Terraform's
  provider defaults to 15 requests per second per workspace, and its maintainers warn that
  unthrottled runs can get the caller blocked for minutes. ``None``: no overall limit (a
  loopback emulator, the local target, ``--max-rps 0``).
* **Classes with a documented limit of their own**, on top of it and always on: permission
  writes (``PUT``/``PATCH /api/2.0/permissions/...``), documented at 30 per second per
  workspace, are sent at 27 per second (10 % under: requests that leave evenly spaced can
  arrive bunched, and the workspace counts arrivals).

Slots are spaced evenly, ``1/N`` seconds apart (no burst): any one-second window then holds at
most N requests, which is what a per-second throttle counts. A request of a class waits for
its class's slot first and then takes an overall slot, so permission writes queue among
themselves and never hold up the GETs and other writes behind them. A class's slots are
counted from when the previous request of the class actually left (a documented limit that
the workspace enforces: a stalled event loop must not release queued writes together);
the overall slots are handed out ahead, in call order (bench/polite.py).

A 429 with ``Retry-After`` holds every slot it concerns until that time, not only the retry
of the request that got it: the workspace is saying the caller is over its limit. It holds
the overall limit (when there is one) and, for a request of a class, that class.

Every request of the client goes through ``acquire`` (``Transport._send_once``, retries
included), so no caller can bypass a limit by sending through another function.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Literal

from reconciler.registry.routes import PERMISSIONS_API

DEFAULT_MAX_RPS = 15.0

RequestClass = Literal["permission-writes"]
PERMISSION_WRITES: RequestClass = "permission-writes"

DOCUMENTED_PER_SECOND: dict[RequestClass, float] = {
    # Permissions API: PATCH/PUT 30 per second per workspace (GET 100, not limited here:
    # a plan reads one ACL per endpoint that declares permissions, far below the overall
    # limit of a workspace target).
    PERMISSION_WRITES: 30.0,
}
MARGIN = 0.9
"""Classes are paced this far under their documented limit."""
CLASS_LIMITS: dict[RequestClass, float] = {
    name: MARGIN * rate for name, rate in DOCUMENTED_PER_SECOND.items()}


def request_class(method: str, path: str) -> RequestClass | None:
    """The limited class a request belongs to, if any."""
    if method in ("PUT", "PATCH") and path.startswith(PERMISSIONS_API):
        return PERMISSION_WRITES
    return None


def _checked_rate(what: str, rate: float) -> float:
    if not math.isfinite(rate) or rate <= 0:
        raise ValueError(f"{what} must be a finite number above 0, got {rate}")
    return rate


class _Slots:
    """Evenly spaced slots at ``rate`` per second, handed out ahead in call order."""

    def __init__(self, rate: float) -> None:
        self.spacing = 1.0 / rate
        self.next = -math.inf  # the earliest time the next slot may start

    def take(self, now: float) -> float:
        # No await between reading and moving ``next``: slots go out in call order.
        slot = max(now, self.next)
        self.next = slot + self.spacing
        return slot

    def hold(self, until: float) -> None:
        self.next = max(self.next, until)


class _StrictSlots(_Slots):
    """Slots at least ``1/rate`` apart as the clock saw each one leave: for a documented
    limit, which the workspace enforces. Writers queue (first come, first served) and the
    next slot is counted from when the previous writer actually went, so an event loop that
    stalled (a busy machine) delays the writes behind it instead of releasing them together."""

    def __init__(self, rate: float) -> None:
        super().__init__(rate)
        self.lock = asyncio.Lock()


class RequestBudget:
    """``await acquire(kind)`` before each request; ``hold(seconds, kind)`` after a 429."""

    def __init__(
        self,
        max_rps: float | None = None,
        *,
        class_limits: Mapping[RequestClass, float] = CLASS_LIMITS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.max_rps = None if max_rps is None else _checked_rate("max_rps", max_rps)
        self._all = None if max_rps is None else _Slots(max_rps)
        self._classes = {name: _StrictSlots(_checked_rate(f"the {name} limit", rate))
                         for name, rate in class_limits.items()}
        self._clock = clock
        self._sleep = sleep
        self.waited = 0.0  # seconds spent waiting for slots, for reports and benchmarks
        self.taken: dict[str, int] = {}  # slots handed out per class ("all": every request)

    def limit(self, kind: RequestClass) -> float | None:
        """Requests per second of ``kind`` (None: only the overall limit applies)."""
        slots = self._classes.get(kind)
        return None if slots is None else 1.0 / slots.spacing

    async def acquire(self, kind: RequestClass | None = None) -> None:
        """Wait for this request's slot: its class's first (if limited), then the overall."""
        self.taken["all"] = self.taken.get("all", 0) + 1
        if kind is not None and kind in self._classes:
            self.taken[kind] = self.taken.get(kind, 0) + 1
            await self._wait_strictly(self._classes[kind])
        if self._all is not None:
            await self._wait_for(self._all)

    async def _wait_for(self, slots: _Slots) -> None:
        now = self._clock()
        slot = slots.take(now)
        if slot > now:
            self.waited += slot - now
            await self._sleep(slot - now)

    async def _wait_strictly(self, slots: _StrictSlots) -> None:
        async with slots.lock:  # held while sleeping: the next writer's turn follows ours
            while (delay := slots.next - self._clock()) > 0:  # a hold may move it meanwhile
                self.waited += delay
                await self._sleep(delay)
            slots.next = self._clock() + slots.spacing

    def hold(self, seconds: float, kind: RequestClass | None = None) -> None:
        """No slot of the overall limit, nor of ``kind``'s, starts before ``seconds`` from
        now (a server's ``Retry-After``)."""
        if not (math.isfinite(seconds) and seconds > 0):
            return
        until = self._clock() + seconds
        if self._all is not None:
            self._all.hold(until)
        slots = None if kind is None else self._classes.get(kind)
        if slots is not None:
            slots.hold(until)
