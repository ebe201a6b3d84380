"""``reconciler init [DIR]``: scaffold a project that validates and applies at once, and
``reconciler migrate-ownership``: give an existing project its own ``project_id``.

``init`` writes ``reconciler.yaml`` (the embedded local target, so ``apply`` works with no
workspace, and a random ``project_id``: docs/ownership.md), one example manifest, and the
JSON Schemas the files point their editors at (``# yaml-language-server: $schema=...``), the
ones of this installed version. Nothing is ever overwritten: if any of the files exists,
nothing is written at all.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

import click

from reconciler import errors
from reconciler.loading.project import PROJECT_FILE, read_project_file
from reconciler.model.vocabulary import EXAMPLE_PROJECT_ID
from reconciler.validation import json_schema

PROJECT_YAML = """\
# yaml-language-server: $schema=schemas/{project_schema}
# The project: which manifests, which targets (workspaces), variables and policy.
# `reconciler validate` checks it offline; `reconciler apply` converges the default target.
project: {name}
project_id: "{project_id}"  # this repository's own: ownership of what apply writes
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
            name=name, project_id=new_project_id(),
            project_schema=json_schema.PROJECT_SCHEMA_FILE),
        root / "endpoints" / "example.yaml": EXAMPLE_YAML.format(
            name=name, endpoint_schema=json_schema.ENDPOINT_SCHEMA_FILE),
        root / "schemas" / json_schema.PROJECT_SCHEMA_FILE: json_schema.dumps(
            json_schema.project_schema()),
        root / "schemas" / json_schema.ENDPOINT_SCHEMA_FILE: json_schema.dumps(
            json_schema.endpoint_schema()),
    }


def new_project_id() -> str:
    """A random project id: 16 hex digits (64 bits), so two repositories never share one."""
    return secrets.token_hex(8)


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


_PROJECT_LINE = re.compile(r"^project:[^\n]*\n", re.MULTILINE)
_ID_LINE = re.compile(r"^project_id:[^\n]*\n", re.MULTILINE)


def with_project_id(text: str, project_id: str) -> str | None:
    """``text`` (reconciler.yaml) with ``project_id`` set: the examples' placeholder line
    replaced, or a line added after the top-level ``project:`` line. None: no such line
    (flow style, say): the user adds it by hand."""
    # Quoted: a random hex id can be all digits (about 1 draw in 1,845), which YAML reads as
    # a number, not the string the project file requires.
    line = f'project_id: "{project_id}"\n'
    if _ID_LINE.search(text):
        return _ID_LINE.sub(line, text, count=1)
    found = _PROJECT_LINE.search(text)
    if found is None:
        return None
    return text[:found.end()] + line + text[found.end():]


@click.command("migrate-ownership")
@click.option("-C", "--project-dir", "project_dir", default=Path("."), show_default=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="The project folder (holding reconciler.yaml).")
def migrate_ownership_command(project_dir: Path) -> int:
    """Give the project its own random project_id in reconciler.yaml (docs/ownership.md).

    Only when it has none, or the examples' placeholder; an id of its own is never changed.
    Nothing is sent anywhere: the endpoints tagged with the project name alone are adopted by
    the next `apply --adopt-legacy-ownership` of this repository.
    """
    project, _raw = read_project_file(project_dir)
    path = project_dir / PROJECT_FILE
    if project.project_id is not None and project.project_id != EXAMPLE_PROJECT_ID:
        click.echo(f"{path} already has its own project_id: {project.project_id} (unchanged)",
                   err=True)
        return 0
    project_id = new_project_id()
    original = path.read_text(encoding="utf-8")
    updated = with_project_id(original, project_id)
    if updated is None:
        raise errors.ProjectError(f"{path} has no top-level `project:` line to put the id "
                                  f"after: add `project_id: \"{project_id}\"` yourself")
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(updated, encoding="utf-8")
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise errors.ProjectError(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        read_project_file(project_dir)
    except (errors.ProjectError, errors.ManifestError):
        path.write_text(original, encoding="utf-8")  # leave the file as it was
        raise errors.ProjectError(f"adding project_id made {path} invalid; it is unchanged: "
                                  f"add `project_id: \"{project_id}\"` yourself") from None
    click.echo(f"wrote project_id: {project_id} into {path}. Commit it, and never copy it "
               "into another repository.", err=True)
    click.echo("Next: `reconciler plan --adopt-legacy-ownership` lists the endpoints tagged "
               f"with project {project.project!r} alone that this repository declares; "
               "`reconciler apply --adopt-legacy-ownership` adds the id to them, from this "
               "repository only (docs/ownership.md).", err=True)
    return 0


COMMANDS: list[click.Command] = [init_command, migrate_ownership_command]
