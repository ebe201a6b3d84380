"""Reading the permissions facet's live side: the caller's identity and endpoints' grants.

Only what a plan needs is read: the caller (SCIM ``Me``) once per run, and only when some
manifest in the run declares ``permissions``; an endpoint's grants only when its manifest
declares them (without ``permissions`` they are not managed, so not even read) or when
exporting.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence

from reconciler.diff.permissions import Grants, GrantsRead, caller_principal, live_direct_grants
from reconciler.model.live import LiveEndpoint
from reconciler.model.permissions import Principal
from reconciler.planning.plan import Plan
from reconciler.planning.planner import DesiredEndpoint, PlanOptions
from reconciler.registry import RegistryClient
from reconciler.registry import permissions as permissions_api
from reconciler.registry.pacing import for_each
from reconciler.registry.routes import permissions_path


async def caller(registry: RegistryClient) -> Principal | None:
    """Who the token is, as permissions name it."""
    return caller_principal(await permissions_api.current_user(registry))


async def grants_of(registry: RegistryClient, live: LiveEndpoint) -> Grants:
    """The direct grants of one live endpoint (read from a GET body: its ``id`` keys the
    ACL)."""
    endpoint_id = live.id
    if not endpoint_id:
        return {}
    name = live.name or None
    answer = await permissions_api.get_permissions(registry, endpoint_id, endpoint=name)
    try:
        return live_direct_grants(answer)
    except ValueError as exc:
        path = permissions_path(endpoint_id)
        raise registry.protocol_error("GET", path, str(exc), name) from None


async def grants_of_all(registry: RegistryClient, live: Mapping[str, LiveEndpoint],
                        names: Iterable[str], *, parallelism: int) -> dict[str, Grants]:
    """The direct grants of each named live endpoint, ``parallelism`` GETs at a time."""
    found: dict[str, Grants] = {}

    async def read(name: str) -> None:
        found[name] = await grants_of(registry, live[name])

    await for_each([n for n in names if n in live], read, workers=parallelism)
    return found


def managed_names(desired: Sequence[DesiredEndpoint], live: Mapping[str, LiveEndpoint],
                  options: PlanOptions) -> list[str]:
    """Live endpoints whose grants a plan needs: a manifest declares ``permissions`` and the
    plan may write the endpoint (another project's is never planned)."""
    return [
        d.endpoint.name for d in desired
        if d.endpoint.permissions is not None and d.endpoint.name in live
        and options.may_write(live[d.endpoint.name])
    ]


def needs_caller(desired: Sequence[DesiredEndpoint]) -> bool:
    return any(d.endpoint.permissions is not None for d in desired)


async def read_for_plan(registry: RegistryClient, desired: Sequence[DesiredEndpoint],
                        live: Mapping[str, LiveEndpoint], options: PlanOptions, *,
                        parallelism: int) -> GrantsRead:
    """The caller (once) and the grants the plan of ``desired`` against ``live`` needs;
    nothing at all is read when no manifest declares ``permissions``."""
    if not needs_caller(desired):
        return GrantsRead()
    who = await caller(registry)
    grants = await grants_of_all(registry, live, managed_names(desired, live, options),
                                 parallelism=parallelism)
    return GrantsRead(who, grants)


def with_caller(options: PlanOptions, read: GrantsRead) -> PlanOptions:
    return dataclasses.replace(options, caller=read.caller)


def remembered(plan: Plan, read: GrantsRead) -> Plan:
    """``plan`` keeping what was read, for re-planning one endpoint during apply."""
    plan._grants_read = read
    return plan


def for_replan(plan: Plan, name: str, fresh: LiveEndpoint | None) -> GrantsRead:
    """What re-planning ``name`` from ``fresh`` uses: the grants read at plan time, or, for
    an endpoint that did not exist then (created meanwhile, by this apply's retried create
    or another apply), the only grant a new endpoint has: its creator's."""
    read = plan._grants_read or GrantsRead()
    if fresh is None or name in read.grants:
        return read
    created: Grants = {read.caller: "CAN_MANAGE"} if read.caller is not None else {}
    return GrantsRead(read.caller, {**read.grants, name: created})
