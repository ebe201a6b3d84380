"""Progress of a running apply on stderr: what each endpoint is doing, and long waits.

On a terminal the "still updating" status is one line rewritten in place after each poll;
elsewhere (CI logs) it is printed at most every ``quiet_interval`` seconds, so a 20-minute
wait is a few dozen lines, not thousands. Colour follows the caller (terminal, NO_COLOR).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TextIO

import click

MAX_NAMES = 6
QUIET_EVENTS = frozenset({"done", "waiting for the config update"})


def format_waiting(waiting: Sequence[tuple[str, float]]) -> str:
    """``still updating (3): a 12s, b 12s, c 5s``, the longest waits first."""
    ordered = sorted(waiting, key=lambda item: (-item[1], item[0]))
    shown = ", ".join(f"{name} {_duration(seconds)}" for name, seconds in ordered[:MAX_NAMES])
    more = f", and {len(ordered) - MAX_NAMES} more" if len(ordered) > MAX_NAMES else ""
    return f"still updating ({len(ordered)}): {shown}{more}"


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
    ) -> None:
        self.stream = stream
        self.interactive = interactive
        self.colour = colour
        self.quiet_interval = quiet_interval
        self.clock = clock
        self._status_shown = False
        self._last_status = float("-inf")

    def event(self, name: str, what: str) -> None:
        if what in QUIET_EVENTS:
            return  # the final report lists them; the status line shows the waits
        self._clear_status()
        line = f"  {name}: {what}"
        if self.colour and what == "failed":
            line = click.style(line, fg="red")
        click.echo(line, file=self.stream)

    def waiting(self, still: Sequence[tuple[str, float]]) -> None:
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
