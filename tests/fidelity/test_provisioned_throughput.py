"""Issue 12 item 8: provisioned-throughput endpoints take the /pt routes, emulated.

The emulator refuses newer foundation models (Llama 4, gpt-oss) on the classic create and
config routes with the service's "not eligible for Provisioned Throughput" answer, so a
client that sent a PT endpoint down the classic route fails these tests.
"""

from __future__ import annotations

import asyncio
import copy
from pathlib import Path

import pytest
import yaml
from support.emulator_inprocess import InProcessApi
from support.live_views import view
from support.registry_harness import emulator_registry
from support.roundtrip import converge, problems, write_project

from reconciler.api.secrets import plaintext_resolver
from reconciler.diff.compare import compare_endpoint
from reconciler.model.endpoint import ServingEndpoint
from reconciler.planning.planner import DesiredEndpoint, PlanOptions, plan_endpoint
from reconciler.registry.routes import route

PT = """\
name: llama-pt
config:
  served_entities:
    - {name: maverick, entity_name: system.ai.llama-4-maverick, entity_version: "1",
       provisioned_model_units: 100, burst_scaling_enabled: false}
ai_gateway:
  rate_limits:
    - {key: endpoint, tokens: 100000, renewal_period: minute}
"""


def test_a_pt_endpoint_is_created_and_updated_through_the_pt_routes(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"pt.yaml": PT})
    assert problems(root) == []

    async def scenario() -> None:
        async with emulator_registry(tmp_path / "emulator") as emu:
            created = await converge(tmp_path, root, harness=emu)
            assert created.report.ok, [o.error for o in created.report.failed]
            assert created.changed_after() == {}
            (create,) = created.first.actions[0].steps
            assert route(create) == ("POST", "/api/2.0/serving-endpoints/pt")
            assert set(create.wire_body() or {}) == {"name", "config", "ai_gateway", "tags"}
            # The service fills usage tracking on PT endpoints (audit G15); not a change.
            gateway = created.emulator_gets[0]["ai_gateway"]
            assert gateway["usage_tracking_config"] == {"enabled": True}

            (root / "endpoints" / "pt.yaml").write_text(PT.replace("100,", "200,"))
            changed = await converge(tmp_path, root, harness=emu)
            (action,) = changed.first.actions
            config = [s for s in action.steps if s.op == "update_config"]
            assert [route(s) for s in config] == [
                ("PUT", "/api/2.0/serving-endpoints/pt/llama-pt/config")]
            assert config[0].wire_body()["config"]["served_entities"][0][
                "provisioned_model_units"] == 200
            assert changed.report.ok and changed.changed_after() == {}
            writes = emu.writes()
            assert ("POST", "/api/2.0/serving-endpoints/pt") in writes
            assert ("PUT", "/api/2.0/serving-endpoints/pt/llama-pt/config") in writes
            assert ("POST", "/api/2.0/serving-endpoints") not in writes

    asyncio.run(scenario())


OLDER = "system.ai.meta_llama_v3_3_70b_instruct"


def test_an_endpoint_outside_the_pt_shape_keeps_the_classic_route(tmp_path: Path) -> None:
    # A description is not part of the PT create: an older model that the classic route
    # takes is created there.
    text = PT.replace("name: llama-pt\n", "name: llama-pt\ndescription: classic\n")
    root = write_project(tmp_path, {"pt.yaml": text.replace("system.ai.llama-4-maverick", OLDER)})
    result = asyncio.run(converge(tmp_path, root))
    assert result.report.ok and result.changed_after() == {}
    (create,) = result.first.actions[0].steps
    assert route(create) == ("POST", "/api/2.0/serving-endpoints")


def test_a_newer_model_outside_the_pt_shape_fails_as_on_the_service(tmp_path: Path) -> None:
    # The same endpoint with Llama 4 goes to the classic route too, which refuses it; and
    # validate says so offline, at the model's name, before anything is sent.
    text = PT.replace("name: llama-pt\n", "name: llama-pt\ndescription: classic\n")
    root = write_project(tmp_path, {"pt.yaml": text})
    (problem,) = problems(root)
    assert problem.startswith("ENDPOINT-017 ") and "pt.yaml:5:" in problem
    assert "(it sets description)" in problem
    # What the service answers the create the planner makes of it: the next test.


ENTITY = ('    - {name: m, entity_name: MODEL, entity_version: "1",'
          ' provisioned_model_units: 50, EXTRA}\n')
SHAPES = {
    "the PT shape": ("", "burst_scaling_enabled: false"),
    "a description": ("description: d\n", "burst_scaling_enabled: false"),
    "route_optimized": ("route_optimized: true\n", "burst_scaling_enabled: false"),
    "a workload size": ("", "workload_size: Small"),
    "scale to zero": ("", "scale_to_zero_enabled: false"),
}


@pytest.mark.parametrize("model", ["system.ai.llama-4-maverick", "system.ai.gpt-oss-20b", OLDER])
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_validate_flags_exactly_what_the_service_would_refuse(
        tmp_path: Path, model: str, shape: str) -> None:
    # Offline and live agree: ENDPOINT-017 for a manifest if and only if its create is
    # refused as "not eligible for Provisioned Throughput".
    top, extra = SHAPES[shape]
    text = (f"name: ep\n{top}config:\n  served_entities:\n"
            + ENTITY.replace("MODEL", model).replace("EXTRA", extra))
    root = write_project(tmp_path, {"ep.yaml": text})
    found = problems(root)
    flagged = [p for p in found if p.startswith("ENDPOINT-017 ")]
    assert [p for p in found if not p.startswith("ENDPOINT-017 ")] == []
    # The create the planner makes of it (validation would stop apply first), as sent.
    endpoint = ServingEndpoint.model_validate(yaml.safe_load(text))
    action = plan_endpoint(DesiredEndpoint(endpoint), None, PlanOptions("p", "local"))
    (create,) = action.steps
    with InProcessApi() as api:
        answer = api.request(*route(create), json=plaintext_resolver({})(create.wire_body()))
    refused = answer.status_code == 400 and "not eligible" in answer.json()["message"]
    assert bool(flagged) == refused, (flagged, answer.text)
    assert refused == (model != OLDER and shape != "the PT shape")
    assert refused or answer.status_code == 200, answer.text


CLASSIC_CONFIG = {"served_entities": [{
    "name": "m", "entity_name": "system.ai.gpt-oss-120b", "entity_version": "1",
    "min_provisioned_throughput": 10, "max_provisioned_throughput": 100,
    "scale_to_zero_enabled": False}]}


@pytest.mark.parametrize("model", ["system.ai.gpt-oss-120b", "system.ai.llama-4-maverick"])
def test_the_classic_routes_refuse_newer_foundation_models(model: str) -> None:
    config = {"served_entities": [{**CLASSIC_CONFIG["served_entities"][0],
                                   "entity_name": model}]}
    message = f"Served entity {model} is not eligible for Provisioned Throughput."
    pt_entity = {"name": "m", "entity_name": model, "entity_version": "1",
                 "provisioned_model_units": 50}
    with InProcessApi() as api:
        # databricks-sdk-py issue #1081: the SDK's classic create of gpt-oss-120b.
        refused = api.post("/api/2.0/serving-endpoints", json={"name": "ep", "config": config})
        assert refused.status_code == 400
        assert refused.json() == {"error_code": "INVALID_PARAMETER_VALUE", "message": message}
        created = api.post("/api/2.0/serving-endpoints/pt", json={
            "name": "ep", "config": {"served_entities": [pt_entity]}})
        assert created.status_code == 200, created.text
        api.get("/api/2.0/serving-endpoints/ep")  # settles the create (ready_after 0)
        classic = api.put("/api/2.0/serving-endpoints/ep/config", json={
            "served_entities": [pt_entity]})
        assert (classic.status_code, classic.json()["message"]) == (400, message)
        pt_update = api.put("/api/2.0/serving-endpoints/pt/ep/config", json={
            "config": {"served_entities": [{**pt_entity, "provisioned_model_units": 100}]}})
        assert pt_update.status_code == 200, pt_update.text
        # An older foundation model still deploys through the classic create.
        older = {"served_entities": [{**CLASSIC_CONFIG["served_entities"][0],
                                      "entity_name": OLDER}]}
        assert api.post("/api/2.0/serving-endpoints",
                        json={"name": "old", "config": older}).status_code == 200


def test_a_uc_registered_pt_entity_gets_no_custom_model_defaults(tmp_path: Path) -> None:
    # A fine-tuned model registered in Unity Catalog (not system.ai.*) in model units: the
    # service picks its hardware, so neither the emulator nor the diff assumes CPU/Small.
    text = PT.replace("system.ai.llama-4-maverick", "main.ft.my_llama")
    root = write_project(tmp_path, {"pt.yaml": text})
    result = asyncio.run(converge(tmp_path, root))
    assert result.report.ok and result.changed_after() == {}
    (create,) = result.first.actions[0].steps
    assert route(create) == ("POST", "/api/2.0/serving-endpoints/pt")
    (entity,) = result.emulator_gets[0]["config"]["served_entities"]
    assert not {"workload_type", "workload_size", "scale_to_zero_enabled"} & set(entity)
    # What a workspace fills instead (GPU hardware, scale to zero) is not a change either.
    live = copy.deepcopy(result.emulator_gets[0])
    live["config"]["served_entities"][0].update(
        workload_type="GPU_MEDIUM", workload_size="Large", scale_to_zero_enabled=True)
    manifest = ServingEndpoint.model_validate(yaml.safe_load(text))
    assert compare_endpoint(manifest, view(live), "fidelity").changes == ()
