"""``reconciler init [DIR]``: scaffold a project that validates and applies at once.

It writes ``reconciler.yaml`` (the embedded local target, so ``apply`` works with no
workspace), one example manifest, and the JSON Schemas the files point their editors at
(``# yaml-language-server: $schema=...``), the ones of this installed version. Nothing is
ever overwritten: if any of the files exists, nothing is written at all.
"""

from __future__ import annotations

from pathlib import Path

import click

from reconciler import errors
from reconciler.validation import json_schema

PROJECT_YAML = """\
# yaml-language-server: $schema=schemas/{project_schema}
# The project: which manifests, which targets (workspaces), variables and policy.
# `reconciler validate` checks it offline; `reconciler apply` converges the default target.
project: {name}
manifests: [endpoints/]
default_target: local
variables:
  team: {name}
targets:
  local: {{local: .reconciler/local.db}}     # embedded registry: no workspace, no credentials
  # prod:
  #   host: https://<workspace>.cloud.databricks.com
  #   token_env: PROD_DATABRICKS_TOKEN     # or profile: NAME, or auth: sdk (unified auth)
policy:
  required_tags: [team]
  plaintext_secrets: forbid                # provider keys come from secret scopes only
"""

EXAMPLE_YAML = """\
# yaml-language-server: $schema=../schemas/{endpoint_schema}
# One YAML document per endpoint: the body of POST /api/2.0/serving-endpoints.
name: {name}-chat
tags: {{team: "${{var.team}}"}}
config:
  served_entities:
    - name: gpt-4o-mini
      external_model:
        name: gpt-4o-mini
        provider: openai
        task: llm/v1/chat
        openai_config:
          openai_api_key: "{{{{secrets/my_scope/openai_api_key}}}}"
ai_gateway:
  rate_limits:
    - {{key: user, renewal_period: minute, calls: 20}}
"""


def scaffold(root: Path) -> dict[Path, str]:
    """The files ``init`` writes into ``root``, with their content."""
    name = _project_name(root)
    return {
        root / "reconciler.yaml": PROJECT_YAML.format(
            name=name, project_schema=json_schema.PROJECT_SCHEMA_FILE),
        root / "endpoints" / "example.yaml": EXAMPLE_YAML.format(
            name=name, endpoint_schema=json_schema.ENDPOINT_SCHEMA_FILE),
        root / "schemas" / json_schema.PROJECT_SCHEMA_FILE: json_schema.dumps(
            json_schema.project_schema()),
        root / "schemas" / json_schema.ENDPOINT_SCHEMA_FILE: json_schema.dumps(
            json_schema.endpoint_schema()),
    }


def _project_name(root: Path) -> str:
    """The folder's name as an endpoint-name prefix: lower case, letters, digits, dashes."""
    raw = root.resolve().name.lower()
    cleaned = "".join(c if c.isalnum() else "-" for c in raw).strip("-")
    return cleaned[:40].strip("-") or "my-project"


@click.command("init")
@click.argument("directory", required=False, default=".",
                type=click.Path(file_okay=False, path_type=Path))
def init_command(directory: Path) -> int:
    """Scaffold a project in DIRECTORY (default: here); never overwrites anything."""
    files = scaffold(directory)
    existing = [path for path in files if path.exists() or path.is_symlink()]
    if existing:
        shown = ", ".join(str(p) for p in existing)
        raise errors.ProjectError(f"not overwriting {shown}: init writes only into a "
                                  "folder without these files (nothing was written)")
    try:
        for path, content in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("x", encoding="utf-8") as handle:  # "x": never replace a file
                handle.write(content)
            click.echo(f"wrote {path}", err=True)
    except OSError as exc:
        raise errors.ProjectError(f"cannot write the project into {directory}: {exc}") from exc
    where = "" if directory == Path(".") else f" -C {directory}"
    click.echo(f"Next: reconciler validate{where}, then reconciler apply{where} (the embedded "
               "local registry); add .reconciler/ to .gitignore.", err=True)
    return 0


COMMANDS: list[click.Command] = [init_command]
