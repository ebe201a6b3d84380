"""``reconciler test``: prove the selected endpoints answer (one smoke query each).

Exit 0 when every query passed (skipped ones do not fail a run), 1 otherwise.
"""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.api import smoke, workflow
from reconciler.cli.options import (
    common_options,
    echo_report,
    format_option,
    load_cli_project,
    parallelism_option,
    parse_duration,
)
from reconciler.render import formats


@click.command("test")
@common_options
@click.option("--select", "select", multiple=True, metavar="NAME",
              help="Only these endpoints or model services (catalog.schema.id; repeatable, or "
                   "comma-separated).")
@format_option(formats.SMOKE)
@click.option("--timeout", default="60s", show_default=True, callback=parse_duration,
              help="How long one query may take (30s, 2m).")
@click.option("--each-entity", is_flag=True,
              help="Query every served entity on its own (served-models route).")
@parallelism_option
def test_command(project_dir: Path, target: str | None, cli_vars: tuple[str, ...],
                 select: tuple[str, ...], fmt: str, timeout: float, each_entity: bool,
                 parallelism: int) -> int:
    """Send one small query to each endpoint and model service; check the answer's shape."""
    project = load_cli_project(project_dir, target, cli_vars)
    report = smoke.smoke_test(project, smoke.SmokeSettings(
        select=workflow.selected(select), each_entity=each_entity, timeout=timeout,
        parallelism=parallelism))
    echo_report(formats.SMOKE, fmt, report)
    return 0 if report.ok else 1


COMMANDS: list[click.Command] = [test_command]
