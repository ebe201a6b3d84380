"""Plan while reading: each endpoint is diffed as soon as its GET answers.

A plan of N endpoints is N GET round trips (at ``parallelism``) plus the pure diff of each.
Done one after the other, the diff's CPU time (about 1 ms per endpoint) adds to the wall
time; done here, each endpoint's diff runs while the other GETs are in flight, so it mostly
hides in time otherwise spent waiting on the network.

The result is the plan ``build_plan`` makes from the same manifests and live state: actions
of distinct endpoints are independent in the planner (each depends on its manifest, its live
body and the options), so each is planned with ``plan_endpoint`` (the function ``build_plan``
calls per manifest) and the actions are put together by ``assemble``, as ``build_plan``
does. This path is used only when that independence is plain: no ``--select``
(not-selected no-ops), no ``--prune`` (endpoints found through the ownership tag), and no
name declared twice (the planner's error); ``workflow.plan_with`` takes the whole-plan path
otherwise. A test checks that both paths give the same plan.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Mapping, Sequence

from reconciler.api import permissions, secrets
from reconciler.diff.permissions import Grants, GrantsRead
from reconciler.model.live import LiveEndpoint
from reconciler.planning.plan import EndpointAction, Plan
from reconciler.planning.planner import DesiredEndpoint, PlanOptions, assemble, plan_endpoint
from reconciler.registry import RegistryClient
from reconciler.registry.pacing import for_each


def applies(desired: Sequence[DesiredEndpoint], options: PlanOptions) -> bool:
    """Whether the streaming path gives exactly the whole-plan result for these inputs."""
    names = [d.endpoint.name for d in desired]
    return not options.select and not options.prune and len(set(names)) == len(names)


async def plan_streaming(
    registry: RegistryClient,
    desired: Sequence[DesiredEndpoint],
    options: PlanOptions,
    *,
    env: Mapping[str, str],
    parallelism: int,
) -> Plan:
    """One list call, then a GET and a one-endpoint plan per existing endpoint, overlapped."""
    existing = {item.name for item in await registry.read_endpoints(keep=("name",))}
    semaphore = asyncio.Semaphore(max(1, parallelism))
    actions: list[EndpointAction] = []
    # The caller once for the run, only when some manifest declares permissions.
    caller = await permissions.caller(registry) if permissions.needs_caller(desired) else None
    options = dataclasses.replace(options, caller=caller)
    grants: dict[str, Grants] = {}

    async def plan_one(item: DesiredEndpoint) -> None:
        name = item.endpoint.name
        view: LiveEndpoint | None = None
        if name in existing:
            async with semaphore:
                view = await registry.read_endpoint(name)
        # Outside the semaphore: the next GET is already on its way while this one diffs.
        live = {name: view} if view is not None else {}
        if permissions.managed_names([item], live, options):
            async with semaphore:
                grants[name] = await permissions.grants_of(registry, live[name])
        [checked] = secrets.with_secrets_status([item], live, env)
        actions.append(plan_endpoint(checked, view, options, grants))

    # Twice as many workers as GET slots: while one worker diffs, the slots stay busy.
    await for_each(desired, plan_one, workers=2 * max(1, parallelism))
    return permissions.remembered(assemble(actions, options), GrantsRead(caller, grants))
