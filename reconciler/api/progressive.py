"""``apply --progressive`` and ``plan --progressive``: which updates are staged, and how.

An update is staged when it writes a config that moves traffic to a new served entity
(``planning.rollout``) and the endpoint has a smoke request to gate with
(``applying.smoke``); everything else applies as usual through the executor. The staged
endpoints run after the others, ``parallelism`` at a time (``applying.rollout``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from reconciler.api import event_loop
from reconciler.applying.executor import ApplyOptions, apply_plan
from reconciler.applying.report import NOT_STARTED_NOTE, ApplyReport, EndpointOutcome
from reconciler.applying.rollout import RolloutOptions, candidate, config_step, run_rollout
from reconciler.applying.smoke import SmokeRequest, smoke_request
from reconciler.applying.waiting import UpdateWaiter
from reconciler.loading.project import Project
from reconciler.model.endpoint import ServingEndpoint
from reconciler.planning.plan import EndpointAction, Plan
from reconciler.planning.rollout import RolloutStep, staged_rollout
from reconciler.registry import RegistryClient, open_registry
from reconciler.registry.pacing import for_each


@dataclass(frozen=True)
class StagedUpdate:
    """One endpoint's staged rollout as planned now, or why it applies as usual."""

    name: str
    steps: list[RolloutStep] = field(default_factory=list)
    reason: str | None = None  # not staged, because ...
    request: SmokeRequest | None = None

    @property
    def staged(self) -> bool:
        return self.reason is None


async def staged_updates(project: Project, registry: RegistryClient, plan: Plan,
                         steps: tuple[int, ...], parallelism: int = 8) -> list[StagedUpdate]:
    """For every update that writes a config: its rollout steps from the live state now."""
    manifests: Mapping[str, ServingEndpoint] = {e.endpoint.name: e.endpoint
                                                for e in project.endpoints}
    actions = [a for a in plan.actions if candidate(a) and a.name in manifests]
    found: dict[str, StagedUpdate] = {}

    async def one(action: EndpointAction) -> None:
        view = await registry.read_endpoint(action.name)
        request = config_step(action)
        if view is None or request is None:
            found[action.name] = StagedUpdate(action.name, reason="the endpoint is gone")
            return
        live = view.raw
        task = live.get("task") if isinstance(live.get("task"), str) else None
        smoke = smoke_request(manifests[action.name], task)
        planned = staged_rollout(live, request.body, steps)
        if isinstance(planned, str):
            found[action.name] = StagedUpdate(action.name, reason=planned)
        elif isinstance(smoke, str):
            found[action.name] = StagedUpdate(action.name, reason=f"no gate query: {smoke}")
        else:
            found[action.name] = StagedUpdate(action.name, planned, request=smoke)

    await for_each(actions, one, workers=parallelism)
    return [found[a.name] for a in actions]


async def apply_progressive(project: Project, registry: RegistryClient, plan: Plan,
                            options: ApplyOptions, rollout: RolloutOptions) -> ApplyReport:
    """Apply ``plan``: staged updates as rollouts, every other action as usual."""
    started = time.monotonic()
    staged = {s.name: s for s in await staged_updates(
        project, registry, plan, rollout.steps, options.parallelism) if s.staged}
    usual = plan.model_copy(update={"actions": [a for a in plan.actions
                                                if a.name not in staged]})
    report = await apply_plan(usual, registry, options)
    if not staged:
        return report
    waiter = UpdateWaiter(registry, options.wait_settings, options.on_wait_progress)
    outcomes: list[EndpointOutcome] = []
    calls_before = dict(registry.stats.by_method)

    async def one(action: EndpointAction) -> None:
        if any(asked is not None and asked()
               for asked in (options.stop_requested, options.stop_now)):
            # Apply is stopping: a rollout not begun is not begun (one begun runs its steps).
            outcomes.append(EndpointOutcome(name=action.name, action=action.action,
                                            status="not-started", facets=list(action.facets),
                                            note=NOT_STARTED_NOTE))
            return
        request = staged[action.name].request
        assert request is not None
        outcomes.append(await run_rollout(registry, action, request, rollout, waiter))

    try:
        await for_each([a for a in plan.actions if a.name in staged], one,
                       workers=options.parallelism)
    finally:
        await waiter.close()
    calls = dict(report.calls)
    for method, count in registry.stats.by_method.items():
        extra = count - calls_before.get(method, 0)
        if extra:
            calls[method] = calls.get(method, 0) + extra
            calls["total"] = calls.get("total", 0) + extra
    merged = sorted([*report.outcomes, *outcomes], key=lambda o: o.name)
    return report.model_copy(update={"outcomes": merged, "calls": calls,
                                     "duration_seconds": round(time.monotonic() - started, 3)})


def preview(project: Project, plan: Plan, steps: tuple[int, ...], parallelism: int = 8
            ) -> list[tuple[str, list[RolloutStep] | str]]:
    """``plan --progressive``: per update that writes a config, its steps or why not staged."""

    async def run() -> list[StagedUpdate]:
        async with open_registry(project, parallelism=parallelism) as registry:
            return await staged_updates(project, registry, plan, steps, parallelism)

    staged = event_loop.run(run, project.secrets)
    return [(u.name, u.steps if u.staged else u.reason or "") for u in staged]
