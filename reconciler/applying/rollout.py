"""Running a staged rollout (``apply --progressive``): config updates, gates, rollback.

The steps come from ``planning.rollout.staged_rollout``. Each step is one ``PUT .../config``
that is waited for, then its gate: ``gate_queries`` smoke queries (``applying.smoke``) to the
new entities directly after the ``add`` step, to the endpoint after every other step, passed
when the share of good answers is at least ``gate_success``. A failed gate (or a failed or
timed-out update) restores the live config from before the rollout in one update, waits for
it, and reports the endpoint ``rolled-back`` with the step, the gate's figures and its
failing answers. The other facets of the action (AI Gateway, tags, notifications) are
written only once the rollout completed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from reconciler import errors
from reconciler.applying.report import EndpointOutcome, FailureKind
from reconciler.applying.rollout_report import GateResult, RolloutReport, RolloutStepReport
from reconciler.applying.smoke import SmokeRequest, run_smoke
from reconciler.applying.waiting import UpdateFailed, UpdateWaiter, WaitTimeout
from reconciler.diff.digest import live_digest
from reconciler.model.steps import UpdateConfigStep
from reconciler.planning.plan import EndpointAction
from reconciler.planning.rollout import RolloutStep, rollback_body, staged_rollout
from reconciler.redaction import redact_text
from reconciler.registry import RegistryClient
from reconciler.registry.routes import route

MAX_FAILING_ANSWERS = 3


@dataclass(frozen=True)
class RolloutOptions:
    steps: tuple[int, ...] = (10, 50, 100)
    step_pause: float = 0.0  # seconds between a step's update and its gate
    gate_queries: int = 10
    gate_success: float = 1.0
    query_timeout: float = 60.0
    resolve_body: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    on_event: Callable[[str, str], None] | None = None
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep


def config_step(action: EndpointAction) -> UpdateConfigStep | None:
    return next((s for s in action.steps if isinstance(s, UpdateConfigStep)), None)


def candidate(action: EndpointAction) -> bool:
    """Could this action be staged? (An update that writes a config; live state decides.)"""
    # An update planned over one in progress goes the usual way (wait, re-read, re-check).
    return (action.action == "update" and not action.blocked and not action.wait_for_update
            and config_step(action) is not None)


class _Failed(Exception):
    def __init__(self, kind: FailureKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class _Rollout:
    def __init__(self, registry: RegistryClient, action: EndpointAction, request: SmokeRequest,
                 options: RolloutOptions, waiter: UpdateWaiter) -> None:
        self.registry = registry
        self.action = action
        self.request = request
        self.options = options
        self.waiter = waiter
        self.requests: list[str] = []
        self.waited = 0.0

    def _event(self, what: str) -> None:
        if self.options.on_event is not None:
            self.options.on_event(self.action.name, what)

    async def _put_and_wait(self, body: dict[str, Any], label: str) -> None:
        step = UpdateConfigStep(endpoint=self.action.name, body=body)
        if self.options.resolve_body is not None:
            body = self.options.resolve_body(body)
        await self.registry.write(step, body)
        method, path = route(step)
        self.requests.append(f"{method} {path} ({label})")
        started = time.monotonic()
        try:
            await self.waiter.wait(self.action.name)
        finally:
            self.waited += time.monotonic() - started

    async def _gate(self, target: str | None) -> GateResult:
        options = self.options
        results = [await run_smoke(self.registry, self.action.name, self.request, entity=target,
                                   timeout=options.query_timeout)
                   for _ in range(options.gate_queries)]
        failing = [redact_text(r.describe()) for r in results if r.result != "passed"]
        return GateResult(target=target or "endpoint", queries=len(results),
                          passed=len(results) - len(failing),
                          required_ratio=options.gate_success,
                          failing_answers=failing[:MAX_FAILING_ANSWERS])

    async def run(self) -> EndpointOutcome:
        name = self.action.name
        view = await self.registry.read_endpoint(name)
        if view is None or live_digest(view) != self.action.live_digest:
            raise _Failed("stale-plan", f"stale plan: {name!r} changed since the plan was made; "
                          "run `reconciler plan` again and apply the new plan")
        fresh = dict(view.raw)
        if view.updating:
            raise _Failed("conflict", f"{name!r} has a config update in progress; run plan "
                          "and apply again once it finished")
        config = config_step(self.action)
        assert config is not None
        steps = staged_rollout(fresh, config.body, self.options.steps)
        if isinstance(steps, str):
            raise _Failed("stale-plan", f"{name!r} can no longer be staged ({steps}); run "
                          "`reconciler plan` again")
        report = RolloutReport(planned_steps=len(steps))
        restore = rollback_body(fresh)
        for index, step in enumerate(steps, start=1):
            done = await self._step(index, step)
            report = report.model_copy(update={"steps": [*report.steps, done]})
            if done.result == "failed":
                return await self._roll_back(report, index, restore, fresh)
        for other in self.action.steps:  # the other facets, once traffic has moved
            if other is config:
                continue
            body = other.wire_body()
            if body is not None and self.options.resolve_body is not None:
                body = self.options.resolve_body(body)
            await self.registry.write(other, body)
            method, path = route(other)
            self.requests.append(f"{method} {path}")
        self._event("done")
        return EndpointOutcome(name=name, action="update", status="done",
                               facets=list(self.action.facets), requests=self.requests,
                               note=f"staged rollout: {len(steps)} config updates",
                               waited_seconds=round(self.waited, 3), rollout=report)

    async def _step(self, index: int, step: RolloutStep) -> RolloutStepReport:
        label = f"step {index}: {step.kind} {step.percent}%"
        self._event(f"rollout {label}")
        common: dict[str, Any] = {"index": index, "kind": step.kind, "percent": step.percent,
                                  "routes": step.routes}
        try:
            await self._put_and_wait(step.body, label)
        except (UpdateFailed, WaitTimeout, errors.RegistryError) as exc:
            return RolloutStepReport(result="failed", error=redact_text(str(exc)), **common)
        if self.options.step_pause:
            await self.options.sleep(self.options.step_pause)
        targets: list[str | None] = list(step.gate_entities) or [None]
        gates = [await self._gate(target) for target in targets]
        result: Literal["passed", "failed"] = "passed" if all(g.ok for g in gates) else "failed"
        return RolloutStepReport(result=result, gates=gates, **common)

    async def _roll_back(self, report: RolloutReport, index: int, restore: dict[str, Any],
                         fresh: dict[str, Any]) -> EndpointOutcome:
        self._event(f"rolling back (step {index} failed)")
        routes = {r["served_entity_name"]: r["traffic_percentage"]
                  for r in restore["traffic_config"]["routes"]}
        error = None
        try:
            await self._put_and_wait(restore, "rollback")
        except (UpdateFailed, WaitTimeout, errors.RegistryError) as exc:
            error = redact_text(str(exc))
        report = report.model_copy(update={"rolled_back": error is None, "failed_step": index,
                                           "restored_routes": routes, "rollback_error": error})
        step = report.steps[-1]
        why = step.error or "; ".join(
            f"gate {g.target}: {g.passed}/{g.queries} passed, {g.required_ratio:.0%} required"
            + (f" ({g.failing_answers[0]})" if g.failing_answers else "")
            for g in step.gates if not g.ok)
        message = f"step {index} ({step.kind} {step.percent}%) failed: {why}"
        if error is not None:
            message += f"; the rollback failed too: {error}"
        return EndpointOutcome(
            name=self.action.name, action="update",
            status="rolled-back" if error is None else "failed",
            failure="rolled-back" if error is None else "update-failed",
            facets=list(self.action.facets), requests=self.requests, error=message,
            waited_seconds=round(self.waited, 3), rollout=report)


async def run_rollout(registry: RegistryClient, action: EndpointAction, request: SmokeRequest,
                      options: RolloutOptions, waiter: UpdateWaiter) -> EndpointOutcome:
    """Stage ``action``'s config change; never raises for the endpoint's failure."""
    rollout = _Rollout(registry, action, request, options, waiter)
    try:
        return await rollout.run()
    except _Failed as exc:
        kind, message = exc.kind, str(exc)
    except errors.RegistryError as exc:
        kind, message = "registry", str(exc)
    return EndpointOutcome(name=action.name, action=action.action, status="failed",
                           facets=list(action.facets), requests=rollout.requests,
                           failure=kind, error=redact_text(message))
