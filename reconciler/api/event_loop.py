"""Running the async workflows from synchronous code.

``asyncio.run(coro)`` on Python 3.11 formats the coroutine's result as text when it finishes:
restoring the SIGINT handler it installed, ``signal.signal`` looks the old handler (a
``functools.partial`` holding the main task) up in an enum, and the failed lookup builds an
error message with ``repr(partial)``, hence ``repr(task)``, hence ``repr(result)``. The message
is then thrown away. For a plan of 10,000 creates that repr is a 29 MB string (with its
pieces, about 50 MB at the peak), for an apply report of 10,000 outcomes a few more: the
largest single term of the process's peak memory. ``run`` hands the result out through a
holder instead, so the main task's result is always ``None``.

Inside a running event loop (a Jupyter or Databricks notebook cell, an async web handler)
``asyncio.run`` refuses to start a second loop in the same thread. The synchronous API then
runs its loop in a worker thread and waits for it, so ``reconciler.api.plan(...)`` works the
same in a notebook as in a script.

``secrets`` is the run's secret registry (a project's ``secrets``): bound for the whole run,
in the worker thread too (threads do not inherit context variables by themselves), so what
the run registers (the workspace token, a resolved key) is masked in its logs and errors.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from reconciler.redaction import SecretRegistry, secret_run

T = TypeVar("T")


def run(make: Callable[[], Coroutine[Any, Any, T]],
        secrets: SecretRegistry | None = None) -> T:
    """``asyncio.run(make())`` in the secret run ``secrets``, returning its result without
    asyncio ever formatting it."""
    holder: list[T] = []

    async def main() -> None:
        holder.append(await make())

    with secret_run(secrets):
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # no loop in this thread: the ordinary case
            asyncio.run(main())
        else:
            context = contextvars.copy_context()
            with concurrent.futures.ThreadPoolExecutor(1, "reconciler-loop") as pool:
                pool.submit(context.run, asyncio.run, main()).result()
    return holder[0]
