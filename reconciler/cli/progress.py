"""Progress of a running apply on stderr: what each endpoint is doing, and long waits.

On a terminal the "still updating" status is one line rewritten in place after each poll;
elsewhere (CI logs) it is printed at most every ``quiet_interval`` seconds, so a 20-minute
wait is a few dozen lines, not thousands. Colour follows the caller (terminal, NO_COLOR).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Sequence
from typing import TextIO

import click

MAX_NAMES = 6
QUIET_EVENTS = frozenset({"done", "waiting for the config update"})


def format_waiting(waiting: Sequence[tuple[str, float]], width: int | None = None) -> str:
    """``still updating (3): a 12s, b 12s, c 5s``, the longest waits first.

    With ``width``, names are dropped (counted in "and N more") until the line fits: a line
    rewritten in place must never wrap, or each rewrite leaves a fragment behind.
    """
    ordered = sorted(waiting, key=lambda item: (-item[1], item[0]))
    head = f"still updating ({len(ordered)})"
    items = [f"{name} {_duration(seconds)}" for name, seconds in ordered[:MAX_NAMES]]
    for count in range(len(items), 0, -1):
        hidden = len(ordered) - count
        line = f"{head}: {', '.join(items[:count])}" + (f", and {hidden} more" if hidden else "")
        if width is None or len(line) <= width:
            return line
    return head if width is None else head[: max(width, 0)]


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    return f"{seconds // 60}m{seconds % 60:02d}s"


class ProgressDisplay:
    """Callbacks for ``ApplySettings.on_event`` and ``on_wait_progress``."""

    def __init__(
        self,
        stream: TextIO,
        *,
        interactive: bool,
        colour: bool = False,
        quiet_interval: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        width: Callable[[], int] | None = None,
    ) -> None:
        self.stream = stream
        self.interactive = interactive
        self.colour = colour
        self.quiet_interval = quiet_interval
        self.clock = clock
        self._status_shown = False
        self._last_status = float("-inf")
        self.width = width or (lambda: shutil.get_terminal_size().columns)

    def event(self, name: str, what: str) -> None:
        if what in QUIET_EVENTS:
            return  # the final report lists them; the status line shows the waits
        self._clear_status()
        line = f"  {name}: {what}"
        if self.colour and what == "failed":
            line = click.style(line, fg="red")
        click.echo(line, file=self.stream)

    def waiting(self, still: Sequence[tuple[str, float]]) -> None:
        if self.interactive:
            # One column spare: a line exactly as wide as the terminal wraps on some of them.
            text = "  " + format_waiting(still, max(self.width() - 3, 0))
        else:
            text = "  " + format_waiting(still)
        if self.interactive:
            click.echo("\r\x1b[K" + text, file=self.stream, nl=False)
            self._status_shown = True
        elif self.clock() - self._last_status >= self.quiet_interval:
            click.echo(text, file=self.stream)
            self._last_status = self.clock()

    def finish(self) -> None:
        self._clear_status()

    def _clear_status(self) -> None:
        if self._status_shown:
            click.echo("\r\x1b[K", file=self.stream, nl=False)
            self._status_shown = False
