"""Library entry points for drift and adoption: ``drift`` and ``import``.

``drift`` is a plan, filtered to what moved on the live side behind the repository's back
(changes whose ``cause`` is ``drift``, see reconciler.diff.applied_marks): a repository change
waiting to be applied is not drift. ``import`` brings existing live endpoints under
management: it writes the same clean manifests ``export`` does into the project's first
manifest folder; the next ``plan`` then only adds the ownership tag.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler import errors
from reconciler.api import event_loop, permissions, service_gitops, workflow
from reconciler.api.manifest_files import check_endpoint_name, manifest_files
from reconciler.diff.export import live_to_manifest
from reconciler.diff.permissions import Grants
from reconciler.loading.project import Project
from reconciler.model.live import LiveEndpoint
from reconciler.model.vocabulary import is_system_endpoint
from reconciler.planning.drift import DriftReport, drift_report
from reconciler.registry import RegistryClient, open_registry

# -- drift -----------------------------------------------------------------------------------


def drift(project: Project, settings: workflow.PlanSettings | None = None) -> DriftReport:
    """Read-only: what changed on the target behind the repository's back."""
    return drift_report(workflow.plan(project, settings))


# -- import ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportSettings:
    names: tuple[str, ...]
    force: bool = False  # overwrite an existing file
    parallelism: int = 8


@dataclass(frozen=True)
class ImportedManifest:
    name: str
    path: Path  # where to write it
    manifest: dict[str, Any]
    overwrites: bool = False


@dataclass(frozen=True)
class ImportPlan:
    folder: Path
    manifests: list[ImportedManifest] = field(default_factory=list)


def import_folder(project: Project) -> Path:
    """The first folder listed in the project's ``manifests`` (created when missing)."""
    for entry in project.file.manifests:
        if set(entry) & set("*?["):
            continue
        path = Path(entry) if os.path.isabs(entry) else project.root / entry
        if path.is_dir() or entry.endswith(("/", os.sep)) or (
            not path.exists() and not path.suffix
        ):
            return path
    raise errors.ProjectError(
        "import writes into the first folder listed in `manifests:` of reconciler.yaml and "
        f"there is none ({', '.join(project.file.manifests) or 'empty'}); add one, e.g. "
        "`manifests: [endpoints/]`"
    )


def plan_import(project: Project, live: Mapping[str, LiveEndpoint],
                settings: ImportSettings,
                grants: Mapping[str, Grants] | None = None) -> ImportPlan:
    """Where each live endpoint's manifest goes; refuses what import must not do (reads
    only whether the files exist). ``grants``: each endpoint's direct grants, written as
    its ``permissions``."""
    for name in settings.names:
        check_endpoint_name(name, "endpoint")
    managed = {e.endpoint.name: e.location.file for e in project.endpoints}
    taken = sorted(n for n in settings.names if n in managed)
    if taken:
        raise errors.PlanError(
            "already managed by a manifest: "
            + ", ".join(f"{n} ({managed[n]})" for n in taken)
            + "; edit that manifest instead"
        )
    missing = sorted(n for n in settings.names if n not in live)
    if missing:
        raise errors.PlanError(
            f"no live endpoint named {', '.join(map(repr, missing))} on target "
            f"{project.target_name!r}"
        )
    folder = import_folder(project)
    files = manifest_files(folder, list(dict.fromkeys(settings.names)), force=settings.force,
                           origin="endpoint")
    return ImportPlan(folder, [
        ImportedManifest(f.name, f.path,
                         live_to_manifest(live[f.name], (grants or {}).get(f.name)), f.exists)
        for f in files
    ])


async def import_with(
    project: Project, registry: RegistryClient, settings: ImportSettings
) -> ImportPlan:
    """Endpoints by name, Unity AI Gateway services by ``catalog.schema.id`` (with dots)."""
    names = tuple(n for n in settings.names if not service_gitops.is_service_name(n))
    service_names = [n for n in settings.names if service_gitops.is_service_name(n)]
    services = await service_gitops.import_services(project, registry, service_names) \
        if service_names else []
    if names:
        live = await workflow.fetch_live(registry, set(names), owner=None,
                                         parallelism=settings.parallelism)
        grants = await permissions.grants_of_all(
            registry, live, [n for n in live if not is_system_endpoint(n)],
            parallelism=settings.parallelism)
        planned = plan_import(project, live, dataclasses.replace(settings, names=names),
                              grants)
    else:
        planned = ImportPlan(import_folder(project))
    if not services:
        return planned
    files = manifest_files(planned.folder, [s.name for s in services], force=settings.force,
                           origin="service", check=service_gitops.check_service_name)
    return ImportPlan(planned.folder, planned.manifests + [
        ImportedManifest(f.name, f.path, s.manifest, f.exists)
        for f, s in zip(files, services, strict=True)])


def prepare_import(project: Project, settings: ImportSettings) -> ImportPlan:
    """Read the named live endpoints and decide where their manifests go (writes nothing)."""
    if not settings.names:
        raise errors.PlanError("name at least one live endpoint to import")
    for name in settings.names:  # before any call: the names become file names
        if service_gitops.is_service_name(name):
            service_gitops.check_service_name(name, "service")
        else:
            check_endpoint_name(name, "endpoint")

    async def run() -> ImportPlan:
        async with open_registry(project, parallelism=settings.parallelism) as registry:
            return await import_with(project, registry, settings)

    return event_loop.run(run, project.secrets)


def selected_names(names: Sequence[str]) -> tuple[str, ...]:
    return workflow.selected(names)
