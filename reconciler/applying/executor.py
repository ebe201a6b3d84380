"""Apply a plan: per endpoint re-read, refuse if stale, write the changed facets, wait.

``apply_plan`` runs the endpoint actions concurrently, at most ``parallelism`` calls at a time
and at most twice that many endpoints started and not yet waiting for their rollout (an
endpoint that waits costs one small task; one not yet started costs nothing). Each endpoint
is one run of the state machine in ``state_machine.py`` (DESIGN.md section 6): this module
performs a state's effect (a request, a wait, a re-plan) and feeds what happened back to
``Machine.decide``, which alone chooses what comes next:

1. re-read (one GET; creates are checked with a single list call for all of them) and
   compare ``live_digest`` with the digest the action was planned from; a difference is a
   stale action, refused with a message to re-plan;
2. if a config update is in progress (planned that way, or started since), wait for it, re-read
   and re-check; a caller that still has the manifests may pass ``replan`` to plan that one
   endpoint again from the fresh state instead of refusing it; a 409 is never blindly retried;
3. issue the action's planned requests in order (facets in the plan's fixed order, so a
   tag-only change is one PATCH); a create that failed with "already exists" after a retry
   counts as done when the endpoint found is ours (the first attempt reached the server);
4. wait for the config update (one list call per poll for every waiting endpoint), then read
   back the last-writer-wins facets written.

Stopping: ``stop_requested`` (a first SIGINT or SIGTERM) lets the endpoints that have written
something finish their writes and starts no other; waits for rollouts are abandoned.
``stop_now`` (a second signal) ends every endpoint at once: the request or wait in flight is
cancelled and the endpoint reported as interrupted with what it had sent. An endpoint's
failure is recorded in the report and never stops the others.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reconciler import errors
from reconciler.applying import state_machine as sm
from reconciler.applying import states as st
from reconciler.applying.normalisation import record_normalised
from reconciler.applying.report import ApplyReport, EndpointOutcome, StopKind
from reconciler.applying.verification import read_back
from reconciler.applying.waiting import (
    ProgressCallback,
    UpdateFailed,
    UpdateWaiter,
    WaitAbandoned,
    WaitSettings,
    WaitTimeout,
)
from reconciler.model.live import LiveEndpoint
from reconciler.planning.plan import EndpointAction, Plan
from reconciler.planning.serialize import step_problems
from reconciler.redaction import redact_text
from reconciler.registry import RegistryClient, route

log = logging.getLogger(__name__)

Replan = Callable[[str, "LiveEndpoint | None"], EndpointAction]
EventCallback = Callable[[str, str], None]
"""Called with (endpoint, what happens now) as apply progresses, for a progress display."""

ALREADY_EXISTS_CODES = sm.ALREADY_EXISTS_CODES
MAX_ROUNDS = sm.MAX_ROUNDS
STOP_POLL_SECONDS = 0.2  # how often a running apply looks at ``stop_requested``/``stop_now``


@dataclass(frozen=True)
class ApplyOptions:
    parallelism: int = 8
    wait: bool = True
    wait_settings: WaitSettings = field(default_factory=WaitSettings)
    # Resolves ``${env.NAME}`` in ``*_plaintext`` fields at the last moment (api layer).
    resolve_body: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    replan: Replan | None = None
    on_event: EventCallback | None = None
    on_wait_progress: ProgressCallback | None = None
    # Asked at every step of every endpoint (a first SIGINT/SIGTERM): when true, endpoints
    # not yet written are not started, one already writing finishes its requests (never left
    # half-written), and waits for rollouts are abandoned.
    stop_requested: Callable[[], bool] | None = None
    # A second signal: when true, every endpoint stops at once (the call in flight is
    # cancelled) and is reported with what it had sent.
    stop_now: Callable[[], bool] | None = None


async def apply_plan(plan: Plan, registry: RegistryClient, options: ApplyOptions) -> ApplyReport:
    """Converge the registry to ``plan``; never raises for an endpoint's failure (see report).

    Raises ``errors.PlanError`` before any request when a step does not belong to its action
    (another endpoint, an operation its kind never has): the plan was not made by the planner.
    """
    problems = step_problems(plan)
    if problems:
        raise errors.PlanError(f"refusing to apply the plan: {problems[0]}; nothing was sent")
    started = time.monotonic()
    calls_before = dict(registry.stats.by_method)
    executor = _Executor(plan, registry, options)
    try:
        outcomes = await executor.run_all()
    finally:
        await executor.waiter.close()
    calls = {m: n - calls_before.get(m, 0) for m, n in registry.stats.by_method.items()}
    calls = {m: n for m, n in sorted(calls.items()) if n}
    level = executor.stop_level()
    stopped: StopKind | None = {st.StopLevel.NONE: None, st.StopLevel.FINISH: "finish",
                                st.StopLevel.NOW: "now"}[level]
    return ApplyReport(
        project=plan.project,
        target_name=plan.target_name,
        outcomes=outcomes,
        calls={"total": sum(calls.values()), **calls},
        duration_seconds=round(time.monotonic() - started, 3),
        stopped=stopped,
    )


class _Executor:
    def __init__(self, plan: Plan, registry: RegistryClient, options: ApplyOptions) -> None:
        self.plan = plan
        self.registry = registry
        self.options = options
        self.machine = sm.Machine(project=plan.project, can_replan=options.replan is not None,
                                  wait=options.wait, project_id=plan.project_id)
        self.semaphore = asyncio.Semaphore(max(1, options.parallelism))
        # Endpoints started and not yet waiting for a rollout: twice the calls in flight, so
        # the next endpoint is always ready when a call slot frees.
        self.writing = asyncio.Semaphore(2 * max(1, options.parallelism))
        self.waiter = UpdateWaiter(registry, options.wait_settings, options.on_wait_progress)
        self.existing: set[str] | None = None
        self.running: set[asyncio.Task[None]] = set()
        self.cancelled_by_stop = False

    def stop_level(self) -> st.StopLevel:
        if self.options.stop_now is not None and self.options.stop_now():
            return st.StopLevel.NOW
        if self.options.stop_requested is not None and self.options.stop_requested():
            return st.StopLevel.FINISH
        return st.StopLevel.NONE

    async def run_all(self) -> list[EndpointOutcome]:
        if any(a.action == "create" for a in self.plan.actions) \
                and self.stop_level() is st.StopLevel.NONE:
            # One list call tells every create whether its name is still free.
            listing = await self._safe_list()
            self.existing = None if listing is None else {e.name for e in listing}
        outcomes: list[EndpointOutcome] = []
        watcher = None
        if self.options.stop_requested is not None or self.options.stop_now is not None:
            watcher = asyncio.create_task(self._watch_stop())

        async def one(endpoint: _Endpoint) -> None:
            try:
                outcomes.append(await self._run(endpoint))
            finally:
                endpoint.leave_writing()

        try:
            for action in self.plan.actions:
                # An endpoint's task starts only when a writing place is free, and gives its
                # place up once it only waits for a rollout: memory follows parallelism and
                # the rollouts in flight, not the plan's size, and waits never hold up writes.
                await self.writing.acquire()
                task = asyncio.create_task(one(_Endpoint(action, self.writing)))
                self.running.add(task)
                task.add_done_callback(self.running.discard)
            while self.running:
                await asyncio.wait(set(self.running))
        except BaseException:
            for task in self.running:
                task.cancel()
            await asyncio.gather(*self.running, return_exceptions=True)
            raise
        finally:
            if watcher is not None:
                watcher.cancel()
        return sorted(outcomes, key=lambda o: o.name)

    async def _watch_stop(self) -> None:
        """Turn a stop request into action on what is in flight: abandon the waits (first
        signal), cancel every endpoint's current call or wait (second)."""
        while True:
            level = self.stop_level()
            if level >= st.StopLevel.FINISH:
                self.waiter.abandon()
            if level is st.StopLevel.NOW:
                self.cancelled_by_stop = True
                for task in list(self.running):
                    task.cancel()
                return
            await asyncio.sleep(STOP_POLL_SECONDS)

    async def _safe_list(self) -> list[LiveEndpoint] | None:
        try:
            return await self.registry.read_endpoints(keep=("name",))
        except errors.RegistryError as exc:
            log.info("listing endpoints before creating failed, will GET each: %s", exc)
            return None

    def _event(self, name: str, what: str) -> None:
        if self.options.on_event is not None:
            self.options.on_event(name, what)

    async def _run(self, endpoint: _Endpoint) -> EndpointOutcome:
        """Drive one endpoint's state machine from Begin to a terminal state."""
        journal = endpoint.journal
        state = self.machine.decide(st.Begin(endpoint.action), st.Started(), journal,
                                    self.stop_level())
        try:
            while not isinstance(state, st.Terminal):
                event = await self._perform(endpoint, state)
                state = self.machine.decide(state, event, journal, self.stop_level())
        finally:
            endpoint.leave_slot()
        if isinstance(state, st.Done):
            self._event(endpoint.action.name, "done")
        elif isinstance(state, st.Failed) and state.announce:
            self._event(endpoint.action.name, "failed")
        return st.outcome(state, journal)

    async def _perform(self, endpoint: _Endpoint, state: st.Active) -> st.Event:
        """Run ``state``'s effect in a call slot if it needs one; what happened, as an input."""
        try:
            if not isinstance(state, st.SLOT_KEPT):
                endpoint.leave_slot()
            if isinstance(state, st.SLOT_KEPT + st.SLOT_OWN):
                await endpoint.take_slot(self.semaphore)
            return await self._effect(endpoint, state)
        except errors.RegistryError as exc:
            return st.Errored(exc)
        except asyncio.CancelledError:
            if not self.cancelled_by_stop:
                raise
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()
            return st.StoppedNow()
        except Exception as exc:  # a bug must not stop the other endpoints; it is reported
            log.debug("unexpected error applying %s", endpoint.action.name, exc_info=True)
            return st.Crashed(exc)

    async def _effect(self, endpoint: _Endpoint, state: st.Active) -> st.Event:
        name = state.action.name
        match state:
            case st.Begin():
                return st.Started()
            case st.Reading():
                if state.settled:
                    return st.Read(await self.registry.read_endpoint(name))
                return st.Read(await self._read(state.action))
            case st.WaitingForeign():
                self._event(name, "waiting for an update already in progress")
                return await self._wait_foreign(endpoint)
            case st.Replanning() | st.ReplanningAdopted():
                assert self.options.replan is not None  # the machine re-plans only with one
                fresh = state.fresh if isinstance(state, st.Replanning) else state.found
                return st.Replanned(self.options.replan(name, fresh))
            case st.CheckingGrants():
                assert endpoint.journal.endpoint_id is not None  # the machine checked
                return st.GrantsRead(await self.registry.read_back(
                    state.step, endpoint.journal.endpoint_id))
            case st.Writing():
                return await self._write(endpoint, state)
            case st.Adopting():
                return st.Found(await self.registry.read_endpoint(name))
            case st.WaitingOurs():
                return await self._wait_ours(endpoint)
            case st.Verifying():
                return st.ReadBack(await read_back(self.registry, name, endpoint.journal.unguarded))
            case st.Normalising():
                return st.Normalised(await record_normalised(
                    self.registry, state.action, self.plan.project))

    async def _read(self, action: EndpointAction) -> LiveEndpoint | None:
        if action.action == "create" and self.existing is not None \
                and action.name not in self.existing:
            return None
        return await self.registry.read_endpoint(action.name)

    async def _write(self, endpoint: _Endpoint, state: st.Writing) -> st.Event:
        action, step = state.action, state.step
        if state.index == 0 and action.action != "no-op":
            self._event(action.name, f"{action.action} ({', '.join(action.facets)})"
                        if action.facets else action.action)
        endpoint_id = endpoint.journal.endpoint_id
        method, path = route(step, endpoint_id)
        request = f"{method} {path}"
        body = step.wire_body()
        if body is not None and self.options.resolve_body is not None:
            body = self.options.resolve_body(body)
        try:
            answer = await self.registry.write(step, body, endpoint_id)
        except errors.RegistryConflict as exc:
            return st.Conflict(request, exc)
        except errors.RegistryNotFound as exc:
            return st.NotFound(request, exc)
        return st.Accepted(request, body, answer)

    async def _wait(self, endpoint: _Endpoint) -> None:
        """Wait for the endpoint's update to settle; the seconds it took.

        Waiting gives up the endpoint's writing place: another endpoint starts meanwhile.
        Raises WaitAbandoned when apply is stopping, UpdateFailed, WaitTimeout.
        """
        endpoint.leave_writing()
        await self.waiter.wait(endpoint.action.name)

    async def _wait_foreign(self, endpoint: _Endpoint) -> st.Event:
        """Wait out an update someone else started (not ours to fail)."""
        name = endpoint.action.name
        try:
            await self._wait(endpoint)
        except WaitAbandoned:
            return st.Abandoned()
        except UpdateFailed:
            log.info("%s: the update in progress before ours ended in failure", name)
            return st.Settled(st.Foreign.FAILED)
        except WaitTimeout as exc:
            return st.UpdateEnded("timeout", str(exc))
        return st.Settled(st.Foreign.LANDED)

    async def _wait_ours(self, endpoint: _Endpoint) -> st.Event:
        if not self.options.wait:
            return st.NotWaited()
        self._event(endpoint.action.name, "waiting for the config update")
        started = time.monotonic()
        try:
            await self._wait(endpoint)
        except WaitAbandoned:
            return st.Abandoned(time.monotonic() - started)
        except UpdateFailed as exc:
            return st.UpdateEnded("update-failed", redact_text(str(exc)),
                                  time.monotonic() - started)
        except WaitTimeout as exc:
            return st.UpdateEnded("timeout", str(exc), time.monotonic() - started)
        return st.Settled(seconds=time.monotonic() - started)


class _Endpoint:
    """One endpoint's run: its journal and the two places it may hold (a writing place
    among the endpoints started, a call slot of ``--parallelism``)."""

    def __init__(self, action: EndpointAction, writing: asyncio.Semaphore) -> None:
        self.action = action
        self.journal = st.Journal(action)
        self._writing: asyncio.Semaphore | None = writing
        self._slot: asyncio.Semaphore | None = None

    async def take_slot(self, semaphore: asyncio.Semaphore) -> None:
        if self._slot is None:
            await semaphore.acquire()
            self._slot = semaphore

    def leave_slot(self) -> None:
        if self._slot is not None:
            self._slot.release()
            self._slot = None

    def leave_writing(self) -> None:
        if self._writing is not None:
            self._writing.release()
            self._writing = None
