"""``reconciler show PLANFILE``: render a saved plan (``plan --out``) without a project.

The reviewer's view of what ``apply PLANFILE`` would do, in the formats ``plan`` has: text
(the default), JSON (the file's contract, re-rendered) or Markdown (the pull-request comment,
bounded in size). Nothing is contacted: the file alone is read.
"""

from __future__ import annotations

from pathlib import Path

import click

from reconciler import errors
from reconciler.cli.plan_cmd import colour, render_plan
from reconciler.planning.serialize import plan_from_json


def read_plan_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise errors.PlanError(f"{path} is not a plan file: not UTF-8 text") from exc
    except OSError as exc:
        raise errors.PlanError(f"cannot read the plan file {path}: {exc.strerror}") from exc


@click.command("show")
@click.argument("planfile", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]),
              default="text", show_default=True)
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
    click.echo(render_plan(plan, fmt, colour()), nl=fmt == "text")
    return 0


COMMANDS: list[click.Command] = [show_command]
