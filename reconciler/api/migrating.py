"""``reconciler migrate``: Unity AI Gateway manifests for a project's external-model serving
endpoints (the conversion is ``planning.migration``; this module selects and names files;
the CLI writes them).

The endpoints' manifests are left alone: the old endpoints keep serving until their
manifests are removed and ``apply --prune`` retires them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler import errors
from reconciler.loading.project import Project
from reconciler.planning.migration import Migration, migrate


@dataclass(frozen=True)
class MigrationResult:
    migration: Migration
    files: tuple[tuple[str, tuple[dict[str, Any], ...]], ...]  # file name -> documents


def migrate_project(project: Project, catalog: str, schema: str,
                    select: tuple[str, ...]) -> MigrationResult:
    missing = sorted(set(select) - {e.endpoint.name for e in project.endpoints})
    if missing:
        raise errors.ProjectError(f"no endpoint manifest named {', '.join(missing)}")
    endpoints = [e.endpoint for e in project.endpoints
                 if not select or e.endpoint.name in select]
    result = migrate(endpoints, catalog, schema)
    files = ([("providers.yaml", tuple(result.providers))] if result.providers else []) + [
        (f"{s['name'].split('.')[-1]}.yaml", (s,)) for s in result.services]
    return MigrationResult(result, tuple(files))
