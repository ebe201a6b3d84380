"""Endpoint permissions and the caller's identity over the registry client.

* ``GET|PUT|PATCH /api/2.0/permissions/serving-endpoints/{id}``: keyed by the endpoint's
  ``id`` (not its name; it changes on recreate), so callers pass the id from a GET or create.
* ``GET /api/2.0/preview/scim/v2/Me``: who the token is, asked once per run.
* Permission writes have their own documented budget, 30 per second per workspace, apart from
  the serving-endpoints calls: ``WriteBudget`` spaces the writes of one client (one run, one
  target) at 27 per second so that all endpoints together stay within it, however many run
  at once (bench/permissions.py measures it).
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from reconciler.registry.routes import permissions_path

if TYPE_CHECKING:  # the client imports this module for its permissions writes
    from reconciler.registry.client import RegistryClient

ME_PATH = "/api/2.0/preview/scim/v2/Me"
WRITES_PER_SECOND = 30.0  # the documented limit per workspace
# Paced 10 % under it: requests that leave evenly spaced can arrive bunched (network and
# server jitter), and the workspace counts arrivals.
PACED_PER_SECOND = 0.9 * WRITES_PER_SECOND


class WriteBudget:
    """At most ``rate`` writes per second, spaced evenly, for every coroutine that shares it.

    Spacing (rather than bursts of ``rate`` then a pause) keeps the workspace's own limiter,
    which counts per second, from ever seeing more than ``rate`` in any one-second window.
    """

    def __init__(self, rate: float = PACED_PER_SECOND, *,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.interval = 1.0 / rate
        self._clock = clock
        self._sleep = sleep
        self._next = float("-inf")
        self._lock = asyncio.Lock()
        self.waited = 0.0  # seconds spent waiting, for reports and benchmarks

    async def take(self) -> None:
        """Wait for this write's turn (first come, first served)."""
        async with self._lock:  # held while sleeping: the next writer's turn follows ours
            now = self._clock()
            delay = self._next - now
            if delay > 0:
                self.waited += delay
                await self._sleep(delay)
            self._next = max(now, self._next) + self.interval


_BUDGETS: weakref.WeakKeyDictionary[RegistryClient, WriteBudget] = (
    weakref.WeakKeyDictionary())


def write_budget(client: RegistryClient) -> WriteBudget:
    """The permission-write budget of ``client`` (one per client: per run and target)."""
    budget = _BUDGETS.get(client)
    if budget is None:
        budget = _BUDGETS[client] = WriteBudget()
    return budget


def set_write_budget(client: RegistryClient, budget: WriteBudget) -> None:
    """Use ``budget`` for ``client``'s permission writes (tests and benchmarks)."""
    _BUDGETS[client] = budget


def checked_answer(client: RegistryClient, method: str, path: str, answer: dict[str, Any],
             endpoint: str | None) -> dict[str, Any]:
    acl = answer.get("access_control_list", [])
    if not isinstance(acl, list) or not all(isinstance(e, dict) for e in acl):
        raise client._protocol(method, path, "'access_control_list' is not a list of objects",
                               endpoint)
    return answer


async def get_permissions(client: RegistryClient, endpoint_id: str,
                          endpoint: str | None = None) -> dict[str, Any]:
    """The endpoint's permissions answer (direct and inherited grants)."""
    path = permissions_path(endpoint_id)
    return checked_answer(client, "GET", path, await client.call("GET", path, endpoint=endpoint),
                    endpoint)


async def write_permissions(client: RegistryClient, endpoint_id: str, method: str,
                            body: dict[str, Any], endpoint: str | None = None,
                            ) -> dict[str, Any]:
    """One permissions write (``PUT`` replaces the direct grants, ``PATCH`` merges), taken
    from the client's shared budget; the permissions answer after it."""
    if method not in ("PUT", "PATCH"):
        raise ValueError(f"a permissions write is PUT or PATCH, not {method}")
    path = permissions_path(endpoint_id)
    await write_budget(client).take()
    return checked_answer(client, method, path, await client.call(method, path, body,
                                                            endpoint=endpoint), endpoint)


async def current_user(client: RegistryClient) -> dict[str, Any]:
    """The SCIM ``Me`` answer of the token (``userName`` is what permissions name)."""
    answer = await client.call("GET", ME_PATH)
    if not isinstance(answer.get("userName"), str) or not answer["userName"]:
        raise client._protocol("GET", ME_PATH, "no 'userName' in the SCIM Me answer")
    return answer
