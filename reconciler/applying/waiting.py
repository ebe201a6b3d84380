"""Waiting for config updates of many endpoints at the cost of one list call per poll.

A create or a config PUT returns at once with ``state.config_update: IN_PROGRESS``; the new
config serves only once the state is back to ``NOT_UPDATING``. Getting each endpoint would
cost N calls per poll; the list response carries every endpoint's ``state``, so one
``UpdateWaiter`` polls the list for all endpoints waiting at that moment (DESIGN.md section 6).

The poll interval grows with the age of the oldest wait, from 1 s to 10 s: short waits (the
emulator, tag-only endpoints) finish promptly, long ones (real model deployments take
minutes) cost a call every 10 s. ``UPDATE_FAILED`` / ``UPDATE_CANCELED`` fail that endpoint;
a deadline per endpoint turns into ``WaitTimeout``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler import errors
from reconciler.registry import RegistryClient

log = logging.getLogger(__name__)

ProgressCallback = Callable[[Sequence[tuple[str, float]]], None]
"""Called after each poll with (endpoint, seconds waited so far) of those still updating."""

FAILED_STATES = frozenset({"UPDATE_FAILED", "UPDATE_CANCELED"})


class UpdateFailed(errors.RegistryError):
    """The endpoint's config update ended in UPDATE_FAILED or UPDATE_CANCELED."""


class WaitTimeout(errors.RegistryError):
    """The endpoint was still updating when the wait's deadline passed."""


class WaitAbandoned(Exception):
    """Apply is stopping: the wait was given up (the update goes on server-side)."""


@dataclass(frozen=True)
class WaitSettings:
    timeout: float = 1200.0
    min_interval: float = 1.0
    max_interval: float = 10.0
    growth: float = 0.2  # interval = growth x age of the oldest wait, within min..max
    # Polls in a row that failed (each after the client's own retries) before every wait
    # gives up: a workspace gone for good ends the apply in minutes, not at ``timeout``.
    max_failed_polls: int = 3
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    clock: Callable[[], float] = time.monotonic


@dataclass
class _Wait:
    name: str
    since: float
    after_poll: int  # only a list started after this poll number can answer this wait
    future: asyncio.Future[dict[str, Any]] = field(repr=False)


class UpdateWaiter:
    """Shared by all endpoints of one apply; ``wait(name)`` returns its list item (name, state)."""

    def __init__(
        self,
        registry: RegistryClient,
        settings: WaitSettings | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> None:
        self._registry = registry
        self._settings = settings or WaitSettings()
        self._on_progress = on_progress
        self._waits: dict[str, _Wait] = {}
        self._polls_started = 0
        self._poller: asyncio.Task[None] | None = None
        self.polls = 0
        self._failed_polls = 0
        self._first_failure: float | None = None
        self._abandoned = False

    async def wait(self, name: str) -> dict[str, Any]:
        """Until ``name`` is no longer updating; raises UpdateFailed or WaitTimeout, or
        WaitAbandoned once ``abandon()`` was called."""
        if self._abandoned:
            raise WaitAbandoned(name)
        if name in self._waits:
            return await asyncio.shield(self._waits[name].future)
        loop = asyncio.get_running_loop()
        entry = _Wait(name, self._settings.clock(), self._polls_started, loop.create_future())
        self._waits[name] = entry
        if self._poller is None or self._poller.done():
            self._poller = asyncio.create_task(self._poll_loop())
        try:
            return await entry.future
        finally:
            self._waits.pop(name, None)

    def abandon(self) -> None:
        """Apply is stopping: end every wait, now and later, with WaitAbandoned."""
        if self._abandoned:
            return
        self._abandoned = True
        for entry in list(self._waits.values()):
            _settle(entry, error=WaitAbandoned(entry.name))

    async def close(self) -> None:
        if self._poller is not None and not self._poller.done():
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller

    async def _poll_loop(self) -> None:
        settings = self._settings
        while pending := self._pending():
            now = settings.clock()
            oldest = min(w.since for w in pending)
            interval = min(settings.max_interval, max(settings.min_interval,
                                                      settings.growth * (now - oldest)))
            nearest_deadline = min(w.since + settings.timeout for w in pending)
            await settings.sleep(max(0.0, min(interval, nearest_deadline - now)))
            if not self._pending():
                break
            await self._poll_once()

    def _pending(self) -> list[_Wait]:
        return [w for w in self._waits.values() if not w.future.done()]

    async def _poll_once(self) -> None:
        self._polls_started += 1
        poll_number = self._polls_started
        self.polls += 1
        try:
            items = await self._registry.read_endpoints(keep=("name", "state"))
        except errors.RegistryTemporaryError as exc:
            # Retries already happened inside the client; keep waiting, the deadline still
            # holds, unless the target has stopped answering altogether.
            self._failed_polls += 1
            now = self._settings.clock()
            if self._first_failure is None:
                self._first_failure = now
            if self._failed_polls >= self._settings.max_failed_polls:
                gone = errors.RegistryTemporaryError(
                    f"gave up waiting: {self._failed_polls} polls of the endpoint list in a "
                    f"row failed over {now - self._first_failure:.0f}s (last: {exc}); the "
                    "target may be gone or unreachable: check it, then run apply again to "
                    "see where each endpoint stands", method=exc.method, path=exc.path)
                for entry in list(self._waits.values()):
                    _settle(entry, error=gone)
                return
            log.warning("polling the endpoint list failed (%d of %d in a row), will poll "
                        "again: %s", self._failed_polls, self._settings.max_failed_polls, exc)
            self._expire()
            return
        except errors.RegistryError as exc:
            for entry in list(self._waits.values()):
                _settle(entry, error=exc)
            return
        self._failed_polls, self._first_failure = 0, None
        by_name = {item.name: item for item in items}
        for entry in list(self._waits.values()):
            if entry.after_poll >= poll_number or entry.future.done():
                continue
            item = by_name.get(entry.name)
            if item is None:
                _settle(entry, error=errors.RegistryNotFound(
                    f"endpoint {entry.name!r} disappeared while waiting for its update"))
                continue
            state = item.config_update
            if state in FAILED_STATES:
                _settle(entry, error=UpdateFailed(
                    f"the config update of {entry.name!r} ended in {state}; the previous "
                    "config, if any, keeps serving", error_code=state))
            elif not item.updating:
                _settle(entry, result=dict(item.raw))
        self._expire()
        still = [(w.name, self._settings.clock() - w.since) for w in self._pending()]
        if still and self._on_progress is not None:
            self._on_progress(sorted(still))

    def _expire(self) -> None:
        now = self._settings.clock()
        for entry in list(self._waits.values()):
            if not entry.future.done() and now - entry.since >= self._settings.timeout:
                _settle(entry, error=WaitTimeout(
                    f"endpoint {entry.name!r} was still updating after "
                    f"{self._settings.timeout:.0f}s; run apply again later to check it"))


def _settle(
    entry: _Wait, *, result: dict[str, Any] | None = None, error: Exception | None = None
) -> None:
    if entry.future.done():
        return
    if error is not None:
        entry.future.set_exception(error)
    else:
        entry.future.set_result(result or {})
