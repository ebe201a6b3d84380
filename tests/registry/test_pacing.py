"""``for_each`` does every item once, never more than ``workers`` at a time, and a failure
stops the rest instead of leaving them running."""

from __future__ import annotations

import asyncio

import pytest

from reconciler.registry.pacing import for_each


def test_every_item_once_and_at_most_workers_at_a_time() -> None:
    done: list[int] = []
    alive = 0
    most = 0

    async def work(item: int) -> None:
        nonlocal alive, most
        alive += 1
        most = max(most, alive)
        await asyncio.sleep(0)
        done.append(item)
        alive -= 1

    asyncio.run(for_each(range(100), work, workers=7))
    assert sorted(done) == list(range(100))
    assert most == 7


def test_no_items_and_fewer_items_than_workers() -> None:
    seen: list[int] = []

    async def work(item: int) -> None:
        seen.append(item)

    asyncio.run(for_each([], work, workers=4))
    asyncio.run(for_each([1, 2], work, workers=0))  # at least one worker
    assert seen == [1, 2]


def test_the_first_failure_is_raised_and_stops_the_other_workers() -> None:
    started: list[int] = []

    async def work(item: int) -> None:
        started.append(item)
        if item == 3:
            raise RuntimeError("item 3 failed")
        await asyncio.sleep(0.01)

    async def main() -> None:
        with pytest.raises(RuntimeError, match="item 3"):
            await for_each(range(1000), work, workers=4)
        left = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        assert left == []

    asyncio.run(main())
    assert len(started) < 20
