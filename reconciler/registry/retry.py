"""Retries of temporary registry failures: backoff list, jitter, ``Retry-After``, a total budget.

Whether a failure is worth retrying belongs to the error type (``RegistryTemporaryError``:
429, 503, 504, dropped connections, timeouts); this module only decides *when* to try again
and *whether the budget allows it*. Every retry is logged at INFO so that a slow apply
explains itself, e.g. ``attempt 2/5 failed; retrying in 1.2s: PUT /api/2.0/... -> 503``.

``sleep``, ``clock`` and the random source are injectable so that tests run instantly and
deterministically.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from reconciler import errors

log = logging.getLogger(__name__)

T = TypeVar("T")

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long a temporary failure is retried.

    ``backoffs`` lists the pause before each retry (so ``len(backoffs) + 1`` attempts in all);
    each pause is stretched by up to ``jitter`` (a fraction) so that parallel callers that
    failed together do not retry together. A server's ``Retry-After`` replaces the pause
    (capped at ``max_retry_after``). No retry starts if it would end past ``total_budget``
    seconds after the first attempt: the last error is raised instead. Each attempt ends
    within ``request_deadline`` seconds and within what is left of the budget.
    """

    backoffs: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0)
    jitter: float = 0.25
    total_budget: float = 120.0
    # The longest one attempt may take, headers and body (a server dripping one byte at a
    # time never trips httpx's per-read timeout); an attempt also ends with the budget.
    request_deadline: float = 60.0
    max_retry_after: float = 60.0
    sleep: Sleep = asyncio.sleep
    clock: Clock = time.monotonic
    rng: random.Random = field(default_factory=random.Random)

    @property
    def attempts(self) -> int:
        return len(self.backoffs) + 1

    def pause_before_retry(self, retry_index: int, error: errors.RegistryError) -> float:
        """The pause before retry number ``retry_index`` (0-based) after ``error``."""
        if error.retry_after is not None:
            return max(0.0, min(error.retry_after, self.max_retry_after))
        base = self.backoffs[retry_index]
        return base * (1.0 + self.jitter * self.rng.random())


NO_RETRIES = RetryPolicy(backoffs=())


async def call_with_retries(
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    describe: Callable[[], str],
) -> tuple[T, int]:
    """Run ``call`` until it succeeds or fails for good; return its result and the attempts made.

    ``describe`` names the request for the log line (``PUT /api/2.0/...``). Permanent errors
    propagate at once. The error that finally propagates carries ``attempts``.
    """
    started = policy.clock()
    attempt = 0
    while True:
        attempt += 1
        try:
            return await call(), attempt
        except errors.RegistryError as exc:
            exc.attempts = attempt
            if not exc.retryable:
                raise
            if attempt >= policy.attempts:
                _gave_up(exc, f"gave up after {attempt} attempts over "
                              f"{policy.clock() - started:.0f}s")
                raise
            pause = policy.pause_before_retry(attempt - 1, exc)
            if policy.clock() - started + pause > policy.total_budget:
                log.info(
                    "attempt %d/%d failed; retry budget of %.0fs exhausted: %s -> %s",
                    attempt, policy.attempts, policy.total_budget, describe(), _outcome(exc),
                )
                _gave_up(exc, f"gave up after {attempt} attempts: the next pause ({pause:.0f}s) "
                              f"would pass the retry budget of {policy.total_budget:.0f}s")
                raise
            log.info(
                "attempt %d/%d failed; retrying in %.1fs: %s -> %s",
                attempt, policy.attempts, pause, describe(), _outcome(exc),
            )
            await policy.sleep(pause)


def _gave_up(exc: errors.RegistryError, why: str) -> None:
    """Say in the error itself that it is final: the retries are spent."""
    if exc.args and isinstance(exc.args[0], str) and len(exc.args) == 1:
        exc.args = (f"{exc.args[0]} ({why})",)


def _outcome(exc: errors.RegistryError) -> str:
    if exc.status is not None:
        return str(exc.status)
    cause = exc.__cause__
    return exc.error_code or type(cause if cause is not None else exc).__name__
