"""The executor's transition function alone: no emulator, no event loop.

``Machine.decide`` is the one place that chooses an endpoint's next state; these pin the
transitions whose inputs the golden apply cases cannot easily script (a stop at each kind of
state, an input a state does not expect, the round limit).
"""

from __future__ import annotations

from reconciler import errors
from reconciler.applying import state_machine as sm
from reconciler.applying import states as st
from reconciler.diff.permissions import grants_moved
from reconciler.model.live import LiveEndpoint
from reconciler.model.steps import (
    GrantSeen,
    GrantWrite,
    PatchTagsStep,
    SetPermissionsStep,
    UpdateConfigStep,
)
from reconciler.planning.plan import EndpointAction

MACHINE = sm.Machine(project="proj", can_replan=True, wait=True)
LIVE = {"name": "a", "id": "id-a", "state": {"config_update": "NOT_UPDATING"},
        "tags": [{"key": "reconciler-project", "value": "proj"}]}


def update(digest: str | None) -> EndpointAction:
    return EndpointAction(name="a", action="update", facets=["config", "tags"],
                          live_digest=digest, steps=[
        UpdateConfigStep(endpoint="a", body={"served_entities": []}),
        PatchTagsStep(endpoint="a", add_tags=[{"key": "tier", "value": "gold"}])])


def digest() -> str:
    return sm._digest(LiveEndpoint.of(LIVE)) or ""


def test_a_fresh_read_goes_to_the_first_write_and_records_the_id() -> None:
    journal = st.Journal(update(digest()))
    state = MACHINE.decide(st.Reading(update(digest())), st.Read(LiveEndpoint.of(LIVE)), journal,
                           st.StopLevel.NONE)
    assert isinstance(state, st.Writing) and state.index == 0
    assert journal.endpoint_id == "id-a"


def test_a_first_stop_before_any_write_ends_as_not_started() -> None:
    action = update(digest())
    cases: list[tuple[st.Active, st.Event]] = [(st.Begin(action), st.Started()),
                                               (st.Reading(action), st.Read(LiveEndpoint.of(LIVE)))]
    for state, event in cases:
        journal = st.Journal(action)
        assert isinstance(MACHINE.decide(state, event, journal, st.StopLevel.FINISH),
                          st.NotStarted)


def test_a_first_stop_after_a_write_lets_the_endpoint_finish_its_writes() -> None:
    action = update(digest())
    journal = st.Journal(action)
    accepted = st.Accepted("PUT /config", {}, {"name": "a"})
    state = MACHINE.decide(st.Writing(action, 0), accepted, journal, st.StopLevel.FINISH)
    assert isinstance(state, st.Writing) and state.index == 1
    assert journal.written and journal.update_started


def test_a_stop_now_mid_endpoint_is_interrupted_with_what_was_sent() -> None:
    action = update(digest())
    journal = st.Journal(action)
    accepted = st.Accepted("PUT /config", {}, {"name": "a"})
    state = MACHINE.decide(st.Writing(action, 0), accepted, journal, st.StopLevel.NOW)
    assert isinstance(state, st.Interrupted)
    outcome = st.outcome(state, journal)
    assert outcome.status == "interrupted" and outcome.requests == ["PUT /config"]
    assert "stopped at once while writing tags" in (outcome.note or "")


def test_a_stop_now_once_everything_is_written_is_done_without_waiting() -> None:
    action = update(digest())
    journal = st.Journal(action, written=True, update_started=True)
    state = MACHINE.decide(st.WaitingOurs(action), st.StoppedNow(), journal, st.StopLevel.NOW)
    assert isinstance(state, st.Done)
    assert "stopped at once instead of waiting" in journal.notes[0]


def test_a_cancelled_call_before_any_write_is_not_started() -> None:
    action = update(digest())
    state = MACHINE.decide(st.Reading(action), st.StoppedNow(), st.Journal(action),
                           st.StopLevel.NOW)
    assert isinstance(state, st.NotStarted)


def test_someone_elses_updates_end_the_endpoint_after_three_rounds() -> None:
    action = update(digest())
    waiting = st.WaitingForeign(action, then_round=sm.MAX_ROUNDS, then_settled=False)
    state = MACHINE.decide(waiting, st.Settled(), st.Journal(action), st.StopLevel.NONE)
    assert isinstance(state, st.Failed) and state.kind == "conflict"
    assert "kept changing" in state.message


def test_an_input_a_state_does_not_expect_is_an_internal_failure_not_a_crash() -> None:
    action = update(digest())
    state = MACHINE.decide(st.Verifying(action), st.Started(), st.Journal(action),
                           st.StopLevel.NONE)
    assert isinstance(state, st.Failed) and state.kind == "internal"
    assert "no transition from Verifying on Started" in state.message


def test_registry_errors_map_to_failure_kinds() -> None:
    action = update(digest())
    conflict = errors.RegistryConflict("409 taken")
    other = errors.RegistryRejected("400 bad")
    for error, kind in [(conflict, "conflict"), (other, "registry")]:
        state = MACHINE.decide(st.Writing(action, 0), st.Errored(error), st.Journal(action),
                               st.StopLevel.NONE)
        assert isinstance(state, st.Failed) and state.kind == kind


def put_grants(digest: str | None) -> EndpointAction:
    """Tags, then a PUT of the grants planned against ``group:ds`` at CAN_VIEW."""
    return EndpointAction(name="a", action="update", facets=["tags", "permissions"],
                          live_digest=digest, steps=[
        PatchTagsStep(endpoint="a", add_tags=[{"key": "tier", "value": "gold"}]),
        SetPermissionsStep(endpoint="a", replace=True, access_control_list=[
            GrantWrite(user_name="me@example.com", permission_level="CAN_MANAGE")],
            seen=[GrantSeen(group_name="ds", permission_level="CAN_VIEW"),
                  GrantSeen(user_name="me@example.com", permission_level="CAN_MANAGE")])])


def acl(*grants: tuple[str, str, str]) -> dict[str, object]:
    return {"access_control_list": [
        {kind: name, "all_permissions": [{"permission_level": level, "inherited": False}]}
        for kind, name, level in grants]}


PLANNED = (("group_name", "ds", "CAN_VIEW"), ("user_name", "me@example.com", "CAN_MANAGE"))


def test_a_planned_put_of_the_grants_rereads_them_before_the_first_write() -> None:
    action = put_grants(digest())
    journal = st.Journal(action)
    state = MACHINE.decide(st.Reading(action), st.Read(LiveEndpoint.of(LIVE)), journal,
                           st.StopLevel.NONE)
    assert isinstance(state, st.CheckingGrants)
    state = MACHINE.decide(state, st.GrantsRead(acl(*PLANNED)), journal, st.StopLevel.NONE)
    assert isinstance(state, st.Writing) and state.index == 0 and journal.grants_checked


def test_grants_changed_since_the_plan_refuse_the_put_before_anything_is_written() -> None:
    action = put_grants(digest())
    journal = st.Journal(action, endpoint_id="id-a")
    changed = acl(("group_name", "ds", "CAN_MANAGE"), PLANNED[1],
                  ("user_name", "mallory@example.com", "CAN_QUERY"))
    put = action.steps[1]
    assert isinstance(put, SetPermissionsStep)
    state = MACHINE.decide(st.CheckingGrants(action, put), st.GrantsRead(changed), journal,
                           st.StopLevel.NONE)
    assert isinstance(state, st.Failed) and state.kind == "stale-plan"
    assert "permissions[group:ds] now CAN_MANAGE (the plan saw CAN_VIEW)" in state.message
    assert "permissions[user:mallory@example.com] granted CAN_QUERY since" in state.message
    assert journal.requests == [] and not journal.written
    removed = acl(PLANNED[1])
    assert grants_moved(put.seen or [], removed) == [
        "permissions[group:ds] removed since (was CAN_VIEW)"]


def test_a_first_stop_while_checking_the_grants_starts_nothing() -> None:
    action = put_grants(digest())
    journal = st.Journal(action, endpoint_id="id-a")
    state = MACHINE.decide(st.Reading(action), st.Read(LiveEndpoint.of(LIVE)), journal,
                           st.StopLevel.FINISH)
    assert isinstance(state, st.NotStarted)
