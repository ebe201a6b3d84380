"""``reconciler validate`` and ``reconciler schema``: offline checks, no credentials."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler import errors
from reconciler.api import validating
from reconciler.cli.options import common_options, echo_report, format_option, parse_vars
from reconciler.model.diagnostics import ValidationReport
from reconciler.planning import schema as plan_schema
from reconciler.render import formats
from reconciler.validation import catalog, json_schema


@click.command("validate")
@common_options
@click.argument("paths", nargs=-1)
@format_option(formats.ISSUES)
@click.option("--strict", is_flag=True, help="Warnings fail too.")
@click.option("--list-rules", is_flag=True, help="List every rule ID with its one-line doc.")
def validate(
    project_dir: Path,
    target: str | None,
    cli_vars: tuple[str, ...],
    paths: tuple[str, ...],
    fmt: str,
    strict: bool,
    list_rules: bool,
) -> int:
    """Check manifests offline; every problem as FILE:LINE:COL: error RULE-ID message.

    With no PATHS, checks the project's manifests. PATHS (files, folders, globs, relative
    to the current folder) are checked instead, with the project's variables and policy
    when -C DIR holds a reconciler.yaml. Exit 0 when clean, 1 otherwise.
    """
    if list_rules:
        echo_report(formats.RULES, fmt, catalog.ALL_RULES)
        return 0
    variables = parse_vars(cli_vars)
    try:
        if validating.project_file_exists(project_dir) or not paths:
            report = validating.validate_project(
                project_dir, target=target, cli_vars=variables, paths=paths or None, strict=strict
            )
        else:
            report = validating.validate_paths(paths, variables=variables, strict=strict)
    except errors.ManifestError as exc:  # reconciler.yaml itself is invalid: show its issues
        if not exc.issues:
            raise
        report = ValidationReport.build(exc.issues, strict=strict)
    echo_report(formats.ISSUES, fmt, report)
    return 0 if report.ok else 1


@click.command("schema")
@click.option("--project", "project_file", is_flag=True, help="The reconciler.yaml schema.")
@click.option("--plan", "plan_file", is_flag=True, help="The plan JSON schema (plan --out).")
@click.option("--unity", "unity_file", is_flag=True,
              help="The ModelProviderService / ModelService manifest schema.")
def schema(project_file: bool, plan_file: bool, unity_file: bool) -> None:
    """Print the manifest JSON Schema (the one committed under schemas/)."""
    if unity_file:
        click.echo(json_schema.dumps(json_schema.unity_schema()), nl=False)
        return
    if plan_file:
        click.echo(plan_schema.plan_schema_text(), nl=False)
        return
    document = json_schema.project_schema() if project_file else json_schema.endpoint_schema()
    click.echo(json_schema.dumps(document), nl=False)


COMMANDS: list[click.Command] = [validate, schema]
