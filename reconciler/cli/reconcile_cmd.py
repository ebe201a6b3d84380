"""``reconciler reconcile --interval DURATION``: continuous mode, one JSON line per cycle.

The loop itself is ``reconciler.api.reconciling.Reconciler``; this module parses options,
turns SIGTERM and SIGINT into a clean stop (``cli/interrupts.py``), and writes each cycle's
record as one line of JSON to stderr or ``--log-file``. A second signal while stopping stops
at once: the apply in flight is cancelled, the cycle's record is still written, exit 130.

Exit codes: 0 when stopped by a signal (whatever the last cycle did: a service manager
stopping it is not a failure); 130 when a second signal stopped it at once; with
``--max-cycles``, 1 when the last cycle was an error.
The project is loaded once before the first cycle, so a wrong ``-C``/``-t``/``--var`` or an
invalid project fails at once with exit 1 instead of looping on errors.
"""

from __future__ import annotations

import datetime
import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import click

from reconciler import errors
from reconciler.api import workflow
from reconciler.api.reconciling import CycleRecord, Reconciler, ReconcileSettings
from reconciler.api.validating import MANIFEST_LOGGER, load_project
from reconciler.cli.interrupts import INTERRUPTED_EXIT, Interrupts, stop_on_signals
from reconciler.cli.options import (
    common_options,
    max_rps_option,
    parallelism_option,
    parse_duration,
    parse_vars,
    select_option,
    with_cli_max_rps,
)
from reconciler.loading.project import Project
from reconciler.model.live import prune_refusal
from reconciler.redaction import RedactingFilter


class JsonLineHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Warnings from the library as JSON lines beside the cycle records (``level`` marks
    them apart), so the stream stays machine-readable. Secrets are masked by the filter.
    A manifest warning (a deprecated field) is shown once, not again every cycle."""

    def __init__(self, stream: IO[str]) -> None:
        super().__init__(stream)
        self._manifest_warnings: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == MANIFEST_LOGGER:
            message = record.getMessage()
            if message in self._manifest_warnings:
                return False
            self._manifest_warnings.add(message)
        return bool(super().filter(record))

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.datetime.fromtimestamp(record.created, datetime.UTC)
        return json.dumps({
            "timestamp": stamp.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(), "logger": record.name,
            "message": record.getMessage()}, ensure_ascii=False)


@contextmanager
def record_writer(log_file: Path | None, *, debug: bool) -> Iterator[
        Callable[[CycleRecord], None]]:
    """A function writing one record as one flushed line, to ``log_file`` or stderr.

    Library warnings go to the same stream as JSON lines; with ``--debug`` the usual text
    log on stderr shows everything instead.
    """
    stream: IO[str]
    if log_file is None:
        stream = sys.stderr
    else:
        try:
            stream = log_file.open("a", encoding="utf-8")
        except OSError as exc:
            raise errors.ReconcilerError(
                f"cannot open the log file {log_file}: {exc.strerror or exc}") from exc

    def write(record: CycleRecord) -> None:
        stream.write(record.to_json() + "\n")
        stream.flush()

    library = logging.getLogger("reconciler")
    handler: logging.Handler | None = None
    if not debug:
        handler = JsonLineHandler(stream)
        handler.setLevel(logging.WARNING)
        handler.addFilter(RedactingFilter())
        library.addHandler(handler)
    try:
        yield write
    finally:
        if handler is not None:
            library.removeHandler(handler)
        if log_file is not None:
            stream.close()


def _positive_duration(ctx: click.Context, param: click.Parameter, value: str) -> float:
    seconds = parse_duration(ctx, param, value)
    if seconds <= 0:
        raise click.BadParameter("must be more than zero")
    return seconds


@click.command("reconcile")
@common_options
@max_rps_option
@click.option("--interval", required=True, callback=_positive_duration,
              help="Time between cycles (30s, 5m, 1h).")
@click.option("--report-only", is_flag=True,
              help="Plan and log what would change; never apply.")
@click.option("--max-cycles", type=click.IntRange(min=1), default=None,
              help="Stop after N cycles (default: run until SIGTERM/SIGINT).")
@click.option("--max-backoff", default="5m", show_default=True, callback=_positive_duration,
              help="Longest delay after failing cycles (the delay doubles per error).")
@click.option("--timeout", default="20m", show_default=True, callback=parse_duration,
              help="How long a cycle waits for config updates to roll out.")
@click.option("--log-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Append the per-cycle JSON lines here instead of stderr.")
@select_option
@click.option("--prune", is_flag=True, help="Delete our endpoints that no manifest declares.")
@parallelism_option
def reconcile_command(project_dir: Path, target: str | None, cli_vars: tuple[str, ...],
                      interval: float, report_only: bool, max_cycles: int | None,
                      max_backoff: float, timeout: float, log_file: Path | None,
                      select: tuple[str, ...], prune: bool, parallelism: int) -> int:
    """Plan and apply on an interval (continuous mode), one JSON log line per cycle.

    Manifests are read again every cycle, so a `git pull` beside it is picked up. Errors back
    off exponentially and the loop keeps going. SIGTERM or SIGINT stops it cleanly: an
    endpoint being written is finished, no other is started, and the exit code is 0.
    """
    variables = parse_vars(cli_vars)
    debug = bool((click.get_current_context().obj or {}).get("debug"))

    def load() -> Project:
        return with_cli_max_rps(load_project(project_dir, target, variables))

    settings = ReconcileSettings(
        interval=interval, report_only=report_only, max_cycles=max_cycles,
        max_backoff=max_backoff, timeout=timeout,
        plan=workflow.PlanSettings(select=workflow.selected(select), prune=prune,
                                   parallelism=parallelism))
    interrupts = Interrupts()
    running: list[Reconciler] = []
    # Nothing on the record stream: it is machine-read. A second signal outside an apply
    # (loading, planning) raises KeyboardInterrupt, which the cycle turns into its record.
    with record_writer(log_file, debug=debug) as write, stop_on_signals(
            interrupts, listening=lambda: any(r.applying for r in running)):
        first = load()  # fail fast (exit 1) on a wrong -C, -t, --var or an invalid project
        refusal = prune_refusal(first.file.project_id) if prune else None
        if refusal is not None:  # every cycle would fail the same way
            raise errors.PlanError(refusal)
        reconciler = Reconciler(load, settings, target=first.target_name, on_cycle=write,
                                stop=interrupts.finish, stop_now=interrupts.now)
        running.append(reconciler)
        last = reconciler.run()
    if interrupts.now.is_set():
        return INTERRUPTED_EXIT
    if interrupts.signalled or last is None:
        return 0
    return 1 if last.outcome == "error" else 0


COMMANDS: list[click.Command] = [reconcile_command]
