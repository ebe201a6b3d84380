"""Golden apply cases: tests/golden/apply/<case>.json as data, run against the real emulator.

Each case is (plan, scripted live answers) -> the write requests apply sends, in order, and
each endpoint's outcome. A case file holds:

* ``about``: what the case pins, in one sentence;
* ``emulator``: emulator settings (``ready_after``: seconds a create or config update stays in
  progress);
* ``initial``: endpoint manifests applied first (plan + apply, so the endpoints carry our tags
  and applied marks); ``foreign``: create bodies of endpoints made by someone else;
* ``manifests`` and ``options`` (``prune``, ``allow_recreate``, ``project_id``,
  ``adopt_legacy_ownership``): what is planned (and, but for the flags, how ``initial`` was);
* ``outside``: what someone else does after ``initial`` and before the plan (items as in
  ``between``): changes the plan sees as drift;
* ``between``: what someone else does after the plan is made and before apply runs: plan
  steps in the plan JSON form (``{"op": "patch_tags", "endpoint": ..., ...}``), or
  ``{"control": "fail-next-update", "body": {...}}`` (an emulator control);
  A ``set_permissions`` step there is sent to the endpoint's current id, like apply does;
* ``after_first``: ``{"request": [method, path prefix], "then": [...]}``: someone else does
  ``then`` (items as in ``between``) right after apply's first such request was answered
  (a write racing ours, before apply reads the endpoint back);
* ``before_first``: the same, right *before* apply's first such request is sent (someone's
  config update starting under ours, so the service refuses ours with 409);
* ``lose_answer``: ``[method, path prefix]``: the network loses the answer to apply's first
  such request after the server acted on it (the client retries it);
* ``saved``: true to apply as a saved plan (never re-planned); ``stop_after_writes``: apply
  is asked to stop (a first SIGINT) once that many writes were sent; ``stop_on_event``: the
  same once apply reports an event starting with that text (``waiting for the config
  update``); ``stop_now_after_writes``: told to stop at once (a second signal);
* ``expected``: ``writes`` (``[method, path]`` in order, across endpoints) and ``outcomes``
  (``{name: [status, failure]}``), plus ``notes`` (``{name: substring}``) where it matters.
  When a manifest declares ``permissions`` (the plan then reads the caller and the grants,
  as ``reconciler plan`` does), ``expected`` also holds ``permission_bodies`` (the body of
  each permissions write apply sent) and ``grants`` (each endpoint's direct grants after
  apply, ``{name: {principal: level}}``). Endpoint ids in paths are written
  ``{id of NAME}`` (the id before apply) or ``{new id of NAME}`` (one apply created).

``UPDATE_GOLDEN=1 pytest tests/applying/test_golden_apply.py`` rewrites ``expected`` from what
apply did; review every rewritten file by hand, they are the spec.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import TypeAdapter
from support.live_views import views
from support.registry_harness import FAST_WAITS, EmulatorHarness, emulator_registry

from reconciler.api import permissions as grants_api
from reconciler.applying.executor import ApplyOptions, apply_plan
from reconciler.applying.report import ApplyReport
from reconciler.model.endpoint import ServingEndpoint
from reconciler.model.live import LiveEndpoint
from reconciler.model.steps import PlanStep
from reconciler.planning.plan import EndpointAction, Plan
from reconciler.planning.planner import DesiredEndpoint, PlanOptions, build_plan
from reconciler.registry.routes import permissions_path

CASES = Path(__file__).resolve().parents[1] / "golden" / "apply"
PROJECT = "acme-genai"
STEP = TypeAdapter(PlanStep)
PERMISSIONS = permissions_path("")


def case_names() -> list[str]:
    return sorted(p.stem for p in CASES.glob("*.json"))


def _desired(manifests: list[dict[str, Any]]) -> list[DesiredEndpoint]:
    return [DesiredEndpoint(ServingEndpoint.model_validate(m)) for m in manifests]


async def _settle(emu: EmulatorHarness) -> dict[str, LiveEndpoint]:
    """Every live endpoint (its GET body, as the registry's view), once none is updating."""
    for _ in range(200):
        names = [e["name"] for e in await emu.registry.list_endpoints(keep=("name",))]
        bodies = {n: b for n in names if (b := await emu.registry.get_endpoint(n)) is not None}
        if not any((b.get("state") or {}).get("config_update") == "IN_PROGRESS"
                   for b in bodies.values()):
            return views(bodies)
        await asyncio.sleep(0.02)
    raise AssertionError("the emulator did not settle")


def _options(case: dict[str, Any]) -> PlanOptions:
    raw = case.get("options", {})
    return PlanOptions(project=PROJECT, target_name="golden", prune=raw.get("prune", False),
                       allow_recreate=raw.get("allow_recreate", False),
                       project_id=raw.get("project_id"),
                       adopt_legacy_ownership=raw.get("adopt_legacy_ownership", False))


async def _plan(emu: EmulatorHarness, desired: list[DesiredEndpoint],
                options: PlanOptions) -> Plan:
    """As ``reconciler plan`` does: the caller and the grants read when a manifest declares
    permissions (nothing is read otherwise), then the pure planner."""
    live = await _settle(emu)
    read = await grants_api.read_for_plan(emu.registry, desired, live, options,
                                          parallelism=4)
    plan = build_plan(desired, live, grants_api.with_caller(options, read), read.grants)
    return grants_api.remembered(plan, read)


async def _someone_else(emu: EmulatorHarness, items: list[dict[str, Any]]) -> None:
    for item in items:
        if "control" in item:
            await emu.control(item["control"], item["body"])
            continue
        step = STEP.validate_python(item)
        live = await emu.registry.get_endpoint(step.endpoint) or {}
        await emu.registry.write(step, step.wire_body(), live.get("id"))


class _Racing:
    """A transport where someone else acts right before (``before_first``) or right after
    (``after_first``) apply's first matching request, or the network loses its answer
    (``lose_answer``): a write racing ours, a 409, a create answered twice."""

    def __init__(self, case: dict[str, Any]) -> None:
        self.after = _Trigger.of(case.get("after_first"))
        self.before = _Trigger.of(case.get("before_first"))
        self.lose = case.get("lose_answer")
        self.armed = False  # set when apply starts
        self.running = False  # the other writer is writing (its bodies are not apply's)
        self.emu: EmulatorHarness | None = None

    def __call__(self, inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        racing = self

        class Racing(httpx.AsyncBaseTransport):
            async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
                if racing.armed and racing.before is not None \
                        and racing.before.matches(request):
                    then, racing.before = racing.before.then, None  # once
                    await racing.play(then)
                response = await inner.handle_async_request(request)
                if racing.armed and racing.after is not None and racing.after.matches(request):
                    then, racing.after = racing.after.then, None
                    await response.aread()
                    await racing.play(then)
                if racing.armed and racing.lose is not None \
                        and _Trigger(*racing.lose, []).matches(request):
                    racing.lose = None
                    raise httpx.ReadError("connection reset by peer (golden case: answer lost)")
                return response

        return Racing()

    async def play(self, then: list[dict[str, Any]]) -> None:
        assert self.emu is not None
        self.running = True
        try:
            await _someone_else(self.emu, then)
        finally:
            self.running = False


@dataclass
class _Trigger:
    method: str
    prefix: str
    then: list[dict[str, Any]]

    @classmethod
    def of(cls, raw: dict[str, Any] | None) -> _Trigger | None:
        return None if raw is None else cls(*raw["request"], raw["then"])

    def matches(self, request: httpx.Request) -> bool:
        return request.method == self.method and request.url.path.startswith(self.prefix)


def _racing(case: dict[str, Any]) -> _Racing | None:
    scripted = ("after_first", "before_first", "lose_answer")
    return _Racing(case) if any(key in case for key in scripted) else None


async def _run(emu: EmulatorHarness, case: dict[str, Any],
               before_apply: Callable[[], Awaitable[None]]) -> tuple[ApplyReport, list[Any]]:
    options = _options(case)
    if case.get("initial"):
        first = await _plan(emu, _desired(case["initial"]), options)
        setup = await apply_plan(first, emu.registry, ApplyOptions(wait_settings=FAST_WAITS))
        assert setup.ok, setup.failed
    for body in case.get("foreign", []):
        await emu.registry.create_endpoint(body)
    await _someone_else(emu, case.get("outside", []))
    desired = _desired(case["manifests"])
    plan = await _plan(emu, desired, options)
    await _someone_else(emu, case.get("between", []))
    start = len(emu.writes())
    def replan(name: str, view: LiveEndpoint | None) -> EndpointAction:
        # As apply's re-plan does: the same manifests and options, for this endpoint only,
        # with the grants read at plan time.
        read = grants_api.for_replan(plan, name, view)
        one = grants_api.with_caller(replace(options, select=(name,)), read)
        again = build_plan(desired, {name: view} if view is not None else {}, one,
                           read.grants).action_for(name)
        assert again is not None
        return again

    await before_apply()
    stop_after = case.get("stop_after_writes")
    stop_now_after = case.get("stop_now_after_writes")
    stop_on_event = case.get("stop_on_event")
    events: list[str] = []

    def stop_requested() -> bool:
        if stop_after is not None and len(emu.writes()) - start >= stop_after:
            return True
        return stop_on_event is not None and any(e.startswith(stop_on_event) for e in events)

    report = await apply_plan(plan, emu.registry, ApplyOptions(
        wait_settings=FAST_WAITS, parallelism=case.get("parallelism", 8),
        replan=None if case.get("saved") else replan,
        on_event=lambda _name, what: events.append(what),
        stop_requested=stop_requested if stop_after is not None or stop_on_event else None,
        stop_now=None if stop_now_after is None
        else lambda: len(emu.writes()) - start >= stop_now_after))
    return report, [list(w) for w in emu.writes()[start:]]


def _declares_permissions(case: dict[str, Any]) -> bool:
    return any("permissions" in m for m in [*case.get("initial", []), *case["manifests"]])


async def _ids(emu: EmulatorHarness) -> dict[str, str]:
    """endpoint id -> name of every live endpoint (one list call: nothing waits)."""
    return {e["id"]: e["name"] for e in await emu.registry.list_endpoints(keep=("name", "id"))}


def _label_ids(text: str, before: dict[str, str], after: dict[str, str]) -> str:
    for endpoint_id, name in before.items():
        text = text.replace(endpoint_id, f"{{id of {name}}}")
    for endpoint_id, name in after.items():
        if endpoint_id not in before:
            text = text.replace(endpoint_id, f"{{new id of {name}}}")
    return text


async def _grants_after(emu: EmulatorHarness) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for name, found_live in sorted((await _settle(emu)).items()):
        grants = await grants_api.grants_of(emu.registry, found_live)
        found[name] = {p.key: level for p, level in sorted(grants.items())}
    return found


def _view(report: ApplyReport, writes: list[Any], case: dict[str, Any],
          extra: dict[str, Any]) -> dict[str, Any]:
    view: dict[str, Any] = {
        "writes": writes,
        "outcomes": {o.name: [o.status, o.failure] for o in report.outcomes},
        **extra,
    }
    notes = case.get("expected", {}).get("notes")
    if notes:
        view["notes"] = notes
    return view


class _Recorder:
    """What a case records besides the writes: the endpoint ids live when apply starts, the
    permissions writes' bodies (read from the client's calls) and a racing writer's trigger."""

    def __init__(self, emu: EmulatorHarness, racing: _Racing | None) -> None:
        self.emu = emu
        self.racing = racing
        self.ids_before: dict[str, str] = {}
        self.bodies: list[list[Any]] | None = None  # None: not recording yet
        original = emu.registry.call

        async def recording(method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
            if self.bodies is not None and method != "GET" and path.startswith(PERMISSIONS) \
                    and not (racing is not None and racing.running):
                self.bodies.append([method, path, body])
            return await original(method, path, body, **kwargs)

        emu.registry.call = recording  # type: ignore[method-assign]

    async def before_apply(self) -> None:
        self.ids_before = await _ids(self.emu)
        self.bodies = []
        if self.racing is not None:
            self.racing.armed = True

    async def labelled(self, data: Any) -> Any:
        return json.loads(_label_ids(json.dumps(data), self.ids_before, await _ids(self.emu)))


@pytest.mark.parametrize("name", case_names())
def test_golden_apply_case(tmp_path: Path, name: str) -> None:
    path = CASES / f"{name}.json"
    case = json.loads(path.read_text())
    racing = _racing(case)

    async def main() -> tuple[ApplyReport, list[Any], dict[str, Any]]:
        async with emulator_registry(tmp_path, transport_wrapper=racing,
                                     **case.get("emulator", {})) as emu:
            if racing is not None:
                racing.emu = emu
            recorder = _Recorder(emu, racing)
            report, writes = await _run(emu, case, recorder.before_apply)
            if not _declares_permissions(case):
                return report, writes, {}
            extra = {"permission_bodies": recorder.bodies,
                     "grants": await _grants_after(emu)}
            return report, await recorder.labelled(writes), await recorder.labelled(extra)

    report, writes, extra = asyncio.run(main())
    actual = _view(report, writes, case, extra)
    if os.environ.get("UPDATE_GOLDEN"):
        case["expected"] = actual
        path.write_text(json.dumps(case, indent=2) + "\n")
        return
    expected = case["expected"]
    assert actual["writes"] == expected["writes"], report.model_dump_json(indent=2)
    assert actual["outcomes"] == expected["outcomes"], report.model_dump_json(indent=2)
    for key in ("permission_bodies", "grants"):
        assert actual.get(key) == expected.get(key), key
    for endpoint, text in expected.get("notes", {}).items():
        outcome = next(o for o in report.outcomes if o.name == endpoint)
        assert text in f"{outcome.note} {outcome.error}", outcome


def test_there_are_at_least_twenty_cases() -> None:
    assert len(case_names()) >= 20
