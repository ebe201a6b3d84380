"""The synchronous entry points hand their result back without asyncio formatting it.

``asyncio.run`` on Python 3.11 builds ``repr(result)`` (and throws it away) when it restores
the SIGINT handler; for a plan of 10,000 endpoints that was a 29 MB string at the peak.
"""

from __future__ import annotations

import asyncio

from reconciler.api import event_loop


class Result:
    formatted = 0

    def __repr__(self) -> str:
        Result.formatted += 1
        return "Result()"


async def produce() -> Result:
    await asyncio.sleep(0)
    return Result()


def test_event_loop_run_returns_the_result_without_formatting_it() -> None:
    Result.formatted = 0
    result = event_loop.run(produce)
    assert isinstance(result, Result)
    assert Result.formatted == 0
