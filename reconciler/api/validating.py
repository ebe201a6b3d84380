"""Load, then validate: the composition of the loading and validation layers.

``load_project`` is what plan and apply use: it returns only a fully valid project and
raises ``ManifestError`` (with every located issue) otherwise. ``validate_project`` and
``validate_paths`` never raise on bad manifests (the report holds the issues); they raise
``ProjectError`` only when the project file is missing or the target unknown, and
``ManifestError`` when ``reconciler.yaml`` itself is invalid (that error carries its issues).
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from reconciler import errors
from reconciler.loading import project as project_loading
from reconciler.loading.project import LoadedEndpoint, Project, ProjectParts
from reconciler.loading.securables import LoadedSecurable
from reconciler.model import load_rules
from reconciler.model.diagnostics import Issue, ValidationReport
from reconciler.model.project import Policy
from reconciler.redaction import redact_text, register_plaintext_values, secret_run
from reconciler.validation import engine, unity_rules

# Manifest warnings (a deprecated field) go to their own logger, so that continuous mode can
# show each once rather than every cycle (cli/reconcile_cmd.py filters on the name).
MANIFEST_LOGGER = "reconciler.manifests"
log = logging.getLogger(MANIFEST_LOGGER)


def semantic_issues(
    endpoints: Sequence[LoadedEndpoint],
    securables: Sequence[LoadedSecurable],
    policy: Policy | None,
) -> list[Issue]:
    """What the validation rules find in what loaded (the loader reported the rest)."""
    return [*engine.validate_endpoints(endpoints, policy),
            *unity_rules.validate(securables, endpoints, policy)]


def register_secrets(endpoints: Sequence[LoadedEndpoint], securables: Sequence[LoadedSecurable],
                     env: Mapping[str, str] | None) -> None:
    """The plaintext values of what loaded, registered in the current run before any output
    (a literal as it is, a ``${env.NAME}`` reference as the variable's value)."""
    environ = os.environ if env is None else env
    for item in endpoints:
        register_plaintext_values(item.endpoint.to_wire(), environ)
    for securable in securables:
        register_plaintext_values(securable.securable.to_wire(), environ)


def _masked(issues: Sequence[Issue]) -> tuple[Issue, ...]:
    """Issues whose messages show no secret of the run (the report outlives the run)."""
    return tuple(dataclasses.replace(i, message=redact_text(i.message)) for i in issues)


def load_project_parts(
    root: Path,
    target: str | None = None,
    cli_vars: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
    paths: Sequence[str | Path] | None = None,
) -> ProjectParts:
    """Load the project and validate everything, returning issues instead of raising.

    Runs in the current secret run (a new one outside any), which becomes the project's
    ``secrets``: its plaintext values are masked in the output of everything done with it.
    """
    with secret_run() as run:
        parts = project_loading.read_project_parts(root, target, cli_vars, env, paths)
        project = dataclasses.replace(parts.project, secrets=run)
        register_secrets(project.endpoints, project.securables, env)
        found = semantic_issues(project.endpoints, project.securables, project.file.policy)
        return ProjectParts(project, _masked((*parts.issues, *found)), parts.files)


def load_project(
    root: Path,
    target: str | None = None,
    cli_vars: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
    *,
    allow_no_manifests: bool = False,
) -> Project:
    """The valid project at ``root`` for ``target``; raises if anything is invalid.

    ``allow_no_manifests``: a ``manifests:`` entry that matches no file yet (LOAD-007) is not
    an error (``import`` into a new project's empty folder).

    ``ManifestError`` carries every error (warnings are logged, they do not stop plan or
    apply); ``ProjectError`` means reconciler.yaml is missing or the target is unknown.
    """
    parts = load_project_parts(root, target, cli_vars, env)
    problems = [i for i in parts.issues if i.severity == "error"
                and not (allow_no_manifests and i.rule == load_rules.NO_MANIFESTS.id)]
    for warning in (i for i in parts.issues if i.severity == "warning"):
        log.warning("%s: %s %s", warning.location, warning.rule, warning.message)
    if problems:
        ordered = tuple(sorted(problems, key=Issue.sort_key))
        count = f"{len(ordered)} error{'s' if len(ordered) != 1 else ''}"
        lines = [f"  {i.location or '-'}: {i.rule} {i.message}" for i in ordered[:5]]
        more = ["  ... (run `reconciler validate` for all)"] if len(ordered) > 5 else []
        raise errors.ManifestError(
            "\n".join([f"{count} in the manifests:", *lines, *more]), ordered
        )
    return parts.project


def validate_project(
    root: Path,
    *,
    target: str | None = None,
    cli_vars: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
    paths: Sequence[str | Path] | None = None,
    strict: bool = False,
) -> ValidationReport:
    """Validate the project at ``root`` (or only ``paths``, with its variables and policy)."""
    parts = load_project_parts(root, target, cli_vars, env, paths)
    names = [e.endpoint.name for e in parts.project.endpoints]
    services = [s.securable.name for s in parts.project.securables]
    return ValidationReport.build(parts.issues, parts.files, names, strict, services)


def validate_paths(
    paths: Sequence[str | Path],
    *,
    variables: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
    policy: Policy | None = None,
    strict: bool = False,
) -> ValidationReport:
    """Validate manifest files, folders or globs with no project file (default policy)."""
    with secret_run():
        result = project_loading.load_documents(paths, variables=variables, env=env)
        register_secrets(result.endpoints, result.securables, env)
        issues = [*result.issues, *semantic_issues(result.endpoints, result.securables, policy)]
        names = [e.endpoint.name for e in result.endpoints]
        services = [s.securable.name for s in result.securables]
        return ValidationReport.build(_masked(issues), result.files, names, strict, services)


def project_file_exists(root: Path) -> bool:
    return (root / project_loading.PROJECT_FILE).is_file()
