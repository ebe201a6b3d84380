"""The CLI's shared vocabulary: options, loading the project, printing a report.

Options every command shares: ``-C DIR``, ``-t/--target``, ``--var``, ``--debug``. They are
placed after the command name (``reconciler plan -C examples -t prod``), so each command takes
them itself through ``@common_options``. Also here: ``--select``, ``--parallelism``,
``--format`` from a report's format table, durations, ``load_cli_project`` and
``echo_report``. Command modules import from here, never each other's private names (a test
checks it).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from reconciler.api.validating import load_project
from reconciler.cli import completion
from reconciler.diff.export import env_references
from reconciler.loading.project import Project
from reconciler.planning.service_export import plaintext_references
from reconciler.redaction import RedactingFilter, install_log_redaction
from reconciler.render.formats import Format, RenderOptions, choices

F = TypeVar("F", bound=Callable[..., Any])


def _enable_debug(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    if value:
        ctx.ensure_object(dict)["debug"] = True
        logging.basicConfig(level=logging.DEBUG, format="%(levelname)s %(name)s: %(message)s")
        install_log_redaction()
    return value


def common_options(func: F) -> F:
    """Add -C, -t, --var and --debug to a command."""
    decorators = [
        click.option(
            "-C",
            "--project-dir",
            "project_dir",
            type=click.Path(file_okay=False, path_type=Path),
            default=Path("."),
            show_default=True,
            help="The project folder (holding reconciler.yaml).",
        ),
        click.option(
            "-t", "--target", "target", default=None, envvar="RECONCILER_TARGET",
            shell_complete=completion.complete_targets,
            help="Target from reconciler.yaml (default: RECONCILER_TARGET, else the project's "
                 "default_target).",
        ),
        click.option(
            "--var",
            "cli_vars",
            multiple=True,
            metavar="NAME=VALUE",
            help="Set a declared variable, over project and target variables and "
                 "RECONCILER_VAR_<NAME>. Repeatable.",
        ),
        click.option(
            "--debug",
            is_flag=True,
            default=False,
            expose_value=False,
            is_eager=True,
            callback=_enable_debug,
            help="Show tracebacks and request logs (secrets stay masked).",
        ),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def parse_vars(pairs: tuple[str, ...]) -> dict[str, str]:
    """``("a=1", "b=x=y")`` -> ``{"a": "1", "b": "x=y"}``; a pair without ``=`` is a usage error."""
    result: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"expected NAME=VALUE, got {pair!r}", param_hint="--var")
        result[name] = value
    return result


class FiniteFloatRange(click.FloatRange):
    """``click.FloatRange`` that also refuses ``nan`` and ``inf`` (which pass its bounds:
    every comparison with NaN is false)."""

    name = "finite float range"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number ({self._describe_range()}).",
                      param, ctx)
        return number


def _remember_max_rps(ctx: click.Context, _param: click.Parameter, value: float | None) -> None:
    if value is not None:
        ctx.ensure_object(dict)["max_rps"] = value


max_rps_option = click.option(
    "--max-rps", type=FiniteFloatRange(min=0, max=10_000), default=None, metavar="N",
    expose_value=False, callback=_remember_max_rps,
    help="Requests per second to the target, shared by all concurrent requests (default: "
         "the target's max_rps, else 15 for a workspace; 0: no limit).")


def with_cli_max_rps(project: Project) -> Project:
    """The project with ``--max-rps`` (when given) over its target's ``max_rps``."""
    ctx = click.get_current_context(silent=True)
    value = (ctx.obj or {}).get("max_rps") if ctx is not None else None
    if value is None:
        return project
    return dataclasses.replace(project, target=project.target.model_copy(
        update={"max_rps": value}))


MAX_DURATION = 30 * 24 * 3600.0  # seconds: longer waits or intervals are typing mistakes
_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$")
select_option = click.option(
    "--select", "select", multiple=True, metavar="NAME",
    shell_complete=completion.complete_endpoints,
    help="Only these endpoints (repeatable, or comma-separated).")

parallelism_option = click.option(
    "--parallelism", type=click.IntRange(1, 64), default=8, show_default=True,
    help="How many endpoints are read or written at once.")


def colour(stream: str = "stdout") -> bool:
    tty = (sys.stdout if stream == "stdout" else sys.stderr).isatty()
    return tty and "NO_COLOR" not in os.environ


def parse_duration(_ctx: click.Context, _param: click.Parameter, value: str) -> float:
    """``90``, ``90s``, ``20m``, ``1h30m`` -> seconds; finite, 0 to 30 days.

    ``float()`` alone accepts ``nan``, ``inf`` and ``1e400`` (infinity): a NaN interval
    compares false with everything and hot-loops, an infinite one overflows a sleep.
    """
    text = value.strip().lower()
    try:
        total = float(text)
    except ValueError:
        match = _DURATION.match(text)
        if not text or match is None:
            raise click.BadParameter(
                f"expected a duration like 90s, 20m or 1h30m, got {value!r}") from None
        hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
        total = hours * 3600 + minutes * 60 + seconds
    if not math.isfinite(total) or not 0 <= total <= MAX_DURATION:
        raise click.BadParameter(
            f"must be a finite duration between 0s and {MAX_DURATION // 3600:.0f}h, "
            f"got {value!r}")
    return total


def load_cli_project(project_dir: Path, target: str | None, cli_vars: tuple[str, ...],
                      *, allow_no_manifests: bool = False) -> Project:
    """The valid project a command works on, with ``--max-rps``; retries shown on stderr."""
    _show_retries()
    return with_cli_max_rps(load_project(project_dir, target, parse_vars(cli_vars),
                                         allow_no_manifests=allow_no_manifests))


def _show_retries() -> None:
    """Retries and wait problems on stderr even without --debug: a slow run explains itself.

    With --debug the root logger already prints everything; nothing is added then.
    """
    if logging.getLogger().handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("  %(message)s"))
    handler.addFilter(RedactingFilter())
    for name in ("reconciler.registry.retry", "reconciler.applying"):
        logger = logging.getLogger(name)
        if not logger.handlers:
            logger.addHandler(handler)
            logger.setLevel(logging.INFO)
            logger.propagate = False



def say_env_references(manifests: Sequence[Mapping[str, Any]]) -> None:
    """On stderr: the write-only keys export wrote as ``${env.NAME}`` (docs/drift.md)."""
    references = [r for m in manifests for r in env_references(m)]
    for ref in references:
        click.echo(f"{ref.endpoint}: {ref.path} is write-only (GET never returns it); the "
                   f"manifest reads it from ${{env.{ref.variable}}}", err=True)
    # Unity AI Gateway provider services: a plaintext secret is input-only (reads show {}).
    services = [r for m in manifests if "kind" in m for r in plaintext_references(m)]
    for found in services:
        click.echo(f"{found.service}: {found.path} is input-only (reads never return it); the "
                   f"manifest reads it from ${{env.{found.variable}}}", err=True)
    if references:
        click.echo("Set those variables and `policy.plaintext_secrets: env-only` in "
                   "reconciler.yaml before plan or apply (or replace them with "
                   "{{secrets/scope/key}} references).", err=True)
    elif services:
        click.echo("Set those variables and `policy.plaintext_secrets: env-only` in "
                   "reconciler.yaml before plan or apply (or replace them with a UC "
                   "secret_reference: {name: secrets/catalog.schema.secret}).", err=True)


R = TypeVar("R")


def echo_report(table: Mapping[str, Format[R]], fmt: str, report: R, *,
                err: bool = False) -> None:
    """Render ``report`` in ``fmt`` from its format table (render/formats.py) and print it,
    coloured only on a terminal of the stream it goes to."""
    chosen = table[fmt]
    options = RenderOptions(colour=colour("stderr" if err else "stdout"))
    click.echo(chosen.render(report, options), nl=chosen.newline, err=err)


def format_option(table: Mapping[str, Format[R]], **kwargs: Any) -> Callable[[F], F]:
    """``--format`` with the table's names as choices, the first the default."""
    names = choices(table)
    return click.option("--format", "fmt", type=click.Choice(names), default=names[0],
                        show_default=True, **kwargs)

