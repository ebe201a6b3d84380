"""Export and import of Unity AI Gateway services (the I/O around the pure
``planning.service_export``): which live services, their grants, and where files go.

Names of three dotted parts are service full names (``catalog.schema.id``); endpoint names
never hold a dot, so ``export --select`` and ``import`` take both kinds in one list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reconciler import errors
from reconciler.loading.project import Project
from reconciler.model.live import Owner
from reconciler.model.unity import NAME_PART
from reconciler.planning.service_export import ServiceEnvReference, service_manifest
from reconciler.planning.service_plan import COLLECTIONS, owner_of
from reconciler.registry import unity_client
from reconciler.registry.client import RegistryClient


def is_service_name(name: str) -> bool:
    """``catalog.schema.id`` (three parts, none with '/' or spaces); anything else is taken
    as an endpoint name and checked as one (so ``../x`` is refused as an endpoint name)."""
    parts = name.split(".")
    return len(parts) == 3 and all(NAME_PART.match(p) for p in parts)


def check_service_name(name: str, origin: str) -> None:
    """Refuse a name that is not ``catalog.schema.id`` (it becomes a file name)."""
    parts = name.split(".")
    if len(parts) != 3 or not all(NAME_PART.match(p) for p in parts) or "\0" in name:
        raise errors.PlanError(f"{origin} {name!r} is not a service name catalog.schema.id "
                               "(three parts of 1 to 255 characters without '/' or spaces); "
                               "nothing was written")


def schema_parent(schema: str) -> str:
    """``main.genai`` or ``schemas/main.genai`` -> ``schemas/main.genai``."""
    bare = schema.removeprefix("schemas/")
    parts = bare.split(".")
    if len(parts) != 2 or not all(NAME_PART.match(p) for p in parts):
        raise errors.PlanError(f"--schema {schema!r} is not catalog.schema")
    return f"schemas/{bare}"


@dataclass(frozen=True)
class ExportedService:
    collection: str
    name: str  # catalog.schema.id
    manifest: dict[str, Any]
    references: tuple[ServiceEnvReference, ...] = ()


async def _exported(registry: RegistryClient, collection: str, live: dict[str, Any],
                    ) -> ExportedService:
    name = str(live.get("name", "")).removeprefix(collection + "/")
    grants = await unity_client.get_grants(registry, collection, name)
    manifest, refs = service_manifest(collection, live, grants)
    return ExportedService(collection, name, manifest, tuple(refs))


async def find_service(registry: RegistryClient, name: str,
                       ) -> tuple[str, dict[str, Any]] | None:
    """``(collection, live body)`` of the service named ``name``, of whichever kind."""
    for collection in COLLECTIONS.values():
        live = await unity_client.get_service(registry, collection, name)
        if live is not None:
            return collection, live
    return None


async def export_services(project: Project, registry: RegistryClient, *,
                          select: Sequence[str], all_: bool, schemas: Sequence[str],
                          ) -> list[ExportedService]:
    """The chosen live services as manifests: those named in ``select``; else every
    service (``all_``) or this project's (its comment marker) in ``schemas`` and the schemas
    the project's manifests use. Provider services first, then model and MCP services."""
    names = [n for n in select if is_service_name(n)]
    for name in names:
        check_service_name(name, "--select")
    chosen: list[tuple[str, dict[str, Any]]] = []
    if names:
        missing = []
        for name in names:
            found = await find_service(registry, name)
            if found is None:
                missing.append(name)
            else:
                chosen.append(found)
        if missing:
            raise errors.PlanError(f"no live service named {', '.join(map(repr, missing))}")
    elif not select:
        # Ours, and ours by name only (export reads; it may help adopting them).
        owner = Owner(project.file.project, project.file.project_id)
        parents = sorted({schema_parent(s) for s in schemas}
                         | {s.securable.parent() for s in project.securables})
        for collection in COLLECTIONS.values():
            for parent in parents:
                for live in await unity_client.list_services(registry, collection, parent):
                    if all_ or owner_of(live).ownership(owner) in ("ours", "legacy"):
                        chosen.append((collection, live))
    order = list(COLLECTIONS.values())
    chosen.sort(key=lambda c: (order.index(c[0]), str(c[1].get("name"))))
    return [await _exported(registry, collection, live) for collection, live in chosen]


async def import_services(project: Project, registry: RegistryClient,
                          names: Sequence[str]) -> list[ExportedService]:
    """The named live services as manifests, for ``import``; refuses a name a manifest
    already declares or no service has."""
    for name in names:
        check_service_name(name, "service")
    managed = {s.securable.name: s.location.file for s in project.securables}
    taken = sorted(n for n in names if n in managed)
    if taken:
        raise errors.PlanError("already managed by a manifest: " + ", ".join(
            f"{n} ({managed[n]})" for n in taken) + "; edit that manifest instead")
    out, missing = [], []
    for name in dict.fromkeys(names):
        found = await find_service(registry, name)
        if found is None:
            missing.append(name)
        else:
            out.append(await _exported(registry, *found))
    if missing:
        raise errors.PlanError(f"no live service named {', '.join(map(repr, missing))} on "
                               f"target {project.target_name!r}")
    return out
