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

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler import errors
from reconciler.applying.report import NOT_STARTED_NOTE, EndpointOutcome, FailureKind
from reconciler.applying.verification import Written, needs_verifying, overwritten
from reconciler.diff.digest import live_digest
from reconciler.diff.facets import facet_of_step
from reconciler.diff.permissions import change_path, live_direct_grants, written_grants
from reconciler.model.live import LiveEndpoint, Owner
from reconciler.model.steps import PlanStep, SetPermissionsStep
from reconciler.planning.plan import EndpointAction
from reconciler.redaction import redact_text

ALREADY_EXISTS_CODES = frozenset({"RESOURCE_ALREADY_EXISTS", "ALREADY_EXISTS"})
MAX_ROUNDS = 3  # re-reads after waiting out someone else's update, before giving up

LiveBody = LiveEndpoint  # the registry's typed read (reconciler/model/live.py)


class StopLevel(enum.IntEnum):
    """What the user asked for: nothing, finish what is being written (a first SIGINT or
    SIGTERM), or stop at once (a second one)."""

    NONE = 0
    FINISH = 1
    NOW = 2


class Foreign(enum.Enum):
    """How someone else's config update that apply waited out ended."""

    LANDED = "landed"
    FAILED = "failed"


@dataclass
class Journal:
    """What has happened to one endpoint so far: the facts the report is built from."""

    planned: EndpointAction  # the action as planned (the report names its kind)
    requests: list[str] = field(default_factory=list)  # "PUT /api/2.0/...", as issued
    notes: list[str] = field(default_factory=list)
    waited: float | None = None  # seconds spent waiting for our own config update
    written: bool = False  # a write was accepted: from then on the endpoint is finished
    update_started: bool = False  # a create or config write: wait for the rollout
    unguarded: list[Written] = field(default_factory=list)  # checked by one read at the end
    endpoint_id: str | None = None  # keys the grants: from the re-read or the create answer
    grants_checked: bool = False  # the grants a planned PUT was made against are still live


# -- states ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Begin:
    action: EndpointAction
    doing = "starting"


@dataclass(frozen=True)
class Reading:
    """Re-read the endpoint (a create whose name the start-up listing did not have: no GET)."""

    action: EndpointAction
    round: int = 0
    foreign: Foreign | None = None  # the last foreign update waited out, if any
    settled: bool = False  # this read follows a wait in the same round: GET, no busy check
    doing = "re-reading the endpoint"


@dataclass(frozen=True)
class WaitingForeign:
    """Wait out a config update someone else started (found at the re-read, or a 409)."""

    action: EndpointAction
    then_round: int  # the round of the read that follows
    then_settled: bool
    foreign: Foreign | None = None
    doing = "waiting for an update already in progress"


@dataclass(frozen=True)
class Replanning:
    """Plan the endpoint again from what is live after someone else's update ended."""

    action: EndpointAction
    round: int
    foreign: Foreign
    fresh: LiveBody | None
    doing = "re-planning after an update in progress finished"


@dataclass(frozen=True)
class CheckingGrants:
    """Read the grants again before the first write: the action PUTs the whole list."""

    action: EndpointAction
    step: SetPermissionsStep  # the PUT, with the grants it was planned against
    round: int = 0
    foreign: Foreign | None = None
    doing = "re-reading the endpoint's grants"


@dataclass(frozen=True)
class Writing:
    """Send the action's step ``index`` (steps in the facet table's order)."""

    action: EndpointAction
    index: int
    round: int = 0
    foreign: Foreign | None = None

    @property
    def step(self) -> PlanStep:
        return self.action.steps[self.index]

    @property
    def doing(self) -> str:
        return f"writing {self.step.facet} ({self.step.op})"


@dataclass(frozen=True)
class Adopting:
    """Our create was answered "already exists": read what is there."""

    action: EndpointAction
    index: int
    retried: bool  # the create was sent more than once (an answer was lost)
    request: str
    doing = "reading the endpoint its create found already there"


@dataclass(frozen=True)
class ReplanningAdopted:
    """Plan the found endpoint against the manifest: is it the one we wanted?"""

    action: EndpointAction
    index: int
    retried: bool
    request: str
    found: LiveBody
    doing = "comparing the endpoint found with the manifest"


@dataclass(frozen=True)
class WaitingOurs:
    action: EndpointAction
    doing = "waiting for the config update"


@dataclass(frozen=True)
class Verifying:
    """Read the endpoint once to check our last-writer-wins writes are still live."""

    action: EndpointAction
    doing = "reading back what was written"


@dataclass(frozen=True)
class Normalising:
    action: EndpointAction
    doing = "recording the values the service normalised"


@dataclass(frozen=True)
class Done:
    action: EndpointAction  # the action finally carried out (a re-plan may have replaced it)


@dataclass(frozen=True)
class Skipped:
    action: EndpointAction
    note: str


@dataclass(frozen=True)
class NotStarted:
    action: EndpointAction


@dataclass(frozen=True)
class Failed:
    action: EndpointAction
    kind: FailureKind
    message: str
    announce: bool = True  # tell the progress display (not for a blocked action)


@dataclass(frozen=True)
class Interrupted:
    action: EndpointAction
    doing: str  # what was in progress when apply stopped at once


Active = (Begin | Reading | WaitingForeign | Replanning | CheckingGrants | Writing | Adopting
          | ReplanningAdopted | WaitingOurs | Verifying | Normalising)
Terminal = Done | Skipped | NotStarted | Failed | Interrupted
State = Active | Terminal

# States whose effect is a request (or a re-plan between a read and a write) run in a
# ``--parallelism`` slot. The re-read, the check and the writes keep one slot from state to
# state (another writer's window is one round trip, not the time spent queueing); the read
# back and the normalisation record each queue for a slot of their own, as any new request.
SLOT_KEPT = (Reading, Replanning, CheckingGrants, Writing, Adopting, ReplanningAdopted)
SLOT_OWN = (Verifying, Normalising)


# -- inputs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Started:
    pass


@dataclass(frozen=True)
class Read:
    fresh: LiveBody | None


@dataclass(frozen=True)
class Settled:
    """A wait ended with the endpoint no longer updating (ours: our update landed)."""

    outcome: Foreign = Foreign.LANDED
    seconds: float = 0.0


@dataclass(frozen=True)
class UpdateEnded:
    """A wait ended badly: our update failed, or a wait passed its deadline."""

    kind: FailureKind  # "update-failed" or "timeout"
    message: str
    seconds: float = 0.0


@dataclass(frozen=True)
class Abandoned:
    """A wait was given up because apply is stopping."""

    seconds: float = 0.0


@dataclass(frozen=True)
class NotWaited:
    """``--no-wait``: our config update was not waited for."""


@dataclass(frozen=True)
class Replanned:
    again: EndpointAction


@dataclass(frozen=True)
class Accepted:
    request: str  # "METHOD PATH"
    body: Mapping[str, Any] | None
    answer: Mapping[str, Any]


@dataclass(frozen=True)
class Conflict:
    request: str
    error: errors.RegistryConflict


@dataclass(frozen=True)
class NotFound:
    request: str
    error: errors.RegistryNotFound


@dataclass(frozen=True)
class Found:
    found: LiveBody | None


@dataclass(frozen=True)
class ReadBack:
    fresh: dict[str, Any] | None  # the GET body with each facet read apart under its key


@dataclass(frozen=True)
class GrantsRead:
    answer: Mapping[str, Any]  # the ACL GET, shape-checked by the registry


@dataclass(frozen=True)
class Normalised:
    notes: list[str]


@dataclass(frozen=True)
class Errored:
    error: errors.RegistryError


@dataclass(frozen=True)
class Crashed:
    """A bug in the effect: reported for this endpoint, never stopping the others."""

    error: Exception


@dataclass(frozen=True)
class StoppedNow:
    """The effect in flight was cancelled because apply was told to stop at once."""


Event = (Started | Read | Settled | UpdateEnded | Abandoned | NotWaited | Replanned | Accepted
         | Conflict | NotFound | Found | ReadBack | GrantsRead | Normalised | Errored | Crashed
         | StoppedNow)


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
                moved = grants_moved(state.step, event.answer)
                if moved:
                    return Failed(state.action, "stale-plan", f"stale plan: the grants of "
                                  f"{state.action.name!r} changed since the plan was made "
                                  f"({'; '.join(moved)}), and its PUT of the whole list would "
                                  "undo that unseen; run `reconciler plan` again and apply the "
                                  "new plan")
                journal.grants_checked = True
                return self._next_write(state.action, 0, journal, state.round, state.foreign)
            case Writing(), Accepted():
                _record_write(state.step, event, journal)
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
        if not (state.retried and _entities_match(body, found.raw)):
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


def grants_moved(step: SetPermissionsStep, answer: Mapping[str, Any]) -> list[str]:
    """Each principal whose direct grant is not what ``step`` was planned against. Pure."""
    seen = {p.identity: (p, level) for p, level in
            written_grants([g.model_dump(exclude_none=True) for g in step.seen or []]).items()}
    live = {p.identity: (p, level) for p, level in live_direct_grants(answer).items()}
    moved: list[str] = []
    for ident in sorted(set(seen) | set(live)):
        match seen.get(ident), live.get(ident):
            case None, (principal, level):
                moved.append(f"{change_path(principal)} granted {level} since")
            case (principal, level), None:
                moved.append(f"{change_path(principal)} removed since (was {level})")
            case (principal, was), (_, now) if was != now:
                moved.append(f"{change_path(principal)} now {now} (the plan saw {was})")
    return moved


def _kept_changing(action: EndpointAction) -> Failed:
    return Failed(action, "conflict", "the endpoint kept changing under apply (updates by "
                  "someone else); run plan and apply again")


def _record_write(step: PlanStep, event: Accepted, journal: Journal) -> None:
    if needs_verifying(step):
        journal.unguarded.append(Written(step, event.body, event.answer))
    if step.op == "create":
        journal.endpoint_id = _answer_id(event.answer)  # a new id: grants go there
    elif step.op == "delete":
        journal.endpoint_id = None
    journal.written = True
    journal.requests.append(event.request)
    spec = facet_of_step(step)
    journal.update_started |= step.op == "create" or (spec is not None and spec.starts_update)


# -- the outcome ---------------------------------------------------------------------------


def outcome(state: Terminal, journal: Journal) -> EndpointOutcome:
    """The report's line for an endpoint that reached ``state``."""
    planned = journal.planned
    note = "; ".join(journal.notes) or None
    waited = None if journal.waited is None else round(journal.waited, 3)
    match state:
        case Done(action=final):
            return EndpointOutcome(
                name=final.name, action=planned.action,
                status="skipped" if final.action == "no-op" else "done",
                facets=list(final.facets), requests=journal.requests, note=note,
                waited_seconds=waited)
        case Skipped():
            return EndpointOutcome(name=planned.name, action=planned.action, status="skipped",
                                   note=state.note)
        case NotStarted():
            return EndpointOutcome(name=planned.name, action=planned.action,
                                   status="not-started", facets=list(planned.facets),
                                   note=NOT_STARTED_NOTE)
        case Failed():
            return EndpointOutcome(
                name=state.action.name, action=state.action.action, status="failed",
                facets=list(state.action.facets), requests=journal.requests,
                failure=state.kind, error=redact_text(state.message), note=note,
                waited_seconds=waited)
        case Interrupted():
            stopped = f"stopped at once while {state.doing}"
            return EndpointOutcome(
                name=state.action.name, action=planned.action, status="interrupted",
                facets=list(state.action.facets), requests=journal.requests,
                note="; ".join([*journal.notes, stopped]), waited_seconds=waited)


# -- helpers -------------------------------------------------------------------------------


def _digest(fresh: LiveBody | None) -> str | None:
    return None if fresh is None else live_digest(fresh)


def _endpoint_id(endpoint: LiveEndpoint | None) -> str | None:
    return None if endpoint is None else endpoint.id or None


def _answer_id(answer: Mapping[str, Any]) -> str | None:
    """The id in a create's answer (a write's answer, not a read: no LiveEndpoint)."""
    found = answer.get("id")
    return found if isinstance(found, str) and found else None




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
