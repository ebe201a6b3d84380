"""SIGINT and SIGTERM during ``apply`` and ``reconcile``: stop cleanly, then at once.

A first signal asks the run to stop cleanly (``Interrupts.finish``): the endpoints being
written finish their remaining facets, no other endpoint is started, the report says what was
done and what was not. A second signal asks it to stop at once (``Interrupts.now``): the calls
and waits in flight are cancelled and the report still says what is known. Both commands exit
130 once a signal stopped them (``reconcile``: 0 for a first signal, as a service manager
stopping it is no failure). Where nothing listens for a second signal (``listening`` false:
``reconcile`` planning or sleeping), and for a third one anywhere, the handler raises
``KeyboardInterrupt``: the CLI prints "Interrupted." and exits 130.

The handler only sets flags (and writes one constant line with ``os.write``, which is safe in
a signal handler, unlike a buffered stream another write may be in the middle of). The
previous handlers are restored when the block ends.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
INTERRUPTED_EXIT = 130  # 128 + SIGINT, what shells report for a command stopped by Ctrl-C
APPLY_FIRST = ("\nStopping: the endpoints being written finish their writes, no other is "
               "started (signal again to stop at once).\n")
APPLY_SECOND = "\nStopping at once: the calls in flight are cancelled.\n"


@dataclass
class Interrupts:
    """What the signals asked for so far; read by the run from any thread."""

    finish: threading.Event = field(default_factory=threading.Event)
    now: threading.Event = field(default_factory=threading.Event)

    @property
    def signalled(self) -> bool:
        return self.finish.is_set()


@contextmanager
def stop_on_signals(
    interrupts: Interrupts,
    *,
    listening: Callable[[], bool] = lambda: True,
    say: tuple[str, str] | None = None,
) -> Iterator[Interrupts]:
    """SIGTERM/SIGINT set ``interrupts.finish``, then ``interrupts.now``; ``say``: the two
    lines written to stderr when they do (None: nothing, the stream is machine-read)."""

    def handle(_signum: int, _frame: FrameType | None) -> None:
        if interrupts.now.is_set():
            raise KeyboardInterrupt  # a third signal: whatever is running
        if not interrupts.finish.is_set():
            interrupts.finish.set()
            _write(say[0] if say else None)
            return
        interrupts.now.set()
        if not listening():
            raise KeyboardInterrupt  # nothing in this phase watches for "now"
        _write(say[1] if say else None)

    previous = {sig: signal.signal(sig, handle) for sig in STOP_SIGNALS}
    try:
        yield interrupts
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _write(line: str | None) -> None:
    if line is None:
        return
    with contextlib.suppress(OSError):  # stderr closed: the report still says it
        os.write(2, line.encode())
