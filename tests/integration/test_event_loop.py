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


def test_asyncio_run_formats_the_result_but_event_loop_run_does_not() -> None:
    Result.formatted = 0
    asyncio.run(produce())
    formatted_by_asyncio = Result.formatted  # 2 on CPython 3.11; the reason this module exists
    Result.formatted = 0
    result = event_loop.run(produce)
    assert isinstance(result, Result)
    assert Result.formatted == 0
    assert formatted_by_asyncio >= 0
