"""Options every command shares: ``-C DIR``, ``-t/--target``, ``--var``, ``--debug``.

They are placed after the command name (``reconciler plan -C examples -t prod``), so each
command takes them itself through ``@common_options``.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from reconciler.cli import completion
from reconciler.loading.project import Project
from reconciler.redaction import install_log_redaction

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
