"""The executor against the real emulator in-process: failures, waits, conflicts, staleness.

Plans are built by hand here (the planner has its own tests) so each case pins exactly the
requests apply issues.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.registry_harness import FAST_WAITS, EmulatorHarness, emulator_registry

from reconciler import errors
from reconciler.applying.executor import ApplyOptions, apply_plan
from reconciler.applying.report import ApplyReport
from reconciler.applying.waiting import WaitSettings
from reconciler.diff.digest import live_digest
from reconciler.model.steps import CreateStep, DeleteStep, PatchTagsStep, UpdateConfigStep
from reconciler.planning.plan import EndpointAction, Plan
from reconciler.planning.planner import OWNERSHIP_TAG
from reconciler.registry import API, endpoint_path

PROJECT = "proj"
OURS = {"key": OWNERSHIP_TAG, "value": PROJECT}


def entity(name: str = "chat", model: str = "gpt-4o") -> dict[str, Any]:
    return {"name": name, "external_model": {
        "name": model, "provider": "openai", "task": "llm/v1/chat",
        "openai_config": {"openai_api_key": "{{secrets/s/k}}"}}}


def create_body(name: str, *, tags: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"name": name, "config": {"served_entities": [entity()]},
            "tags": [OURS] if tags is None else tags}


def create_action(name: str, body: dict[str, Any] | None = None) -> EndpointAction:
    return EndpointAction(name=name, action="create", facets=["config", "tags"], steps=[
        CreateStep(endpoint=name, body=body or create_body(name))])


def tag_action(name: str, digest: str | None, key: str, value: str) -> EndpointAction:
    return EndpointAction(name=name, action="update", facets=["tags"], live_digest=digest,
                          steps=[PatchTagsStep(
                              endpoint=name, add_tags=[{"key": key, "value": value}])])


def config_action(name: str, digest: str | None, model: str) -> EndpointAction:
    return EndpointAction(name=name, action="update", facets=["config"], live_digest=digest,
                          steps=[UpdateConfigStep(
                              endpoint=name, body={"served_entities": [entity(model=model)]})])


def plan_of(*actions: EndpointAction) -> Plan:
    return Plan(project=PROJECT, target_name="test", actions=list(actions))


async def apply(emu: EmulatorHarness, plan: Plan, **options: Any) -> ApplyReport:
    options.setdefault("wait_settings", FAST_WAITS)
    return await apply_plan(plan, emu.registry, ApplyOptions(**options))


async def seed(emu: EmulatorHarness, *names: str) -> dict[str, str]:
    """Create endpoints (ours), wait until settled; their digests by name."""
    report = await apply(emu, plan_of(*(create_action(n) for n in names)))
    assert report.ok, report.failed
    digests = {}
    for name in names:
        found = await emu.registry.read_endpoint(name)
        assert found is not None
        digests[name] = live_digest(found)
    return digests


def run(tmp_path: Path, scenario: Callable[[EmulatorHarness], Awaitable[None]],
        **settings: Any) -> None:
    async def main() -> None:
        async with emulator_registry(tmp_path, **settings) as emu:
            await scenario(emu)

    asyncio.run(main())


def test_one_failure_does_not_stop_the_others(tmp_path: Path) -> None:
    async def scenario(emu: EmulatorHarness) -> None:
        bad = create_body("bad")
        bad["config"]["served_entities"][0]["external_model"]["provider"] = "no-such-provider"
        report = await apply(emu, plan_of(create_action("good-1"), create_action("bad", bad),
                                          create_action("good-2")))
        assert [o.status for o in report.outcomes] == ["failed", "done", "done"]
        failed = report.failed[0]
        assert failed.name == "bad" and failed.failure == "registry"
        assert "POST /api/2.0/serving-endpoints -> 400" in (failed.error or "")
        assert {e["name"] for e in await emu.registry.list_endpoints()} == {"good-1", "good-2"}

    run(tmp_path, scenario)


def test_waiting_costs_one_list_call_per_poll(tmp_path: Path) -> None:
    async def scenario(emu: EmulatorHarness) -> None:
        names = [f"ep-{i}" for i in range(12)]
        report = await apply(emu, plan_of(*(create_action(n) for n in names)))
        assert report.ok
        requests = emu.requests()
        lists = [r for r in requests if r["method"] == "GET" and r["path"] == API]
        gets = [r for r in requests if r["method"] == "GET" and r["path"] != API]
        # Waits poll the list; once ready, each created endpoint is read once, for values
        # the service kept instead of those sent (applying/normalisation.py).
        assert sorted(r["path"] for r in gets) == sorted(f"{API}/{n}" for n in names)
        # 1 list before creating + one per poll; waiting 0.3 s at >= 20 ms a poll.
        assert 2 <= len(lists) <= 1 + 0.3 / 0.02 + 2
        assert all((o.waited_seconds or 0) >= 0.2 for o in report.outcomes)

    run(tmp_path, scenario, ready_after=0.3)


def test_update_failed_is_reported_for_that_endpoint(tmp_path: Path) -> None:
    async def scenario(emu: EmulatorHarness) -> None:
        digests = await seed(emu, "a", "b")
        await emu.control("fail-next-update", {"name": "a"})
        report = await apply(emu, plan_of(config_action("a", digests["a"], "gpt-4o-mini"),
                                          config_action("b", digests["b"], "gpt-4o-mini")))
        by_name = {o.name: o for o in report.outcomes}
        assert by_name["a"].status == "failed" and by_name["a"].failure == "update-failed"
        assert "UPDATE_FAILED" in (by_name["a"].error or "")
        assert by_name["b"].status == "done"

    run(tmp_path, scenario)


def test_an_update_in_progress_is_waited_for_then_rechecked(tmp_path: Path) -> None:
    async def scenario(emu: EmulatorHarness) -> None:
        await seed(emu, "busy")
        # Someone else's config update, still running when we plan and apply.
        await emu.registry.update_config("busy", {"served_entities": [entity(model="o1")]})
        live = await emu.registry.read_endpoint("busy")
        assert live is not None and live.updating
        report = await apply(emu, plan_of(tag_action("busy", live_digest(live), "k", "v")))
        assert report.ok, report.failed
        log = [(r["method"], r["path"]) for r in emu.requests()]
        patch_at = log.index(("PATCH", endpoint_path("busy", "/tags")))
        assert ("GET", API) in log[:patch_at]  # a poll saw the update finish first
        assert all(r["status"] != 409 for r in emu.requests())

    run(tmp_path, scenario, ready_after=0.3)


def test_a_config_409_is_waited_out_and_never_blindly_retried(tmp_path: Path) -> None:
    """Another writer starts a config update between our re-read and our PUT."""
    raced = []

    def racing(inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        class Racing(httpx.AsyncBaseTransport):
            async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
                if request.method == "PUT" and request.url.path.endswith("/config") \
                        and not raced:
                    raced.append(True)
                    other = httpx.Request("PUT", request.url, json={
                        "served_entities": [entity(model="someone-elses")]})
                    await inner.handle_async_request(other)
                return await inner.handle_async_request(request)

        return Racing()

    async def scenario(emu: EmulatorHarness) -> None:
        digests = await seed(emu, "contended")
        report = await apply(emu, plan_of(config_action("contended", digests["contended"],
                                                        "ours")))
        [outcome] = report.outcomes
        assert outcome.status == "failed" and outcome.failure == "stale-plan"
        puts = [r for r in emu.requests() if r["method"] == "PUT"]
        assert [r["status"] for r in puts] == [200, 409]  # theirs, ours once: no blind retry

    run(tmp_path, scenario, ready_after=0.2, transport_wrapper=racing)


def lose_first_create_answer(
    before: Callable[[httpx.AsyncBaseTransport, httpx.Request], Awaitable[None]] | None = None,
) -> Callable[[httpx.AsyncBaseTransport], httpx.AsyncBaseTransport]:
    """The network loses the answer to the first create (the server did or did not act)."""

    def wrap(inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        lost: list[bool] = []

        class Lossy(httpx.AsyncBaseTransport):
            async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
                if request.method == "POST" and request.url.path == API and not lost:
                    lost.append(True)
                    if before is not None:
                        await before(inner, request)
                    else:
                        await inner.handle_async_request(request)
                    raise httpx.ReadError("connection reset by peer")
                return await inner.handle_async_request(request)

        return Lossy()

    return wrap


def test_a_retried_create_that_finds_its_endpoint_is_done(tmp_path: Path) -> None:
    async def scenario(emu: EmulatorHarness) -> None:
        report = await apply(emu, plan_of(create_action("lost-answer")))
        [outcome] = report.outcomes
        assert outcome.status == "done", outcome.error
        assert "retried" in (outcome.note or "")
        statuses = [r["status"] for r in emu.requests() if r["method"] == "POST"]
        assert statuses == [200, 409]

    run(tmp_path, scenario, transport_wrapper=lose_first_create_answer())


def test_a_retried_create_that_finds_someone_elses_endpoint_fails(tmp_path: Path) -> None:
    async def theirs(inner: httpx.AsyncBaseTransport, request: httpx.Request) -> None:
        other = httpx.Request("POST", request.url, json=create_body("taken", tags=[]))
        await inner.handle_async_request(other)

    async def scenario(emu: EmulatorHarness) -> None:
        report = await apply(emu, plan_of(create_action("taken")))
        [outcome] = report.outcomes
        assert outcome.status == "failed" and outcome.failure == "conflict"
        assert "not the endpoint this apply created" in (outcome.error or "")

    run(tmp_path, scenario, transport_wrapper=lose_first_create_answer(theirs))


def test_stale_action_is_refused_and_the_others_applied(tmp_path: Path) -> None:
    async def scenario(emu: EmulatorHarness) -> None:
        digests = await seed(emu, "moved", "still")
        await emu.registry.patch_tags("moved", [{"key": "team", "value": "manual"}], [])
        report = await apply(emu, plan_of(tag_action("moved", digests["moved"], "k", "v"),
                                          tag_action("still", digests["still"], "k", "v")))
        by_name = {o.name: o for o in report.outcomes}
        assert by_name["moved"].failure == "stale-plan"
        assert "run `reconciler plan` again" in (by_name["moved"].error or "")
        assert by_name["still"].status == "done"
        assert ("PATCH", endpoint_path("moved", "/tags")) not in emu.writes()[-1:]

    run(tmp_path, scenario)


def test_wait_timeout_and_no_wait(tmp_path: Path) -> None:
    async def scenario(emu: EmulatorHarness) -> None:
        short = WaitSettings(timeout=0.2, min_interval=0.02, max_interval=0.05)
        report = await apply(emu, plan_of(create_action("slow")), wait_settings=short)
        assert report.outcomes[0].failure == "timeout"
        assert "still updating" in (report.outcomes[0].error or "")
        report = await apply(emu, plan_of(create_action("slow-2")), wait=False)
        assert report.ok and "--no-wait" in (report.outcomes[0].note or "")

    run(tmp_path, scenario, ready_after=60)


def test_delete_refuses_an_endpoint_that_is_not_ours(tmp_path: Path) -> None:
    async def scenario(emu: EmulatorHarness) -> None:
        await emu.registry.create_endpoint(create_body("foreign", tags=[]))
        found = await emu.registry.read_endpoint("foreign")
        assert found is not None
        delete = EndpointAction(name="foreign", action="delete", live_digest=live_digest(found),
                                steps=[DeleteStep(endpoint="foreign")])
        report = await apply(emu, plan_of(delete))
        assert report.outcomes[0].failure == "not-ours"
        assert await emu.registry.get_endpoint("foreign") is not None

    run(tmp_path, scenario)


def test_blocked_and_noop_actions(tmp_path: Path) -> None:
    async def scenario(emu: EmulatorHarness) -> None:
        blocked = EndpointAction(name="x", action="no-op", blocked=True,
                                 reason="route_optimized changes need a recreate")
        noop = EndpointAction(name="y", action="no-op", reason="up to date")
        report = await apply(emu, plan_of(blocked, noop))
        assert [(o.status, o.failure) for o in report.outcomes] == [
            ("failed", "conflict"), ("skipped", None)]
        assert "--allow-recreate" in (report.outcomes[0].error or "")
        assert report.calls == {"total": 0}

    run(tmp_path, scenario)


def test_parallelism_bounds_the_requests_in_flight(tmp_path: Path) -> None:
    in_flight = [0]
    peak = [0]

    def counting(inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        class Counting(httpx.AsyncBaseTransport):
            async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
                in_flight[0] += 1
                peak[0] = max(peak[0], in_flight[0])
                try:
                    return await inner.handle_async_request(request)
                finally:
                    in_flight[0] -= 1

        return Counting()

    async def scenario(emu: EmulatorHarness) -> None:
        report = await apply(emu, plan_of(*(create_action(f"p-{i}") for i in range(12))),
                             parallelism=3)
        assert report.ok
        assert 2 <= peak[0] <= 3 + 1  # three writers, plus the waiter's list call

    run(tmp_path, scenario, latency_ms=20, transport_wrapper=counting)


def test_endpoints_start_as_places_free_and_waits_do_not_hold_writes(tmp_path: Path) -> None:
    """60 creates at parallelism 2: apply never has more than 2 x 2 endpoints started and not
    yet waiting (a plan of 10,000 does not make 10,000 tasks up front), and every create is
    written while the first ones still wait for their rollout (waiting gives a place up)."""
    tasks_seen: list[int] = []
    waiting: set[str] = set()
    most_writing = [0]

    def on_event(name: str, what: str) -> None:
        if what.startswith("waiting"):
            waiting.add(name)
        if what.startswith("create"):
            tasks_seen.append(len(asyncio.all_tasks()))
            most_writing[0] = max(most_writing[0], len(tasks_seen) - len(waiting))

    async def scenario(emu: EmulatorHarness) -> None:
        names = [f"lazy-{i:02d}" for i in range(60)]
        report = await apply(emu, plan_of(*(create_action(n) for n in names)), parallelism=2,
                             on_event=on_event)
        assert report.ok and len(report.done) == 60
        posts = [r for r in emu.requests() if r["method"] == "POST"]
        assert len(posts) == 60
        # All 60 were written within the first rollout's 0.5 s: the waits overlapped.
        assert max(o.waited_seconds or 0 for o in report.outcomes) < 3
        assert most_writing[0] <= 2 * 2
        # Tasks alive when the first create is issued: apply, the waiter, <= 4 endpoints.
        assert tasks_seen[0] <= 2 * 2 + 3

    run(tmp_path, scenario, ready_after=0.5)


def test_a_step_for_another_endpoint_is_refused_before_any_request(tmp_path: Path) -> None:
    async def scenario(emu: EmulatorHarness) -> None:
        digests = await seed(emu, "a", "b")
        writes = len(emu.writes())
        hijacked = EndpointAction(name="a", action="update", facets=["tags"],
                                  live_digest=digests["a"], steps=[DeleteStep(endpoint="b")])
        with pytest.raises(errors.PlanError, match="names endpoint 'b', not the action's 'a'"):
            await apply(emu, plan_of(hijacked))
        assert len(emu.writes()) == writes
        assert await emu.registry.get_endpoint("b") is not None

    run(tmp_path, scenario)
