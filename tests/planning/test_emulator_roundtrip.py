"""The planner against the emulator's real echo: apply what the plan says, plan again: empty.

These drive the emulator app in-process with the plan's own ``requests`` (no executor), so
they pin the diff's knowledge of server behaviour: defaults, reordering, write-only fields.
The apply engineer's integration tests cover the same through the real client and executor.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.emulator_inprocess import InProcessApi
from support.live_views import views

from reconciler.api.secrets import plaintext_resolver
from reconciler.api.validating import load_project
from reconciler.diff.export import live_to_manifest
from reconciler.diff.normalise import minimal_form
from reconciler.diff.permissions import Grants, live_direct_grants
from reconciler.model.endpoint import ServingEndpoint
from reconciler.model.live import LiveEndpoint
from reconciler.model.permissions import Principal
from reconciler.planning.plan import Plan
from reconciler.planning.planner import DesiredEndpoint, PlanOptions, build_plan
from reconciler.registry.routes import route

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
API = "/api/2.0/serving-endpoints"
PERMS = "/api/2.0/permissions/serving-endpoints"
CALLER = Principal("user_name", "emulator@localhost")  # the emulator's token


class AnyEnv(Mapping[str, str]):
    """An environment in which every variable is set, so new examples need no test edits."""

    def __getitem__(self, name: str) -> str:
        return os.environ.get(name, f"test-value-of-{name}")

    def __contains__(self, name: object) -> bool:
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(os.environ)

    def __len__(self) -> int:
        return len(os.environ)


ENV = AnyEnv()


@pytest.fixture
def api() -> Iterator[InProcessApi]:
    with InProcessApi() as client:
        yield client


def _execute(api: InProcessApi, plan: Plan) -> None:
    for action in plan.actions:
        endpoint_id = None  # grants are keyed by the id: from the create's answer
        for step in action.steps:
            body = step.wire_body()
            if body is not None:
                # As apply does: references resolved, the secret digest marker computed.
                body = plaintext_resolver(ENV)(body)
            if endpoint_id is None and step.op == "set_permissions":
                endpoint_id = api.get(f"{API}/{action.name}").json()["id"]
            method, path = route(step, endpoint_id)
            response = api.request(method, path, json=body)
            assert response.status_code == 200, (path, response.text)
            if step.op == "create":
                endpoint_id = response.json()["id"]


def _grants(api: InProcessApi, live: Mapping[str, LiveEndpoint]) -> dict[str, Grants]:
    return {name: live_direct_grants(api.get(f"{PERMS}/{found.id}").json())
            for name, found in live.items()}


def _live(api: InProcessApi, names: list[str]) -> dict[str, LiveEndpoint]:
    """The GET bodies of ``names`` that exist, as the registry's views."""
    out = {}
    for name in names:
        response = api.get(f"{API}/{name}")
        if response.status_code == 200:
            out[name] = response.json()
    return views(out)


PROJECTS = sorted(
    str(p.parent.relative_to(EXAMPLES)) for p in EXAMPLES.rglob("reconciler.yaml")
    if "invalid" not in p.relative_to(EXAMPLES).parts
)


@pytest.mark.parametrize("root", PROJECTS)
def test_every_example_plans_empty_after_its_create(api: InProcessApi, root: str) -> None:
    project = load_project(EXAMPLES / root, env=ENV)
    desired = [DesiredEndpoint(e.endpoint) for e in project.endpoints]
    options = PlanOptions(project=project.file.project, target_name="local", caller=CALLER)
    first = build_plan(desired, {}, options)
    assert {a.action for a in first.actions} == {"create"}
    _execute(api, first)
    live = _live(api, [d.endpoint.name for d in desired])
    second = build_plan(desired, live, options, _grants(api, live))
    assert not second.has_changes, [(a.name, a.changes) for a in second.actions if a.changes]
    # export of what the server holds plans empty too
    exported = [DesiredEndpoint(ServingEndpoint.model_validate(live_to_manifest(found)))
                for found in live.values()]
    assert not build_plan(exported, live, options).has_changes


BASE: dict[str, Any] = {
    "name": "chat",
    "tags": {"team": "genai"},
    "config": {"served_entities": [
        {"name": "gpt-4o", "external_model": {
            "name": "gpt-4o", "provider": "openai", "task": "llm/v1/chat",
            "openai_config": {"openai_api_key": "{{secrets/genai/openai_api_key}}"}}},
        {"external_model": {
            "name": "gpt-4o-mini", "provider": "openai", "task": "llm/v1/chat",
            "openai_config": {"openai_api_key_plaintext": "${env.OPENAI_API_KEY}"}}},
    ], "traffic_config": {"routes": [
        {"served_entity_name": "gpt-4o", "traffic_percentage": 70},
        {"served_model_name": "gpt-4o-mini", "traffic_percentage": 30},
    ]}},
    "ai_gateway": {"usage_tracking_config": {"enabled": True},
                   "rate_limits": [{"key": "user", "calls": 10, "renewal_period": "minute"}]},
    "email_notifications": {"on_update_failure": ["oncall@example.com"]},
}

EDITS: dict[str, tuple[list[str], Any]] = {
    "config": (["config"], lambda m: m["config"]["traffic_config"]["routes"][0].update(
        traffic_percentage=60) or m["config"]["traffic_config"]["routes"][1].update(
        traffic_percentage=40)),
    "tags": (["tags"], lambda m: m.update(tags={"team": "platform", "tier": "gold"})),
    "ai_gateway": (["ai_gateway"], lambda m: m["ai_gateway"].update(
        rate_limits=[{"key": "endpoint", "calls": 100, "renewal_period": "minute"}])),
    "notifications": (["notifications"], lambda m: m.update(
        email_notifications={"on_update_success": ["ml@example.com"]})),
    "legacy-rate-limits": (["ai_gateway"], lambda m: m.pop("ai_gateway") and m.update(
        rate_limits=[{"key": "user", "calls": 20, "renewal_period": "minute"}])),
    "entity-removed": (["config"], lambda m: m["config"].update(
        served_entities=m["config"]["served_entities"][:1], traffic_config=None)),
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_each_facet_changes_alone_and_converges(api: InProcessApi, edit: str) -> None:
    options = PlanOptions(project="acme-genai", target_name="local")
    base = DesiredEndpoint(ServingEndpoint.model_validate(BASE))
    _execute(api, build_plan([base], {}, options))
    manifest = json.loads(json.dumps(BASE))
    facets, apply_edit = EDITS[edit]
    apply_edit(manifest)
    edited = DesiredEndpoint(ServingEndpoint.model_validate(manifest))
    plan = build_plan([edited], _live(api, ["chat"]), options)
    (action,) = plan.actions
    assert action.action == "update" and action.facets == facets
    # One call per changed facet, plus the applied marks (reconciler.diff.applied_marks):
    # in the tags PATCH when tags are written last, else one more PATCH at the end.
    marks = [] if facets[-1] == "tags" else ["tags"]
    assert [s.facet for s in action.steps] == facets + marks
    _execute(api, plan)
    after = build_plan([edited], _live(api, ["chat"]), options)
    assert not after.has_changes, after.actions[0].changes


_tag_keys = st.text("abcdefghijklmnop-_", min_size=1, max_size=8)

_custom_entity = st.fixed_dictionaries(
    {"scale_to_zero_enabled": st.booleans()},
    optional={
        "workload_type": st.sampled_from(["CPU", "GPU_SMALL", "GPU_MEDIUM"]),
        "environment_vars": st.dictionaries(st.sampled_from(["A", "B", "LOG"]),
                                            st.sampled_from(["1", "{{secrets/s/k}}"]),
                                            max_size=2),
    },
).flatmap(lambda e: st.one_of(
    st.just(e),
    st.sampled_from(["Small", "Medium", "Large"]).map(lambda s: {**e, "workload_size": s}),
    st.just({**e, "min_provisioned_concurrency": 4, "max_provisioned_concurrency": 8}),
))

_gateway = st.fixed_dictionaries({}, optional={
    "usage_tracking_config": st.fixed_dictionaries({"enabled": st.booleans()}),
    "fallback_config": st.fixed_dictionaries({"enabled": st.booleans()}),
    "guardrails": st.fixed_dictionaries({}, optional={
        "input": st.fixed_dictionaries({}, optional={
            "safety": st.booleans(),
            "pii": st.fixed_dictionaries({"behavior": st.sampled_from(["NONE", "BLOCK", "MASK"])}),
        }),
    }),
    "inference_table_config": st.just({"enabled": True, "catalog_name": "main",
                                       "schema_name": "logs"}),
})


@st.composite
def _manifests(draw: st.DrawFn) -> dict[str, Any]:
    """A random valid manifest of the endpoint ``random`` (external or custom models)."""
    tags = draw(st.dictionaries(_tag_keys, st.text("xyz0123", max_size=5), max_size=5))
    weights = draw(st.lists(st.integers(1, 5), min_size=1, max_size=4))
    custom = draw(st.none() | st.lists(_custom_entity, min_size=4, max_size=4))
    limits = draw(st.lists(st.sampled_from(["endpoint", "user", "user_group:data",
                                            "user_group:ml"]), unique=True, max_size=3))
    gateway = draw(st.none() | _gateway)
    unnamed = draw(st.booleans())
    extras = draw(st.fixed_dictionaries({}, optional={
        "description": st.sampled_from(["", "a chat endpoint"]),
        "email_notifications": st.fixed_dictionaries({}, optional={
            "on_update_failure": st.lists(st.sampled_from(["a@x.io", "b@x.io"]), unique=True),
        }),
    }))
    entities: list[dict[str, Any]] = []
    names = []
    for i, _ in enumerate(weights):
        if custom is None:
            entity: dict[str, Any] = {"external_model": {
                "name": f"gpt.{i}:latest", "provider": "openai", "task": "llm/v1/chat",
                "openai_config": {"openai_api_key": "{{secrets/s/k}}"}}}
            derived = f"gpt-{i}-latest"
        else:
            entity = {"entity_name": f"main.models.m{i}", "entity_version": str(i + 1),
                      **custom[i]}
            derived = f"m{i}-{i + 1}"
        if not unnamed:
            entity["name"] = f"e{i}"
        entities.append(entity)
        names.append(entity.get("name") or derived)
    shares = [w * 100 // sum(weights) for w in weights]
    shares[0] += 100 - sum(shares)
    manifest: dict[str, Any] = {"name": "random", "tags": tags, **extras, "config": {
        "served_entities": entities,
        "traffic_config": {"routes": [
            {"served_entity_name": n, "traffic_percentage": p}
            for n, p in zip(names, shares, strict=True)]},
    }}
    if gateway is not None or limits:
        manifest["ai_gateway"] = dict(gateway or {})
    if limits:
        rate_limits = []
        for key in limits:
            kind, _, principal = key.partition(":")
            limit: dict[str, Any] = {"key": kind, "calls": 5, "renewal_period": "minute"}
            if principal:
                limit["principal"] = principal
            rate_limits.append(limit)
        manifest["ai_gateway"]["rate_limits"] = rate_limits
    return manifest


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(manifest=_manifests())
def test_random_manifests_plan_empty_after_create(manifest: dict[str, Any]) -> None:
    desired = [DesiredEndpoint(ServingEndpoint.model_validate(manifest))]
    options = PlanOptions(project="acme-genai", target_name="local")
    with InProcessApi() as api:
        _execute(api, build_plan(desired, {}, options))
        plan = build_plan(desired, _live(api, ["random"]), options)
    assert not plan.has_changes, plan.actions[0].changes


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=_manifests(), after=_manifests())
def test_no_missed_change_updating_ends_where_creating_would(
    before: dict[str, Any], after: dict[str, Any]
) -> None:
    """Update A into B by the plan; the endpoint must then equal B created from scratch.

    A change the diff missed would leave a difference the second plan cannot see, so the
    oracle is an independent fresh create, compared in minimal form."""
    options = PlanOptions(project="acme-genai", target_name="local", allow_recreate=True)
    desired = [DesiredEndpoint(ServingEndpoint.model_validate(after))]
    with InProcessApi() as updated, InProcessApi() as fresh:
        _execute(updated, build_plan(
            [DesiredEndpoint(ServingEndpoint.model_validate(before))], {}, options))
        _execute(updated, build_plan(desired, _live(updated, ["random"]), options))
        _execute(fresh, build_plan(desired, {}, options))
        got = minimal_form(_live(updated, ["random"])["random"].raw, "random")
        want = minimal_form(_live(fresh, ["random"])["random"].raw, "random")
    # The applied marks are bookkeeping, only rewritten when apply writes something: an
    # update that had nothing to write keeps the marks of the manifest before it.
    for form in (got, want):
        form.get("tags", {}).pop("reconciler-applied", None)
    # Blocks the manifest does not write are left alone by design (docs/diff.md section 3).
    for block in ("ai_gateway", "email_notifications", "description"):
        if block not in after:
            got.pop(block, None)
            want.pop(block, None)
    assert got == want


def test_moving_enabled_inference_tables_disables_them_first(api: InProcessApi) -> None:
    options = PlanOptions(project="acme-genai", target_name="local")
    manifest = json.loads(json.dumps(BASE))
    manifest["ai_gateway"]["inference_table_config"] = {
        "enabled": True, "catalog_name": "main", "schema_name": "serving"}
    _execute(api, build_plan([DesiredEndpoint(ServingEndpoint.model_validate(manifest))], {},
                             options))
    manifest["ai_gateway"]["inference_table_config"]["schema_name"] = "serving_v2"
    moved = DesiredEndpoint(ServingEndpoint.model_validate(manifest))
    plan = build_plan([moved], _live(api, ["chat"]), options)
    # two gateway PUTs, then the applied marks
    assert [s.op for s in plan.actions[0].steps] == [
        "put_ai_gateway", "put_ai_gateway", "patch_tags"]
    _execute(api, plan)  # the emulator, like the service, refuses a move while enabled
    assert not build_plan([moved], _live(api, ["chat"]), options).has_changes
