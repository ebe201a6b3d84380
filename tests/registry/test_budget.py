"""One request budget per run with per-class limits: all requests at ``max_rps`` (when set),
permission writes additionally at 27/s (10 % under the documented 30/s), shared by every
endpoint of the run, a 429's Retry-After holding what it concerns. The clock is injected:
nothing here sleeps."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.registry_harness import FAST_WAITS, EmulatorHarness, emulator_registry

from reconciler.api import workflow
from reconciler.api.validating import load_project
from reconciler.registry import RegistryClient
from reconciler.registry import permissions as api
from reconciler.registry.budget import (
    CLASS_LIMITS,
    DOCUMENTED_PER_SECOND,
    PERMISSION_WRITES,
    RequestBudget,
    request_class,
)

from .conftest import FakeClock, json_response

PERMS = "/api/2.0/permissions/serving-endpoints/"


def busiest_second(starts: list[float]) -> int:
    return max(sum(1 for s in starts if first <= s < first + 1.0 - 1e-9) for first in starts)


def test_permission_writes_are_a_class_paced_under_the_documented_limit() -> None:
    assert DOCUMENTED_PER_SECOND[PERMISSION_WRITES] == 30.0
    assert CLASS_LIMITS[PERMISSION_WRITES] == pytest.approx(27.0)
    assert request_class("PATCH", PERMS + "abc") == PERMISSION_WRITES
    assert request_class("PUT", PERMS + "abc") == PERMISSION_WRITES
    assert request_class("GET", PERMS + "abc") is None  # reads: only the overall limit
    assert request_class("PATCH", "/api/2.0/serving-endpoints/a/tags") is None


def test_permission_writes_of_many_endpoints_share_27_per_second(clock: FakeClock) -> None:
    budget = RequestBudget(clock=clock, sleep=clock.sleep)
    starts: list[float] = []

    async def endpoint() -> None:  # one endpoint's requests: a GET, then its grants
        for _ in range(9):
            await budget.acquire()
            await budget.acquire(PERMISSION_WRITES)
            starts.append(clock.now)

    async def main() -> None:
        await asyncio.gather(*(endpoint() for _ in range(6)))

    asyncio.run(main())
    assert len(starts) == 54
    assert busiest_second(starts) <= 27
    assert max(starts) == pytest.approx(53 / 27)  # and no slower than the limit
    assert budget.taken == {"all": 108, PERMISSION_WRITES: 54}


def test_queued_permission_writes_do_not_hold_up_other_requests(clock: FakeClock) -> None:
    """A write waits for its class's slot before it takes an overall one: the queue of
    permission writes never pushes the other requests' slots out."""
    budget = RequestBudget(100, clock=clock, sleep=clock.sleep)

    async def main() -> None:
        await asyncio.gather(*(budget.acquire(PERMISSION_WRITES) for _ in range(27)))
        clock.sleeps.clear()
        await budget.acquire()

    asyncio.run(main())
    assert sum(clock.sleeps) <= 1 / 100 + 1e-9  # one overall spacing at most


def test_the_overall_limit_applies_to_permission_writes_too(clock: FakeClock) -> None:
    budget = RequestBudget(10, clock=clock, sleep=clock.sleep)
    starts: list[float] = []

    async def one(kind: Any) -> None:
        await budget.acquire(kind)
        starts.append(clock.now)

    async def main() -> None:
        await asyncio.gather(*(one(PERMISSION_WRITES if i % 2 else None) for i in range(30)))

    asyncio.run(main())
    assert busiest_second(starts) <= 10  # all requests, permission writes included
    assert max(starts) == pytest.approx(29 / 10)


def test_retry_after_on_a_permission_write_holds_the_class(clock: FakeClock) -> None:
    budget = RequestBudget(clock=clock, sleep=clock.sleep)

    async def main() -> tuple[float, float]:
        await budget.acquire(PERMISSION_WRITES)
        budget.hold(4.0, PERMISSION_WRITES)  # the workspace said: again in 4 s
        await budget.acquire()  # no overall limit: other requests are not held
        other = clock.now
        await budget.acquire(PERMISSION_WRITES)
        return other, clock.now

    other, write = asyncio.run(main())
    assert other == 0.0
    assert write == pytest.approx(4.0)


def test_retry_after_holds_every_request_under_an_overall_limit(clock: FakeClock) -> None:
    budget = RequestBudget(100, clock=clock, sleep=clock.sleep)

    async def main() -> float:
        await budget.acquire()
        budget.hold(3.0)
        await budget.acquire(PERMISSION_WRITES)
        return clock.now

    assert asyncio.run(main()) == pytest.approx(3.0)


@pytest.mark.parametrize("rate", [0.0, -1.0, float("nan"), float("inf")])
def test_a_limit_must_be_a_finite_rate(rate: float) -> None:
    with pytest.raises(ValueError, match="finite number above 0"):
        RequestBudget(rate)
    with pytest.raises(ValueError, match="permission-writes"):
        RequestBudget(class_limits={PERMISSION_WRITES: rate})


def test_a_429_on_a_permission_write_holds_the_next_one(
        make_client: Callable[..., RegistryClient], clock: FakeClock) -> None:
    """Through the client: the first PATCH is throttled (Retry-After 2), its retry and the
    next endpoint's write wait 2 s; a GET meanwhile does not."""
    answers = [json_response(429, {"error_code": "REQUEST_LIMIT_EXCEEDED", "message": "slow"},
                             **{"retry-after": "2"})]
    seen: list[tuple[str, float]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, clock.now))
        if request.method == "PATCH" and answers:
            return answers.pop()
        return json_response(200, {"access_control_list": []})

    client = make_client(handler)
    client.budget = RequestBudget(clock=clock, sleep=clock.sleep)
    body = {"access_control_list": [{"group_name": "g", "permission_level": "CAN_VIEW"}]}

    async def main() -> None:
        await api.write_permissions(client, "one", "PATCH", body)
        await api.get_permissions(client, "one")
        await api.write_permissions(client, "two", "PATCH", body)

    asyncio.run(main())
    methods = [m for m, _t in seen]
    assert methods == ["PATCH", "PATCH", "GET", "PATCH"]
    assert seen[1][1] >= 2.0 and seen[3][1] >= seen[1][1] + 1 / 27 - 1e-9


def test_one_apply_paces_all_its_permission_writes_through_one_budget(tmp_path: Path) -> None:
    """Six endpoints at parallelism 6 on the emulator: six creates, six grant PATCHes, every
    one of them through the run's one budget (an injected clock: no real waiting)."""
    clock = FakeClock()
    root = tmp_path / "p"
    (root / "endpoints").mkdir(parents=True)
    (root / "reconciler.yaml").write_text("project: perms\nmanifests: [endpoints/]\n")
    (root / "endpoints" / "all.yaml").write_text("---\n".join(
        f"name: ep-{i}\nconfig:\n  served_entities:\n    - name: chat\n"
        "      external_model: {name: gpt-4o, provider: openai, task: llm/v1/chat,\n"
        "        openai_config: {openai_api_key: '{{secrets/s/k}}'}}\n"
        "permissions:\n  - {group_name: readers, permission_level: CAN_VIEW}\n"
        for i in range(6)))
    project = load_project(root, env={})

    async def scenario(emu: EmulatorHarness) -> None:
        emu.registry.budget = RequestBudget(clock=clock, sleep=clock.sleep)
        plan = await workflow.plan_with(project, emu.registry, workflow.PlanSettings())
        settings = workflow.ApplySettings(wait_settings=FAST_WAITS, env={}, parallelism=6)
        assert (await workflow.apply_with(project, emu.registry, plan, settings)).ok
        writes = [w for w in emu.writes() if w[1].startswith(PERMS)]
        assert len(writes) == 6
        assert emu.registry.budget.taken[PERMISSION_WRITES] == 6
        assert emu.registry.budget.taken["all"] == emu.registry.stats.total
        assert clock.now == pytest.approx(5 / 27)  # spaced, one after the other

    async def main() -> None:
        async with emulator_registry(tmp_path) as emu:
            await scenario(emu)

    asyncio.run(main())
