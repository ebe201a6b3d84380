"""Running one coroutine per item with a bounded number alive at once.

``asyncio.gather(*(work(item) for item in items))`` creates every task up front: for 10,000
endpoints, 10,000 tasks with their coroutine frames, most of them only waiting for a slot of
a semaphore. ``for_each`` runs ``workers`` coroutines that take items from one shared
iterator instead, so memory grows with ``workers``, not with the number of items, and the
calls still go out ``workers`` at a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

T = TypeVar("T")


async def for_each(
    items: Iterable[T], work: Callable[[T], Awaitable[None]], *, workers: int
) -> None:
    """Await ``work(item)`` for every item, at most ``workers`` at a time.

    The first exception stops the other workers (cancelled, not left running in the
    background) and is raised.
    """
    shared = iter(items)

    async def worker() -> None:
        for item in shared:  # one iterator: each item is taken by exactly one worker
            await work(item)

    tasks = [asyncio.ensure_future(worker()) for _ in range(max(1, workers))]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
