"""A per-target request budget: at most N requests per second, shared by a whole run.

Databricks publishes no limit for the serving-endpoint management calls; Terraform's
provider defaults to 15 requests per second per workspace, and its maintainers warn that
unthrottled runs can get the caller blocked for minutes. Every request of a run (the list,
the GETs of ``--parallelism`` workers, the writes, the waiter's polls) takes a slot here
first, so concurrency never adds up to more than the budget.

Slots are spaced evenly, ``1/N`` seconds apart (no burst): any one-second window then holds
at most N requests, which is what a per-second throttle counts. A 429 with ``Retry-After``
holds every slot until that time, not only the retry of the request that got it: the
workspace is saying the whole caller is over its limit.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable

DEFAULT_MAX_RPS = 15.0


class RequestBudget:
    """``await acquire()`` before each request; ``hold(seconds)`` after a throttled answer."""

    def __init__(
        self,
        max_rps: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if not math.isfinite(max_rps) or max_rps <= 0:
            raise ValueError(f"max_rps must be a finite number above 0, got {max_rps}")
        self.max_rps = max_rps
        self._spacing = 1.0 / max_rps
        self._next = -math.inf  # the earliest time the next slot may start
        self._clock = clock
        self._sleep = sleep
        self.waited = 0.0  # seconds spent waiting for slots, for reports and benchmarks

    async def acquire(self) -> None:
        # No await between reading and moving _next: slots are handed out in call order.
        now = self._clock()
        slot = max(now, self._next)
        self._next = slot + self._spacing
        if slot > now:
            self.waited += slot - now
            await self._sleep(slot - now)

    def hold(self, seconds: float) -> None:
        """No slot starts before ``seconds`` from now (a server's ``Retry-After``)."""
        if math.isfinite(seconds) and seconds > 0:
            self._next = max(self._next, self._clock() + seconds)
