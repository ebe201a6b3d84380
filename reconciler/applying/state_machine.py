"""One endpoint's apply as an explicit state machine: named states, the inputs that move them,
and ``decide``, the one place that chooses the next state.

The executor (``executor.py``) performs each state's effect (a read, a write, a wait, a
re-plan) and hands what happened back as an input; ``decide`` does no I/O. It records what
happened in the endpoint's ``Journal`` (requests sent, notes, accepted last-writer-wins writes,
the endpoint id) and returns the next state. Whether the user asked apply to stop is an input
of every transition (``StopLevel``), so stopping is decided here too, never by an exception.

    Begin        -> Failed (blocked) | Skipped (no-op) | NotStarted (stopping) | Reading
    Reading      -Read(updating)-> WaitingForeign   -Read-> Writing(0) | Done (already gone)
                 | CheckingGrants | Replanning (after a wait) | Failed (stale-plan, not-ours)
    CheckingGrants -GrantsRead-> Writing(0) | Failed (stale-plan: grants changed since the
                 plan, which its PUT of the whole list would remove unseen)
    WaitingForeign -Settled(landed|failed)-> Reading (same round after an update found in
                 progress, the next one after a 409) | Failed (timeout, kept changing)
    Replanning   -Replanned-> Writing(0) | CheckingGrants | Done (nothing left) | Reading
                 (next round) | Failed
    Writing(i)   -Accepted-> Writing(i+1) | WaitingOurs | Verifying | Normalising | Done
                 -Conflict(already exists)-> Adopting -Found-> ReplanningAdopted | Writing(i+1)
                 -Conflict(guarded facet)-> WaitingForeign (next round)
                 -NotFound(delete)-> as Accepted, noted "already deleted"
    WaitingOurs  -Settled | NotWaited | Abandoned-> Verifying | Normalising | Done
                 -UpdateEnded(failed or timeout)-> Failed
    Verifying    -ReadBack-> Normalising | Done | Failed (conflict: another writer won)
    Normalising  -Normalised-> Done
    any          -Errored-> Failed ; -Interrupted-> Interrupted (something written) | NotStarted

A stop request (first signal, ``StopLevel.FINISH``) ends an endpoint that has written nothing
yet as NotStarted at its next transition into Reading, WaitingForeign, Replanning or its first
Writing; an endpoint that has written something goes on to write the rest, and only its wait
for the rollout is abandoned (the executor settles it as Abandoned). ``StopLevel.NOW`` (second
signal) ends every endpoint at its next transition; the executor also cancels the effect in
flight and reports it as Interrupted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler import errors
from reconciler.applying.report import FailureKind
from reconciler.applying.states import (
    Abandoned,
    Accepted,
    Active,
    Adopting,
    Begin,
    CheckingGrants,
    Conflict,
    Crashed,
    Done,
    Errored,
    Event,
    Failed,
    Foreign,
    Found,
    GrantsRead,
    Interrupted,
    Journal,
    LiveBody,
    Normalised,
    Normalising,
    NotFound,
    NotStarted,
    NotWaited,
    Read,
    ReadBack,
    Reading,
    Replanned,
    Replanning,
    ReplanningAdopted,
    Settled,
    Skipped,
    Started,
    State,
    StopLevel,
    StoppedNow,
    Terminal,
    UpdateEnded,
    Verifying,
    WaitingForeign,
    WaitingOurs,
    Writing,
)
from reconciler.applying.verification import overwritten
from reconciler.diff.digest import live_digest
from reconciler.diff.facets import facet_of_step
from reconciler.diff.permissions import grants_moved
from reconciler.model.live import LiveEndpoint, Owner
from reconciler.model.steps import SetPermissionsStep
from reconciler.planning.plan import EndpointAction

ALREADY_EXISTS_CODES = frozenset({"RESOURCE_ALREADY_EXISTS", "ALREADY_EXISTS"})
MAX_ROUNDS = 3  # re-reads after waiting out someone else's update, before giving up

# -- the transition function ---------------------------------------------------------------


@dataclass(frozen=True)
class Machine:
    """The rules shared by every endpoint of one apply."""

    project: str
    can_replan: bool  # the caller has the manifests (not a saved plan)
    wait: bool  # wait for config updates to roll out (not --no-wait)
    project_id: str | None = None  # reconciler.yaml's; ownership is decided by it

    def _is_ours(self, endpoint: LiveEndpoint | None) -> bool:
        return endpoint is not None and endpoint.owned_by(self.project, self.project_id)

    def decide(self, state: Active, event: Event, journal: Journal, stop: StopLevel) -> State:
        """The next state after ``event`` happened in ``state``; records it in ``journal``."""
        if isinstance(event, StoppedNow):
            return _stopped(state, journal)
        if isinstance(event, Errored):
            kind: FailureKind = "conflict" if isinstance(event.error, errors.RegistryConflict) \
                else "registry"
            return Failed(state.action, kind, str(event.error))
        if isinstance(event, Crashed):
            return Failed(state.action, "internal",
                          f"{type(event.error).__name__}: {event.error}")
        following = self._follow(state, event, journal)
        if isinstance(following, Terminal):
            return following
        if stop is StopLevel.NOW:
            return _stopped(following, journal)
        if stop is StopLevel.FINISH and not journal.written and _before_writing(following):
            return NotStarted(state.action)
        return following

    def _follow(self, state: Active, event: Event, journal: Journal) -> State:
        match state, event:
            case Begin(), Started():
                return _begin(state.action)
            case Reading(), Read():
                return self._after_read(state, event.fresh, journal)
            case WaitingForeign(), Settled():
                if state.then_round >= MAX_ROUNDS:
                    return _kept_changing(state.action)
                return Reading(state.action, state.then_round, event.outcome,
                               settled=state.then_settled)
            case WaitingForeign(), UpdateEnded():
                return Failed(state.action, "timeout",
                              f"an update already in progress did not finish: {event.message}")
            case WaitingForeign(), Abandoned():
                return _stopped(state, journal)
            case Replanning(), Replanned():
                return self._after_replan(state, event.again, journal)
            case CheckingGrants(), GrantsRead():
                moved = grants_moved(state.step.seen or [], event.answer)
                if moved:
                    return Failed(state.action, "stale-plan", f"stale plan: the grants of "
                                  f"{state.action.name!r} changed since the plan was made "
                                  f"({'; '.join(moved)}), and its PUT of the whole list would "
                                  "undo that unseen; run `reconciler plan` again and apply the "
                                  "new plan")
                journal.grants_checked = True
                return self._next_write(state.action, 0, journal, state.round, state.foreign)
            case Writing(), Accepted():
                journal.record_write(state.step, event)
                return self._next_write(state.action, state.index + 1, journal, state.round,
                                        state.foreign)
            case Writing(), Conflict():
                return self._after_conflict(state, event, journal)
            case Writing(), NotFound():
                if state.step.op != "delete":
                    return Failed(state.action, "registry", str(event.error))
                journal.notes.append("already deleted")
                journal.written = True
                journal.requests.append(event.request)
                return self._next_write(state.action, state.index + 1, journal, state.round,
                                        state.foreign)
            case Adopting(), Found():
                return self._after_found(state, event.found, journal)
            case ReplanningAdopted(), Replanned():
                again = event.again
                # Grants are not a difference here: this action's own permissions step,
                # next, writes them to the endpoint found.
                if again.blocked or any(c.facet != "permissions" for c in again.changes) \
                        or again.action not in ("no-op", "update"):
                    return Failed(state.action, "conflict", f"{state.action.name!r} was "
                                  "created meanwhile (by another apply?) with other settings; "
                                  "run plan again")
                return self._adopted(state, journal)
            case WaitingOurs(), NotWaited():
                journal.notes.append("not waited for (--no-wait): the config update is in "
                                     "progress")
                return self._verify_or_finish(state.action, journal)
            case WaitingOurs(), Settled():
                journal.waited = event.seconds
                return self._verify_or_finish(state.action, journal)
            case WaitingOurs(), Abandoned():
                journal.waited = event.seconds
                journal.notes.append("not waited for (stopping): the config update is in "
                                     "progress")
                return self._verify_or_finish(state.action, journal)
            case WaitingOurs(), UpdateEnded():
                journal.waited = event.seconds
                return Failed(state.action, event.kind, event.message)
            case Verifying(), ReadBack():
                lost = overwritten(journal.unguarded, event.fresh)
                if lost:
                    return Failed(state.action, "conflict", f"{state.action.name!r}: "
                                  f"{'; '.join(lost)}: what this apply wrote was replaced by "
                                  "another writer at the same time (another apply?); run "
                                  "`reconciler plan` again to see the live values and apply "
                                  "the new plan")
                return self._normalise_or_finish(state.action, journal)
            case Normalising(), Normalised():
                journal.notes.extend(event.notes)
                return Done(state.action)
        return Failed(state.action, "internal",
                      f"apply has no transition from {type(state).__name__} on "
                      f"{type(event).__name__}")

    def _after_read(self, state: Reading, fresh: LiveBody | None, journal: Journal) -> State:
        action = state.action
        if not state.settled and fresh is not None and fresh.updating:
            return WaitingForeign(action, then_round=state.round, then_settled=True,
                                  foreign=state.foreign)
        if action.action == "delete" and fresh is None:
            journal.notes.append("already deleted")
            return Done(action.model_copy(update={"steps": []}))
        if action.action == "delete" and not self._is_ours(fresh):
            tags = ", ".join(f"{k}={v}" for k, v in
                             Owner(self.project, self.project_id).tags().items())
            return Failed(action, "not-ours", f"refusing to delete {action.name!r}: it does "
                          f"not carry this project's ownership tags ({tags})")
        if _digest(fresh) == action.live_digest:
            journal.endpoint_id = _endpoint_id(fresh)
            return self._next_write(action, 0, journal, state.round, state.foreign)
        if state.foreign is not None and self.can_replan:
            return Replanning(action, state.round, state.foreign, fresh)
        what = "was deleted" if fresh is None else (
            "now exists" if action.live_digest is None else "changed")
        return Failed(action, "stale-plan", f"stale plan: {action.name!r} {what} since the "
                      "plan was made; run `reconciler plan` again and apply the new plan")

    def _after_replan(self, state: Replanning, again: EndpointAction, journal: Journal) -> State:
        # Re-planning over someone else's update that landed would revert it without anyone
        # being told (a lost update); only one that failed, or one that already made the
        # endpoint what we want, lets apply go on.
        if state.foreign is not Foreign.FAILED and again.action != "no-op":
            return Failed(state.action, "stale-plan", f"stale plan: {state.action.name!r} was "
                          "changed by another update while apply waited for it; run "
                          "`reconciler plan` again to review that change and apply the new "
                          "plan")
        journal.notes.append("re-planned after an update in progress finished")
        if again.action == "no-op":
            return Done(again)
        if again.live_digest != _digest(state.fresh):
            return Reading(again, state.round + 1, state.foreign)  # moved again: re-read
        journal.endpoint_id = _endpoint_id(state.fresh)
        return self._next_write(again, 0, journal, state.round, state.foreign)

    def _after_conflict(self, state: Writing, event: Conflict, journal: Journal) -> State:
        step = state.step
        if step.op == "create" and event.error.error_code in ALREADY_EXISTS_CODES:
            return Adopting(state.action, state.index, event.error.attempts > 1, event.request)
        spec = facet_of_step(step)
        if spec is not None and spec.guarded:
            # The service refuses a write while an update is in progress: wait it out and go
            # round (re-read, re-check), never retry blindly.
            journal.requests.append(f"{event.request} (409)")
            return WaitingForeign(state.action, then_round=state.round + 1, then_settled=False,
                                  foreign=state.foreign)
        return Failed(state.action, "conflict", str(event.error))

    def _after_found(self, state: Adopting, found: LiveBody | None, journal: Journal) -> State:
        """Our create found the name taken: is it the endpoint we wanted?

        Two ways this happens: our create was retried after its answer was lost (the first
        attempt reached the server), or another apply of this project created it since our
        re-read. Either way the endpoint counts as done only if it carries our ownership tag
        and matches the manifest: re-planned against it, nothing is left to change (when
        re-planning is possible) or, for a saved plan, its served entities are the ones asked
        for after a retry. Anything else is a conflict for the user to look at.
        """
        journal.endpoint_id = _endpoint_id(found)
        taken = Failed(state.action, "conflict", f"{state.action.name!r} already exists and "
                       "is not the endpoint this apply created; run plan again")
        if found is None or not self._is_ours(found):
            return taken
        if self.can_replan:
            return ReplanningAdopted(state.action, state.index, state.retried, state.request,
                                     found)
        body = state.action.steps[state.index].wire_body() or {}
        if not (state.retried and found.serves(_asked_entities(body))):
            return taken
        return self._adopted(state, journal)

    def _adopted(self, state: Adopting | ReplanningAdopted, journal: Journal) -> State:
        journal.notes.append("create was retried and found its endpoint already created"
                             if state.retried else "already created meanwhile by another "
                             "apply, with the same settings")
        journal.written = True
        journal.update_started = True
        journal.requests.append(state.request)
        return self._next_write(state.action, state.index + 1, journal)

    def _next_write(self, action: EndpointAction, index: int, journal: Journal,
                    round_: int = 0, foreign: Foreign | None = None) -> State:
        if index >= len(action.steps):
            if journal.update_started:
                return WaitingOurs(action)
            return self._verify_or_finish(action, journal)
        step = action.steps[index]
        if step.op == "set_permissions" and journal.endpoint_id is None:
            return Failed(action, "registry", f"{action.name!r}: no endpoint id to write its "
                          "permissions to (the endpoint's answer had none); run apply again")
        put = _grants_precondition(action) if index == 0 and not journal.grants_checked \
            else None
        if put is not None:
            if journal.endpoint_id is None:
                return Failed(action, "registry", f"{action.name!r}: no endpoint id to read "
                              "its grants with (the endpoint's answer had none); run apply "
                              "again")
            return CheckingGrants(action, put, round_, foreign)
        return Writing(action, index, round_, foreign)

    def _verify_or_finish(self, action: EndpointAction, journal: Journal) -> State:
        if journal.unguarded:
            return Verifying(action)
        return self._normalise_or_finish(action, journal)

    def _normalise_or_finish(self, action: EndpointAction, journal: Journal) -> State:
        if journal.update_started and self.wait and action.action != "delete":
            return Normalising(action)
        return Done(action)


def _begin(action: EndpointAction) -> State:
    if action.blocked:
        # The reason says why and what to do (--allow-recreate, another project's endpoint,
        # a Databricks-provided endpoint that does not exist).
        reason = action.reason or "see the plan"
        if "recreate" in reason and "--allow-recreate" not in reason:
            reason += "; re-run with --allow-recreate"
        return Failed(action, "conflict", f"blocked: {reason}", announce=False)
    if action.action == "no-op":
        return Skipped(action, action.reason or "no changes")
    return Reading(action)


def _before_writing(state: State) -> bool:
    """A state an endpoint reaches before its first write (a stop ends it there)."""
    return isinstance(state, Reading | WaitingForeign | Replanning | CheckingGrants) or (
        isinstance(state, Writing) and state.index == 0)


def _stopped(state: State, journal: Journal) -> State:
    """Where an endpoint ends when apply is told to stop at once in ``state``."""
    if isinstance(state, Terminal):
        return state
    if isinstance(state, WaitingOurs | Verifying | Normalising):
        # Every write was accepted: the endpoint is at its desired state (or rolling out).
        journal.notes.append(f"every write sent; stopped at once instead of {state.doing}")
        return Done(state.action)
    if not journal.written:
        return NotStarted(state.action)
    return Interrupted(state.action, state.doing)


def _grants_precondition(action: EndpointAction) -> SetPermissionsStep | None:
    """The action's PUT of the whole grant list, planned against the grants it ``saw``."""
    for step in action.steps:
        if isinstance(step, SetPermissionsStep) and step.seen is not None:
            return step
    return None


def _kept_changing(action: EndpointAction) -> Failed:
    return Failed(action, "conflict", "the endpoint kept changing under apply (updates by "
                  "someone else); run plan and apply again")


# -- helpers -------------------------------------------------------------------------------


def _digest(fresh: LiveBody | None) -> str | None:
    return None if fresh is None else live_digest(fresh)


def _endpoint_id(endpoint: LiveEndpoint | None) -> str | None:
    return None if endpoint is None else endpoint.id or None


def _asked_entities(create: Mapping[str, Any]) -> set[str]:
    """The served entity names a create body asks for (our own body: a known shape)."""
    config = create.get("config") or {}
    return {e["name"] for e in config.get("served_entities") or [] if e.get("name")}
