"""Library entry points for offline validation: load, check, and report every issue.

These never raise on bad manifests (the report holds the issues); they raise
``ProjectError`` only when the project file is missing or the target unknown, and
``ManifestError`` when ``reconciler.yaml`` itself is invalid (that error carries its issues).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from reconciler.loading import project as project_loading
from reconciler.model.project import Policy
from reconciler.validation import engine, unity_rules
from reconciler.validation.issues import ValidationReport


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
    parts = project_loading.load_project_parts(root, target, cli_vars, env, paths)
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
    result = project_loading.load_documents(paths, variables=variables, env=env)
    issues = [*result.issues, *engine.validate_endpoints(result.endpoints, policy),
              *unity_rules.validate(result.securables, result.endpoints, policy)]
    names = [e.endpoint.name for e in result.endpoints]
    services = [s.securable.name for s in result.securables]
    return ValidationReport.build(issues, result.files, names, strict, services)


def project_file_exists(root: Path) -> bool:
    return (root / project_loading.PROJECT_FILE).is_file()
