"""What one endpoint's apply can be in, and what can happen to it: the state machine's words.

The states (``Begin`` ... ``Normalising``, then the end states ``Done``, ``Skipped``,
``NotStarted``, ``Failed``, ``Interrupted``), the inputs the executor's effects hand back
(``Read``, ``Accepted``, ``Conflict`` ...), the user's ``StopLevel``, the endpoint's
``Journal``, and the report line an end state makes (``outcome``). No transitions here:
``state_machine.Machine.decide`` is the one place that moves from one state to the next (the
diagram is in its module docstring), and ``executor`` performs each state's effect.
"""
from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler import errors
from reconciler.applying.report import NOT_STARTED_NOTE, EndpointOutcome, FailureKind
from reconciler.applying.verification import Written, needs_verifying
from reconciler.diff.facets import facet_of_step
from reconciler.model.live import LiveEndpoint
from reconciler.model.steps import PlanStep, SetPermissionsStep
from reconciler.planning.plan import EndpointAction
from reconciler.redaction import redact_text

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

    def record_write(self, step: PlanStep, event: Accepted) -> None:
        """An accepted write: sent, to be read back if last-writer-wins, waited for if it
        starts an update; a create's answer gives the id its grants go to."""
        if needs_verifying(step):
            self.unguarded.append(Written(step, event.body, event.answer))
        if step.op == "create":
            self.endpoint_id = _answer_id(event.answer)  # a new id: grants go there
        elif step.op == "delete":
            self.endpoint_id = None
        self.written = True
        self.requests.append(event.request)
        spec = facet_of_step(step)
        self.update_started |= step.op == "create" or (spec is not None and spec.starts_update)


def _answer_id(answer: Mapping[str, Any]) -> str | None:
    """The id in a create's answer (a write's answer, not a read: no LiveEndpoint)."""
    found = answer.get("id")
    return found if isinstance(found, str) and found else None


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
