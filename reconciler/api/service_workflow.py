"""Plan and apply of the Unity AI Gateway services of a project (the I/O around the pure
``planning.service_plan``): read the live services of the schemas the project uses, check
references, work out the secrets digest, and run the actions.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from typing import Any

from reconciler import errors
from reconciler.api.secrets import new_salt, resolve_values
from reconciler.applying.report import NOT_STARTED_NOTE, ApplyReport, EndpointOutcome
from reconciler.applying.service_apply import ResolveBody, apply_services
from reconciler.loading.interpolation import ENV_REF_PATTERN
from reconciler.loading.project import Project
from reconciler.model.live import Owner
from reconciler.model.unity import ModelService
from reconciler.planning.service_plan import (
    COLLECTIONS,
    DesiredService,
    LiveService,
    ServiceAction,
    attribute,
    owner_of,
    plan_services,
)
from reconciler.registry import unity_client
from reconciler.registry.client import RegistryClient
from reconciler.registry.permissions import current_user


def _plaintexts(obj: Any, path: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    if isinstance(obj, dict):
        for key, value in obj.items():
            where = f"{path}.{key}" if path else str(key)
            if key == "plaintext" and isinstance(value, str):
                out[where] = value
            else:
                out.update(_plaintexts(value, where))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            out.update(_plaintexts(value, f"{path}[{i}]"))
    return out


def secrets_digest(values: Mapping[str, str], salt: str) -> str:
    """``SALT.DIGEST``: a short salted digest of the plaintext values, kept in the comment
    marker so a rotated key plans as one (masked) change and an unchanged one does not."""
    raw = json.dumps(sorted(values.items()), separators=(",", ":"))
    digest = hashlib.sha256((salt + "\0" + raw).encode()).hexdigest()[:16]
    return f"{salt}.{digest}"


async def _live(registry: RegistryClient, project: Project,
                ) -> dict[tuple[str, str], LiveService]:
    parents = sorted({s.securable.parent() for s in project.securables})
    live: dict[tuple[str, str], LiveService] = {}
    for kind, collection in COLLECTIONS.items():
        for parent in parents:
            for body in await unity_client.list_services(registry, collection, parent):
                full = str(body.get("name", "")).removeprefix(collection + "/")
                live[(kind, full)] = LiveService(body)
    wanted_grants = {(s.securable.kind, s.securable.name) for s in project.securables
                     if s.securable.grants is not None}
    for key in wanted_grants & set(live):
        grants = await unity_client.get_grants(registry, COLLECTIONS[key[0]], key[1])
        live[key] = LiveService(live[key].body, grants)
    return live


async def _check_references(registry: RegistryClient, project: Project,
                            live: Mapping[tuple[str, str], LiveService]) -> None:
    """A referenced provider service must be in the project or already in the workspace."""
    known = {s.securable.name for s in project.securables if s.securable.kind ==
             "ModelProviderService"} | {n for k, n in live if k == "ModelProviderService"}
    for item in project.securables:
        service = item.securable
        if not isinstance(service, ModelService):
            continue
        routing = service.config.routing
        dests = routing.destinations + ((routing.fallback.destinations or [])
                                        if routing.fallback else [])
        for dest in dests:
            ext = dest.external_model_config
            if ext is None:
                continue
            ref = ext.model_provider_service.removeprefix("model-provider-services/")
            if ref in known:
                continue
            if await unity_client.get_service(registry, "model-provider-services", ref):
                known.add(ref)
                continue
            raise errors.PlanError(
                f"{item.location}: {service.name} destination {dest.name!r} references "
                f"model-provider-services/{ref}, which is neither in the project nor in the "
                "workspace")


async def plan_services_with(project: Project, registry: RegistryClient, *, prune: bool,
                             select: tuple[str, ...], env: Mapping[str, str],
                             adopt_legacy_ownership: bool = False) -> list[ServiceAction]:
    if not project.securables and not prune:
        if any("." in n for n in select):
            raise errors.PlanError("--select names a service (catalog.schema.id) but the "
                                   "project has no service manifests: "
                                   + ", ".join(n for n in select if "." in n))
        return []
    live = await _live(registry, project)
    named = {s.securable.name for s in project.securables} | {n for _, n in live}
    unknown = sorted(n for n in select if "." in n and n not in named)
    if unknown:
        raise errors.PlanError("--select names no service manifest or live service: "
                               + ", ".join(unknown))
    await _check_references(registry, project, live)
    desired: list[DesiredService] = []
    for item in project.securables:
        service = item.securable
        raw = _plaintexts(service.to_wire())
        digest = None
        if raw:
            values = resolve_values(raw, env, f"{service.kind} {service.name!r}")
            current = live.get((service.kind, service.name))
            held = owner_of(current.body).secrets if current else None
            salt = held.split(".")[0] if held and "." in held else new_salt()
            digest = secrets_digest(values, salt)
        desired.append(DesiredService(service, f"{item.location.file}:{item.location.line}",
                                      digest))
    actions = plan_services(desired, live, Owner(project.file.project, project.file.project_id),
                            prune=prune, select=select,
                            adopt_legacy_ownership=adopt_legacy_ownership)
    return await _attributed(registry, actions, live)


async def _attributed(registry: RegistryClient, actions: list[ServiceAction],
                      live: Mapping[tuple[str, str], LiveService]) -> list[ServiceAction]:
    """The causes of the changes to existing services (``attribute``): SCIM ``Me`` is read
    once, and only when some existing service differs."""
    if not any(a.changes and a.action not in ("create", "delete") for a in actions):
        return actions
    try:
        caller: str | None = str((await current_user(registry))["userName"])
    except errors.RegistryError:
        caller = None  # causes then say "unknown"; planning goes on
    return [attribute(a, (live.get((a.kind, a.name)) or LiveService({})).body or None,
                      caller) for a in actions]


def check_apply_env(actions: list[ServiceAction], env: Mapping[str, str]) -> None:
    """Refuse before any write when a ``${env.NAME}`` a service body needs is unset."""
    missing = [f"${{env.{m.group(1)}}} ({a.name}: {path})" for a in actions
               for path, raw in _plaintexts(a.body or {}).items()
               for m in ENV_REF_PATTERN.finditer(raw) if m.group(1) not in env]
    if missing:
        raise errors.ManifestError("environment variables not set for apply: "
                                   + ", ".join(dict.fromkeys(missing)))


def services_not_started(report: ApplyReport, actions: list[ServiceAction]) -> ApplyReport:
    """``report`` with each service that had changes listed as not started (apply stopping)."""
    outcomes = [EndpointOutcome(name=f"{a.collection}/{a.name}", action=a.action,
                                status="not-started", note=NOT_STARTED_NOTE)
                for a in actions if a.has_changes]
    return report.model_copy(update={"outcomes": [*report.outcomes, *outcomes]})


async def apply_services_into(report: ApplyReport, registry: RegistryClient,
                              actions: list[ServiceAction], resolve: ResolveBody,
                              owner: Owner | None = None) -> ApplyReport:
    """``report`` (of the endpoints) with the services' outcomes and calls added."""
    before = dict(registry.stats.by_method)
    started = time.monotonic()
    outcomes = await apply_services(registry, actions, resolve, owner or Owner(report.project))
    calls = {k: v for k, v in report.calls.items() if k != "total"}
    for method, count in registry.stats.by_method.items():
        if count - before.get(method, 0):
            calls[method] = calls.get(method, 0) + count - before.get(method, 0)
    return report.model_copy(update={
        "outcomes": [*report.outcomes, *outcomes],
        "calls": {"total": sum(calls.values()), **dict(sorted(calls.items()))},
        "duration_seconds": round(report.duration_seconds + time.monotonic() - started, 3),
    })
