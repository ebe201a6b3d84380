"""``reconciler show PLANFILE``: render a saved plan (``plan --out``) without a project.

The reviewer's view of what ``apply PLANFILE`` would do, in the formats ``plan`` has: text
(the default), JSON (the file's contract, re-rendered) or Markdown (the pull-request comment,
bounded in size). Nothing is contacted: the file alone is read.
"""

from __future__ import annotations

from pathlib import Path

import click

from reconciler import errors
from reconciler.cli.options import echo_report, format_option
from reconciler.planning.serialize import plan_from_json
from reconciler.render import formats


def read_plan_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise errors.PlanError(f"{path} is not a plan file: not UTF-8 text") from exc
    except OSError as exc:
        raise errors.PlanError(f"cannot read the plan file {path}: {exc.strerror}") from exc


@click.command("show")
@click.argument("planfile", type=click.Path(dir_okay=False, path_type=Path))
@format_option(formats.PLAN)
def show_command(planfile: Path, fmt: str) -> int:
    """Render a saved plan (from `reconciler plan --out FILE`); reads only the file."""
    text = read_plan_file(planfile)
    try:
        plan = plan_from_json(text)
    except errors.PlanError as exc:
        raise errors.PlanError(f"{planfile}: {exc}") from exc
    if fmt == "text":
        made = f", made {plan.created_at}" if plan.created_at else ""
        options = [flag for flag, on in (("--prune", plan.prune),
                                         ("--allow-recreate", plan.allow_recreate)) if on]
        options += [f"--select {name}" for name in plan.select]
        how = f" with {' '.join(options)}" if options else ""
        click.echo(f"Saved plan {planfile}{made}{how}", err=True)
    echo_report(formats.PLAN, fmt, plan)
    return 0


COMMANDS: list[click.Command] = [show_command]
