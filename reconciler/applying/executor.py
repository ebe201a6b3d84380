"""Apply a plan: per endpoint re-read, refuse if stale, write the changed facets, wait.

``apply_plan`` runs the endpoint actions concurrently, at most ``parallelism`` calls at a time
and at most twice that many endpoints started and not yet waiting for their rollout (an
endpoint that waits costs one small task; one not yet started costs nothing). For each
endpoint (DESIGN.md section 6):

1. re-read it (one GET; creates are checked with a single list call for all of them) and
   compare ``live_digest`` with the digest the action was planned from; a difference is a
   stale action, refused with a message to re-plan;
2. if a config update is in progress (planned that way, or started since), wait for it, re-read
   and re-check; a caller that still has the manifests may pass ``replan`` to plan that one
   endpoint again from the fresh state instead of refusing it; a 409 is never blindly retried;
3. issue the action's planned requests in order (facets in the plan's fixed order, so a
   tag-only change is one PATCH); a create that failed with "already exists" after a retry
   counts as done when the endpoint found is ours (the first attempt reached the server);
4. wait for the config update (one list call per poll for every waiting endpoint).

An endpoint's failure is recorded in the report and never stops the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler import errors
from reconciler.applying.normalisation import record_normalised
from reconciler.applying.report import ApplyReport, EndpointOutcome, FailureKind
from reconciler.applying.verification import (
    Written,
    needs_verifying,
    overwritten,
    read_back,
)
from reconciler.applying.waiting import (
    ProgressCallback,
    UpdateFailed,
    UpdateWaiter,
    WaitSettings,
    WaitTimeout,
    is_updating,
)
from reconciler.diff.digest import live_digest
from reconciler.diff.facets import facet_of_step
from reconciler.model.live import LiveEndpoint
from reconciler.model.steps import PlanStep
from reconciler.model.vocabulary import OWNERSHIP_TAG
from reconciler.planning.plan import EndpointAction, Plan
from reconciler.planning.serialize import step_problems
from reconciler.redaction import redact_text
from reconciler.registry import RegistryClient, route

log = logging.getLogger(__name__)

Replan = Callable[[str, "dict[str, Any] | None"], EndpointAction]
EventCallback = Callable[[str, str], None]
"""Called with (endpoint, what happens now) as apply progresses, for a progress display."""

ALREADY_EXISTS_CODES = frozenset({"RESOURCE_ALREADY_EXISTS", "ALREADY_EXISTS"})
MAX_ROUNDS = 3  # re-plans after waiting for someone else's update, before giving up
STOP_POLL_SECONDS = 0.2  # how often a wait looks at ``stop_requested``


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
    # Asked before each endpoint starts writing and while waiting (continuous mode's SIGTERM):
    # when true, endpoints not yet written are skipped, one already writing finishes its
    # requests (never left half-written), and waits for rollouts are abandoned.
    stop_requested: Callable[[], bool] | None = None


class _NotStarted(Exception):
    """Internal: the endpoint was not started because apply is stopping."""


class EndpointFailure(Exception):
    """Internal: ends one endpoint's run with a failure kind and a message."""

    def __init__(self, kind: FailureKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass
class _Run:
    action: EndpointAction
    requests: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    waited: float | None = None
    written: bool = False  # a write was accepted: from then on the endpoint is finished
    # Someone else's update we waited out: "landed" or "failed" (None: none waited for).
    foreign_update: str | None = None
    # Accepted last-writer-wins writes, checked by one GET at the end (verification.py).
    unguarded: list[Written] = field(default_factory=list)
    admitted: bool = False  # holds a place among the endpoints writing (not yet waiting)
    # The endpoint's id, which keys its grants: from the re-read, or the create's answer.
    endpoint_id: str | None = None


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
    return ApplyReport(
        project=plan.project,
        target_name=plan.target_name,
        outcomes=outcomes,
        calls={"total": sum(calls.values()), **calls},
        duration_seconds=round(time.monotonic() - started, 3),
    )


class _Executor:
    def __init__(self, plan: Plan, registry: RegistryClient, options: ApplyOptions) -> None:
        self.plan = plan
        self.registry = registry
        self.options = options
        self.semaphore = asyncio.Semaphore(max(1, options.parallelism))
        # Endpoints started and not yet waiting for a rollout: twice the calls in flight, so
        # the next endpoint is always ready when a call slot frees.
        self.writing = asyncio.Semaphore(2 * max(1, options.parallelism))
        self.waiter = UpdateWaiter(registry, options.wait_settings, options.on_wait_progress)
        self.existing: set[str] | None = None

    async def run_all(self) -> list[EndpointOutcome]:
        if any(a.action == "create" for a in self.plan.actions):
            # One list call tells every create whether its name is still free.
            listing = await self._safe_list()
            self.existing = None if listing is None else {e["name"] for e in listing}
        outcomes: list[EndpointOutcome] = []
        running: set[asyncio.Task[None]] = set()

        async def one(run: _Run) -> None:
            try:
                outcomes.append(await self._run(run))
            finally:
                self._leave_writing(run)

        try:
            for action in self.plan.actions:
                # An endpoint's task starts only when a writing place is free, and gives its
                # place up once it only waits for a rollout: memory follows parallelism and
                # the rollouts in flight, not the plan's size, and waits never hold up writes.
                await self.writing.acquire()
                task = asyncio.create_task(one(_Run(action, admitted=True)))
                running.add(task)
                task.add_done_callback(running.discard)
            while running:
                await asyncio.wait(set(running))
        except BaseException:
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
            raise
        return sorted(outcomes, key=lambda o: o.name)

    def _leave_writing(self, run: _Run) -> None:
        if run.admitted:
            run.admitted = False
            self.writing.release()

    async def _safe_list(self) -> list[dict[str, Any]] | None:
        try:
            return await self.registry.list_endpoints(keep=("name",))
        except errors.RegistryError as exc:
            log.info("listing endpoints before creating failed, will GET each: %s", exc)
            return None

    def _event(self, name: str, what: str) -> None:
        if self.options.on_event is not None:
            self.options.on_event(name, what)

    async def _run(self, run: _Run) -> EndpointOutcome:
        action = run.action
        if action.blocked:
            # The reason says why and what to do (--allow-recreate, another project's
            # endpoint, a Databricks-provided endpoint that does not exist).
            reason = action.reason or "see the plan"
            if "recreate" in reason and "--allow-recreate" not in reason:
                reason += "; re-run with --allow-recreate"
            return _failed(run, "conflict", f"blocked: {reason}")
        if action.action == "no-op":
            return EndpointOutcome(name=action.name, action=action.action, status="skipped",
                                   note=action.reason or "no changes")
        try:
            await self._converge(run)
        except _NotStarted:
            return EndpointOutcome(name=action.name, action=action.action, status="skipped",
                                   note="not started: apply is stopping")
        except EndpointFailure as exc:
            self._event(action.name, "failed")
            return _failed(run, exc.kind, str(exc))
        except errors.RegistryError as exc:
            self._event(action.name, "failed")
            kind: FailureKind = "conflict" if isinstance(exc, errors.RegistryConflict) \
                else "registry"
            return _failed(run, kind, str(exc))
        except Exception as exc:  # a bug must not stop the other endpoints; it is reported
            log.debug("unexpected error applying %s", action.name, exc_info=True)
            return _failed(run, "internal", f"{type(exc).__name__}: {exc}")
        self._event(action.name, "done")
        final = run.action
        status = "skipped" if final.action == "no-op" else "done"
        return EndpointOutcome(
            name=final.name, action=action.action, status=status, facets=list(final.facets),
            requests=run.requests, note="; ".join(run.notes) or None,
            waited_seconds=None if run.waited is None else round(run.waited, 3),
        )

    async def _converge(self, run: _Run) -> None:
        name = run.action.name
        for _round in range(MAX_ROUNDS):
            self._stop_if_not_started(run)
            # Re-read, check and write within one slot of the semaphore: the window in which
            # another writer can slip in between our check and our write is one round trip,
            # not the time spent queueing behind other endpoints.
            async with self.semaphore:
                fresh = await self._read(name, run.action)
                busy = fresh is not None and is_updating(fresh)
                if not busy:
                    needs_wait = await self._check_and_write(run, fresh)
            if busy:
                self._event(name, "waiting for an update already in progress")
                run.foreign_update = await self._wait_settled(run)
                async with self.semaphore:
                    fresh = await self.registry.get_endpoint(name)
                    needs_wait = await self._check_and_write(run, fresh)
            if needs_wait is None:
                continue  # re-planned, or someone started an update under us: go again
            if needs_wait:
                await self._wait_ours(run)
            await self._verify(run)
            if needs_wait and self.options.wait and run.action.action != "delete":
                async with self.semaphore:
                    run.notes.extend(await record_normalised(
                        self.registry, run.action, self.plan.project))
            return
        raise EndpointFailure("conflict", "the endpoint kept changing under apply (updates by "
                              "someone else); run plan and apply again")

    async def _check_and_write(self, run: _Run, fresh: dict[str, Any] | None) -> bool | None:
        if not self._check_fresh(run, fresh, after_wait=run.foreign_update is not None):
            return None
        self._stop_if_not_started(run)
        return await self._write(run, fresh)

    async def _verify(self, run: _Run) -> None:
        """Our last-writer-wins writes are still live, or the endpoint is a conflict."""
        if not run.unguarded:
            return
        async with self.semaphore:
            fresh = await read_back(self.registry, run.action.name, run.unguarded)
        lost = overwritten(run.unguarded, fresh)
        if lost:
            raise EndpointFailure(
                "conflict", f"{run.action.name!r}: {'; '.join(lost)}: what this apply wrote "
                "was replaced by another writer at the same time (another apply?); run "
                "`reconciler plan` again to see the live values and apply the new plan")

    def _stopping(self) -> bool:
        return self.options.stop_requested is not None and self.options.stop_requested()

    def _stop_if_not_started(self, run: _Run) -> None:
        if not run.written and self._stopping():
            raise _NotStarted

    async def _wait(self, run: _Run) -> bool:
        """Wait for the endpoint's update to settle; False when abandoned because of a stop.

        Waiting gives up the endpoint's writing place: another endpoint starts meanwhile.
        """
        self._leave_writing(run)
        name = run.action.name
        if self.options.stop_requested is None:
            await self.waiter.wait(name)
            return True
        task = asyncio.ensure_future(self.waiter.wait(name))
        while not task.done():
            if self._stopping():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
                return False
            await asyncio.wait({task}, timeout=STOP_POLL_SECONDS)
        task.result()
        return True

    async def _read(self, name: str, action: EndpointAction) -> dict[str, Any] | None:
        if action.action == "create" and self.existing is not None and name not in self.existing:
            return None
        return await self.registry.get_endpoint(name)

    def _check_fresh(self, run: _Run, fresh: dict[str, Any] | None, *, after_wait: bool) -> bool:
        """True to go on writing; False when ``run.action`` was re-planned (go round again).

        Raises EndpointFailure for a stale action that cannot be re-planned.
        """
        action = run.action
        if action.action == "delete" and fresh is None:
            run.notes.append("already deleted")
            run.action = action.model_copy(update={"steps": []})
            return True
        if action.action == "delete" and not _is_ours(fresh, self.plan.project):
            raise EndpointFailure("not-ours", f"refusing to delete {action.name!r}: it does not "
                                  f"carry the tag {OWNERSHIP_TAG}={self.plan.project}")
        digest = None if fresh is None else live_digest(fresh)
        if digest == action.live_digest:
            return True
        if after_wait and self.options.replan is not None:
            # Re-planning over someone else's update that landed would revert it without
            # anyone being told (a lost update); only one that failed, or one that already
            # made the endpoint what we want, lets us go on.
            again = self.options.replan(action.name, fresh)
            if run.foreign_update == "failed" or again.action == "no-op":
                run.action = again
                run.notes.append("re-planned after an update in progress finished")
                return run.action.action == "no-op" or self._digest_matches(run.action, fresh)
            raise EndpointFailure(
                "stale-plan", f"stale plan: {action.name!r} was changed by another update "
                "while apply waited for it; run `reconciler plan` again to review that change "
                "and apply the new plan")
        what = "was deleted" if fresh is None else (
            "now exists" if action.live_digest is None else "changed")
        raise EndpointFailure(
            "stale-plan", f"stale plan: {action.name!r} {what} since the plan was made; "
            "run `reconciler plan` again and apply the new plan")

    @staticmethod
    def _digest_matches(action: EndpointAction, fresh: dict[str, Any] | None) -> bool:
        return action.live_digest == (None if fresh is None else live_digest(fresh))

    async def _write(self, run: _Run, fresh: dict[str, Any] | None) -> bool | None:
        """Perform the planned steps; whether to wait for a config update; None to go round."""
        needs_wait = False
        if run.action.action != "no-op":
            self._event(run.action.name, f"{run.action.action} ({', '.join(run.action.facets)})"
                        if run.action.facets else run.action.action)
        run.endpoint_id = _endpoint_id(fresh)
        for step in run.action.steps:
            if step.op == "set_permissions" and run.endpoint_id is None:
                raise EndpointFailure("registry", f"{run.action.name!r}: no endpoint id to "
                                      "write its permissions to (the endpoint's answer had "
                                      "none); run apply again")
            method, path = route(step, run.endpoint_id)
            body = step.wire_body()
            if body is not None and self.options.resolve_body is not None:
                body = self.options.resolve_body(body)
            try:
                answer = await self.registry.write(step, body, run.endpoint_id)
            except errors.RegistryConflict as exc:
                if step.op == "create" and exc.error_code in ALREADY_EXISTS_CODES:
                    await self._adopt_existing(run, step, retried=exc.attempts > 1)
                elif _guarded(step):
                    # The service refuses a write while an update is in progress: wait it
                    # out and go round (re-read, re-check), never retry blindly.
                    run.requests.append(f"{method} {path} (409)")
                    run.foreign_update = await self._wait_settled(run)
                    return None
                else:
                    raise
            except errors.RegistryNotFound:
                if step.op != "delete":
                    raise
                run.notes.append("already deleted")
            else:
                if needs_verifying(step):
                    run.unguarded.append(Written(step, body, answer))
                if step.op == "create":
                    run.endpoint_id = _endpoint_id(answer)  # a new id: grants go there
                elif step.op == "delete":
                    run.endpoint_id = None
            run.written = True
            run.requests.append(f"{method} {path}")
            needs_wait = needs_wait or _starts_update(step)
        return needs_wait

    async def _adopt_existing(self, run: _Run, step: PlanStep, *, retried: bool) -> None:
        """Our create found the name taken: is it the endpoint we wanted?

        Two ways this happens: our create was retried after its answer was lost (the first
        attempt reached the server), or another apply of this project created it since our
        re-read. Either way the endpoint counts as done only if it carries our ownership tag
        and matches the manifest: re-planned against it, nothing is left to change (when
        re-planning is possible) or, for a saved plan, its served entities are the ones asked
        for after a retry. Anything else is a conflict for the user to look at.
        """
        name = run.action.name
        found = await self.registry.get_endpoint(name)
        run.endpoint_id = _endpoint_id(found)
        taken = EndpointFailure("conflict", f"{name!r} already exists and is not the endpoint "
                                "this apply created; run plan again")
        if found is None or not _is_ours(found, self.plan.project):
            raise taken
        if self.options.replan is not None:
            again = self.options.replan(name, found)
            # Grants are not a difference here: this action's own permissions step, next,
            # writes them to the endpoint found.
            if again.blocked or any(c.facet != "permissions" for c in again.changes) \
                    or again.action not in ("no-op", "update"):
                raise EndpointFailure("conflict", f"{name!r} was created meanwhile (by another "
                                      "apply?) with other settings; run plan again")
        elif not (retried and _entities_match(step.wire_body() or {}, found)):
            raise taken
        run.notes.append("create was retried and found its endpoint already created"
                         if retried else "already created meanwhile by another apply, "
                         "with the same settings")

    async def _wait_ours(self, run: _Run) -> None:
        if not self.options.wait:
            run.notes.append("not waited for (--no-wait): the config update is in progress")
            return
        self._event(run.action.name, "waiting for the config update")
        started = time.monotonic()
        try:
            if not await self._wait(run):
                run.notes.append("not waited for (stopping): the config update is in progress")
        except UpdateFailed as exc:
            raise EndpointFailure("update-failed", redact_text(str(exc))) from exc
        except WaitTimeout as exc:
            raise EndpointFailure("timeout", str(exc)) from exc
        finally:
            run.waited = time.monotonic() - started

    async def _wait_settled(self, run: _Run) -> str:
        """Wait out an update someone else started: "landed" or "failed" (not ours to fail)."""
        name = run.action.name
        try:
            if not await self._wait(run):
                raise _NotStarted  # nothing of ours was written yet
        except UpdateFailed:
            log.info("%s: the update in progress before ours ended in failure", name)
            return "failed"
        except WaitTimeout as exc:
            raise EndpointFailure("timeout", f"an update already in progress did not finish: "
                                  f"{exc}") from exc
        return "landed"


def _failed(run: _Run, kind: FailureKind, message: str) -> EndpointOutcome:
    return EndpointOutcome(
        name=run.action.name, action=run.action.action, status="failed",
        facets=list(run.action.facets), requests=run.requests, failure=kind,
        error=redact_text(message), note="; ".join(run.notes) or None,
        waited_seconds=None if run.waited is None else round(run.waited, 3),
    )


def _guarded(step: PlanStep) -> bool:
    spec = facet_of_step(step)
    return spec is not None and spec.guarded


def _starts_update(step: PlanStep) -> bool:
    """A create, or a facet write that starts a config update (the facet table says which)."""
    spec = facet_of_step(step)
    return step.op == "create" or (spec is not None and spec.starts_update)


def _endpoint_id(endpoint: Mapping[str, Any] | None) -> str | None:
    found = (endpoint or {}).get("id")
    return found if isinstance(found, str) and found else None


def _is_ours(endpoint: Mapping[str, Any] | None, project: str) -> bool:
    return endpoint is not None and LiveEndpoint.of(endpoint).owned_by(project)


def _entities_match(body: Mapping[str, Any], found: Mapping[str, Any]) -> bool:
    """The served entities the create asked for are the ones found (active or pending)."""
    wanted = {e.get("name") for e in (body.get("config") or {}).get("served_entities") or []}
    wanted.discard(None)
    if not wanted:
        return True
    for key in ("pending_config", "config"):
        have = {e.get("name") for e in (found.get(key) or {}).get("served_entities") or []}
        if wanted <= have:
            return True
    return False
