"""``reconciler migrate``: external-model endpoints -> Unity AI Gateway manifests."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler import errors
from reconciler.api import migrating, workflow
from reconciler.api.validating import load_project
from reconciler.cli.options import common_options, parse_vars
from reconciler.render import manifest_yaml

HEADER = ("# Written by `reconciler migrate` from the external-model serving endpoints;\n"
          "# see docs/migrate.md for what was not carried over.\n")


@click.command("migrate")
@common_options
@click.option("--catalog", required=True, help="Catalog of the new services.")
@click.option("--schema", "schema_name", required=True, help="Schema of the new services.")
@click.option("--select", multiple=True, metavar="NAME",
              help="Only these endpoints (repeat or comma-separate).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Folder for the manifests [default: PROJECT/unity-gateway].")
def migrate_command(project_dir: Path, target: str | None, cli_vars: tuple[str, ...],
                    catalog: str, schema_name: str, select: tuple[str, ...],
                    out_dir: Path | None) -> int:
    """Write a ModelProviderService per provider credential and a ModelService per
    external-model endpoint (the endpoints themselves are left alone)."""
    project = load_project(project_dir, target, parse_vars(cli_vars))
    out = out_dir or project.root / "unity-gateway"
    result = migrating.migrate_project(project, catalog, schema_name,
                                       workflow.selected(select))
    migration = result.migration
    try:
        out.mkdir(parents=True, exist_ok=True)
        for filename, documents in result.files:
            (out / filename).write_text(HEADER + manifest_yaml.to_yaml_documents(documents),
                                        encoding="utf-8")
            click.echo(f"wrote {out / filename}")
    except OSError as exc:
        raise errors.ProjectError(f"cannot write to {out}: {exc.strerror or exc}") from exc
    click.echo(f"{len(migration.providers)} provider service(s), {len(migration.services)} "
               "model service(s).")
    if migration.uc_secrets:
        click.echo("Create these Unity Catalog secrets (from the Databricks secret scopes):")
        for name, scope_key in sorted(migration.uc_secrets.items()):
            click.echo(f"  {name}  <- {{{{secrets/{scope_key}}}}}")
    if migration.notes:
        click.echo("Not carried over:")
        for note in migration.notes:
            click.echo(f"  {note.endpoint}: {note.field}: {note.message}")
    click.echo(f"Add {out.name}/ to `manifests:` in reconciler.yaml, then plan and apply.")
    return 0


COMMANDS: list[click.Command] = [migrate_command]
