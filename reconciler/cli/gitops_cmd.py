"""``reconciler drift`` and ``reconciler import``: drift detection and adoption.

``drift`` exits 2 when something was changed outside the repository, 0 when nothing was, 1 on
error (DESIGN.md section 3). ``import`` writes manifests for existing live endpoints into the
project; the next ``apply`` tags them as ours.
"""

from __future__ import annotations

from pathlib import Path

import click

from reconciler import errors
from reconciler.api import gitops, workflow
from reconciler.cli.options import (
    common_options,
    echo_report,
    format_option,
    load_cli_project,
    max_rps_option,
    parallelism_option,
    say_env_references,
    select_option,
)
from reconciler.render import formats, manifest_yaml

IMPORT_HEADER = (
    "# Imported from the live endpoint by `reconciler import`; the next apply tags it as\n"
    "# managed by this project.\n"
)
SERVICE_IMPORT_HEADER = (
    "# Imported from the live service by `reconciler import`; the next apply writes this\n"
    "# project's ownership marker into its comment.\n"
)


@click.command("drift")
@common_options
@max_rps_option
@format_option(formats.DRIFT)
@select_option
@parallelism_option
@click.option("--fail-on-unmanaged", is_flag=True,
              help="Exit 2 also for settings changed outside the repository in blocks the "
                   "manifests do not manage (listed either way; apply leaves them).")
def drift_command(project_dir: Path, target: str | None, cli_vars: tuple[str, ...], fmt: str,
                  select: tuple[str, ...], parallelism: int, fail_on_unmanaged: bool) -> int:
    """List only what was changed on the target outside the repository (exit 2 if any)."""
    project = load_cli_project(project_dir, target, cli_vars)
    report = gitops.drift(project, workflow.PlanSettings(
        select=workflow.selected(select), parallelism=parallelism))
    echo_report(formats.DRIFT, fmt, report)
    if report.has_drift or (fail_on_unmanaged and report.has_unmanaged):
        return 2
    return 0


@click.command("import")
@common_options
@max_rps_option
@click.argument("names", nargs=-1, required=True, metavar="NAME...")
@click.option("--force", is_flag=True, help="Overwrite an existing manifest file.")
@parallelism_option
def import_command(project_dir: Path, target: str | None, cli_vars: tuple[str, ...],
                   names: tuple[str, ...], force: bool, parallelism: int) -> int:
    """Bring live endpoints (NAME) and Unity AI Gateway services (catalog.schema.id) under
    management: write NAME.yaml manifests into the project."""
    # Import is how a project starts: its manifests folder may still be empty.
    project = load_cli_project(project_dir, target, cli_vars, allow_no_manifests=True)
    planned = gitops.prepare_import(project, gitops.ImportSettings(
        names=workflow.selected(names), force=force, parallelism=parallelism))
    say_env_references([item.manifest for item in planned.manifests])
    try:
        planned.folder.mkdir(parents=True, exist_ok=True)
        for item in planned.manifests:
            header = SERVICE_IMPORT_HEADER if "kind" in item.manifest else IMPORT_HEADER
            item.path.write_text(header + manifest_yaml.to_yaml(item.manifest),
                                 encoding="utf-8")
            verb = "overwrote" if item.overwrites else "wrote"
            click.echo(f"{verb} {item.path}", err=True)
    except OSError as exc:
        raise errors.ReconcilerError(
            f"cannot write manifests into {planned.folder}: {exc}") from exc
    click.echo("Review the files, then `reconciler plan`: it should only add the ownership "
               "tag (a service: the marker in its comment); `reconciler apply` makes them "
               "ours.", err=True)
    return 0


COMMANDS: list[click.Command] = [drift_command, import_command]
