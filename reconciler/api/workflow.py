"""Library entry points for plan, apply and export; the CLI is a thin layer over these.

``plan`` reads the live registry (one list call, then one GET per endpoint that matters, at
``parallelism`` concurrency) and hands manifests and live state to the pure planner.
``apply`` converges the target to a plan (made here, or a saved one read with
``load_saved_plan``), ``export`` turns live endpoints into clean manifests.

The async variants take an open ``RegistryClient`` (tests and benchmarks reuse one); the
plain ones open the project's registry themselves and run their own event loop.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler import errors
from reconciler.api import (
    event_loop,
    permissions,
    progressive,
    secrets,
    service_gitops,
    service_workflow,
    streaming_plan,
    unity_preflight,
)
from reconciler.api.secrets import plaintext_resolver
from reconciler.applying.executor import ApplyOptions, EventCallback, apply_plan
from reconciler.applying.report import ApplyReport
from reconciler.applying.rollout import RolloutOptions
from reconciler.applying.service_smoke import smoke_services_after_apply
from reconciler.applying.smoke import SmokeSettings, smoke_after_apply
from reconciler.applying.waiting import ProgressCallback, WaitSettings
from reconciler.diff.export import live_to_manifest
from reconciler.loading.project import Project
from reconciler.model.live import LiveEndpoint, Owner, prune_refusal
from reconciler.model.unity import ModelService
from reconciler.model.vocabulary import is_system_endpoint
from reconciler.planning import marking
from reconciler.planning.plan import EndpointAction, Plan
from reconciler.planning.planner import (
    DesiredEndpoint,
    PlanOptions,
    build_plan,
    plan_endpoint,
    plan_orphan,
)
from reconciler.registry import RegistryClient, open_registry
from reconciler.registry.pacing import for_each

log = logging.getLogger(__name__)

LOCAL_FIRST_POLL = 0.1  # seconds


@dataclass(frozen=True)
class PlanSettings:
    select: tuple[str, ...] = ()
    prune: bool = False
    allow_recreate: bool = False
    # Adopt declared endpoints tagged with the project name but no id (docs/ownership.md).
    adopt_legacy_ownership: bool = False
    parallelism: int = 8
    # Where ``${env.NAME}`` in ``*_plaintext`` fields is resolved to check the secret digest.
    env: Mapping[str, str] = field(default_factory=lambda: os.environ)


@dataclass(frozen=True)
class ApplySettings:
    parallelism: int = 8
    wait: bool = True
    timeout: float = 1200.0
    on_event: EventCallback | None = None
    on_wait_progress: ProgressCallback | None = None
    # A first SIGINT/SIGTERM (or continuous mode's stop): finish the endpoints being written,
    # start no other; ``stop_now`` (a second signal): stop at once, report what is known.
    stop_requested: Callable[[], bool] | None = None
    stop_now: Callable[[], bool] | None = None
    wait_settings: WaitSettings | None = None  # tests inject a fast clock; else from timeout
    env: Mapping[str, str] = field(default_factory=lambda: os.environ)
    smoke: bool = False  # apply --smoke: a smoke query after each created or changed endpoint
    smoke_timeout: float = 60.0
    progressive: RolloutOptions | None = None  # apply --progressive: staged rollouts


# -- plan ------------------------------------------------------------------------------------


def desired_endpoints(project: Project) -> list[DesiredEndpoint]:
    return [
        DesiredEndpoint(e.endpoint, source=f"{e.location.file}:{e.location.line}")
        for e in project.endpoints
    ]


def plan_options(project: Project, settings: PlanSettings) -> PlanOptions:
    return PlanOptions(
        project=project.file.project,
        project_id=project.file.project_id,
        adopt_legacy_ownership=settings.adopt_legacy_ownership,
        target_name=project.target_name,
        target_host=project.target.host or None,
        prune=settings.prune,
        select=settings.select,
        allow_recreate=settings.allow_recreate,
        created_at=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    )


async def fetch_live(
    registry: RegistryClient,
    names: set[str],
    *,
    owner: Callable[[LiveEndpoint], bool] | None,
    parallelism: int,
) -> dict[str, LiveEndpoint]:
    """The live endpoints in ``names`` (views of their GET bodies), plus those whose list
    summary (name and tags) ``owner`` says prune has to look at.

    One list call finds which exist (and, for prune, which are ours: the list carries tags);
    only those are fetched, ``parallelism`` at a time over one pooled connection set.
    """
    listing = await registry.read_endpoints(keep=("name", "tags"))
    wanted = [
        item.name for item in listing
        if item.name in names or (owner is not None and owner(item))
    ]
    del listing  # one list of 10,000 endpoints is megabytes; the GETs below need only names
    live: dict[str, LiveEndpoint] = {}

    async def get(name: str) -> None:
        view = await registry.read_endpoint(name)
        if view is not None:
            live[name] = view

    await for_each(wanted, get, workers=parallelism)
    return {name: live[name] for name in wanted if name in live}


async def plan_with(
    project: Project, registry: RegistryClient, settings: PlanSettings
) -> Plan:
    """The plan for ``project`` against the registry ``registry`` (read-only)."""
    refusal = prune_refusal(project.file.project_id) if settings.prune else None
    if refusal is not None:  # before any request
        raise errors.PlanError(refusal)
    services = await service_workflow.plan_services_with(
        project, registry, prune=settings.prune, select=settings.select, env=settings.env,
        adopt_legacy_ownership=settings.adopt_legacy_ownership)
    planned = await _plan_endpoints(project, registry, settings)
    planned = await unity_preflight.check(registry, project, planned)
    return planned.model_copy(update={"services": services})


async def _plan_endpoints(
    project: Project, registry: RegistryClient, settings: PlanSettings
) -> Plan:
    desired = desired_endpoints(project)
    options = plan_options(project, settings)
    if streaming_plan.applies(desired, options):
        planned = await streaming_plan.plan_streaming(
            registry, desired, options, env=settings.env, parallelism=settings.parallelism)
        _refuse_missing_system_endpoints(planned, project)
        return planned.model_copy(update={"target_local": project.target.local or None})
    names = {d.endpoint.name for d in desired}
    if settings.select:
        names &= set(settings.select)
    # Ours to prune, and ours by name only (listed as never pruned).
    owner = (lambda item: options.ownership(item) in ("ours", "legacy")) if settings.prune \
        else None
    live = await fetch_live(registry, names | set(settings.select), owner=owner,
                            parallelism=settings.parallelism)
    if settings.select:
        live = {n: view for n, view in live.items() if n in settings.select}
    desired = secrets.with_secrets_status(desired, live, settings.env)
    read = await permissions.read_for_plan(registry, desired, live, options,
                                           parallelism=settings.parallelism)
    planned = build_plan(desired, live, permissions.with_caller(options, read), read.grants)
    _refuse_missing_system_endpoints(planned, project)
    # The local registry's file, so a plan header names it the way it names a host.
    return permissions.remembered(
        planned.model_copy(update={"target_local": project.target.local or None}), read)


def _refuse_missing_system_endpoints(planned: Plan, project: Project) -> None:
    """A ``databricks-*`` manifest for an endpoint the workspace lacks is an error, not a
    blocked step: Databricks provides those endpoints, so no apply can ever fix it, and plan,
    apply and drift must all say so (exit 1) instead of failing or passing on every run."""
    missing = marking.missing_system_endpoints(planned.actions)
    if not missing:
        return
    files = {e.endpoint.name: e.location.file for e in project.endpoints}
    lines = [f"no Databricks-provided endpoint named {name!r} in this workspace (target "
             f"{project.target_name!r}; manifest {files.get(name, '?')})" for name in missing]
    raise errors.PlanError(
        "\n".join(lines) + "\nDatabricks creates databricks-* endpoints itself; the reconciler "
        "only manages their AI Gateway settings and tags. Check the name against the "
        "workspace's serving endpoints, or remove the manifest.")


def plan(project: Project, settings: PlanSettings | None = None) -> Plan:
    """Read-only: what ``apply`` would do to the project's target."""
    settings = settings or PlanSettings()

    async def run() -> Plan:
        async with open_registry(project, parallelism=settings.parallelism) as registry:
            return await plan_with(project, registry, settings)

    return event_loop.run(run, project.secrets)


# -- apply -----------------------------------------------------------------------------------


def _replanner(
    project: Project, plan_: Plan, env: Mapping[str, str]
) -> Callable[[str, LiveEndpoint | None], EndpointAction]:
    """Re-plan one endpoint from fresh live state, with the same manifests and options."""
    by_name = {d.endpoint.name: d for d in desired_endpoints(project)}
    options = plan_options(project, PlanSettings(
        prune=plan_.prune, allow_recreate=plan_.allow_recreate,
        adopt_legacy_ownership=plan_.adopt_legacy_ownership))

    def replan(name: str, view: LiveEndpoint | None) -> EndpointAction:
        live = {name: view} if view is not None else {}
        item = by_name.get(name)
        if item is not None:
            read = permissions.for_replan(plan_, name, view)
            [checked] = secrets.with_secrets_status([item], live, env)
            return plan_endpoint(checked, view, permissions.with_caller(options, read),
                                 read.grants)
        if view is not None and options.ownership(view) == "ours":
            return plan_orphan(name, view, options)
        raise errors.PlanError(f"re-planning {name!r} gave no action")

    return replan


async def apply_with(
    project: Project,
    registry: RegistryClient,
    plan_: Plan,
    settings: ApplySettings,
    *,
    saved: bool = False,
) -> ApplyReport:
    """Apply ``plan_`` to the open registry. A saved plan is never re-planned: stale is refused."""
    secrets.check_apply_env(plan_, settings.env)
    service_workflow.check_apply_env(plan_.services, settings.env)
    # The embedded registry answers in microseconds and settles updates at once: poll it
    # sooner than a workspace, whose rollouts take minutes.
    first_poll = LOCAL_FIRST_POLL if project.target.local else WaitSettings.min_interval
    wait = settings.wait_settings or WaitSettings(timeout=settings.timeout,
                                                  min_interval=first_poll)
    options = ApplyOptions(
        parallelism=settings.parallelism,
        wait=settings.wait,
        wait_settings=wait,
        resolve_body=plaintext_resolver(settings.env),
        replan=None if saved else _replanner(project, plan_, settings.env),
        on_event=settings.on_event,
        on_wait_progress=settings.on_wait_progress,
        stop_requested=settings.stop_requested,
        stop_now=settings.stop_now,
    )
    if settings.progressive is not None:
        rollout = dataclasses.replace(settings.progressive, resolve_body=options.resolve_body,
                                      on_event=options.on_event)
        report = await progressive.apply_progressive(project, registry, plan_, options, rollout)
    else:
        report = await apply_plan(plan_, registry, options)
    if plan_.services and _stopping(settings):
        report = service_workflow.services_not_started(report, plan_.services)
    elif plan_.services:
        report = await service_workflow.apply_services_into(
            report, registry, plan_.services, plaintext_resolver(settings.env),
            Owner(plan_.project, plan_.project_id))
    if settings.smoke and not _stopping(settings):  # a stop skips the smoke queries
        manifests = {e.endpoint.name: e.endpoint for e in project.endpoints}
        report = await smoke_after_apply(report, registry, manifests, SmokeSettings(
            timeout=settings.smoke_timeout, parallelism=settings.parallelism))
        model_services = [s.securable for s in project.securables
                          if isinstance(s.securable, ModelService)]
        if model_services:
            report = await smoke_services_after_apply(
                report, registry, model_services, SmokeSettings(
                    timeout=settings.smoke_timeout, parallelism=settings.parallelism))
    return report


def _stopping(settings: ApplySettings) -> bool:
    return any(asked is not None and asked()
               for asked in (settings.stop_requested, settings.stop_now))


def empty_report(plan_: Plan) -> ApplyReport:
    """The report of an apply that had nothing to do."""
    return ApplyReport(project=plan_.project, target_name=plan_.target_name)


def apply(
    project: Project, plan_: Plan, settings: ApplySettings | None = None, *, saved: bool = False
) -> ApplyReport:
    """Converge the project's target to ``plan_``; the report says what was done and failed."""
    settings = settings or ApplySettings()

    async def run() -> ApplyReport:
        async with open_registry(project, parallelism=settings.parallelism) as registry:
            return await apply_with(project, registry, plan_, settings, saved=saved)

    return event_loop.run(run, project.secrets)


# -- export ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportSettings:
    select: tuple[str, ...] = ()
    all: bool = False  # every live endpoint, not only those carrying our ownership tag
    parallelism: int = 8
    # Unity AI Gateway schemas (catalog.schema) whose services to export, besides those the
    # project's manifests use; ``select`` names services by their full name (with dots).
    schemas: tuple[str, ...] = ()


async def export_with(
    project: Project, registry: RegistryClient, settings: ExportSettings
) -> list[dict[str, Any]]:
    """Clean manifests (plain dicts) of the chosen live endpoints, sorted by name, then of
    the chosen Unity AI Gateway services (``api.service_gitops``)."""
    services = await service_gitops.export_services(
        project, registry, select=settings.select, all_=settings.all, schemas=settings.schemas)
    endpoint_names = tuple(n for n in settings.select if not service_gitops.is_service_name(n))
    if settings.select and not endpoint_names:
        return [s.manifest for s in services]
    settings = dataclasses.replace(settings, select=endpoint_names)
    return await _export_endpoints(project, registry, settings) + [
        s.manifest for s in services]


async def _export_endpoints(
    project: Project, registry: RegistryClient, settings: ExportSettings
) -> list[dict[str, Any]]:
    listing = await registry.read_endpoints(keep=("name", "tags"))
    names = {item.name for item in listing}
    if settings.select:
        missing = sorted(set(settings.select) - names)
        if missing:
            raise errors.PlanError(f"no live endpoint named {', '.join(map(repr, missing))}")
        chosen = set(settings.select)
    elif settings.all:
        chosen = {n for n in names if not is_system_endpoint(n)}
    else:
        options = plan_options(project, PlanSettings())
        # Ours, and ours by name only (export reads; it may help adopting them).
        chosen = {item.name for item in listing
                  if options.ownership(item) in ("ours", "legacy")}
    live = await fetch_live(registry, chosen, owner=None, parallelism=settings.parallelism)
    grants = await permissions.grants_of_all(
        registry, live, [n for n in live if not is_system_endpoint(n)],
        parallelism=settings.parallelism)
    return [live_to_manifest(live[name], grants.get(name)) for name in sorted(live)]


def export(project: Project, settings: ExportSettings | None = None) -> list[dict[str, Any]]:
    settings = settings or ExportSettings()

    async def run() -> list[dict[str, Any]]:
        async with open_registry(project, parallelism=settings.parallelism) as registry:
            return await export_with(project, registry, settings)

    return event_loop.run(run, project.secrets)


def selected(names: Sequence[str]) -> tuple[str, ...]:
    """``--select a,b --select c`` -> ``("a", "b", "c")``."""
    return tuple(n.strip() for item in names for n in item.split(",") if n.strip())
