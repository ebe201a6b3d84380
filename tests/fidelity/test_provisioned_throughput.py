"""Issue 12 item 8: provisioned-throughput endpoints take the /pt routes, emulated."""

from __future__ import annotations

import asyncio
from pathlib import Path

from support.registry_harness import emulator_registry
from support.roundtrip import converge, problems, write_project

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


def test_an_endpoint_outside_the_pt_shape_keeps_the_classic_route(tmp_path: Path) -> None:
    # A description is not part of the PT create; a throughput range is the classic PT.
    text = PT.replace("name: llama-pt\n", "name: llama-pt\ndescription: classic\n")
    root = write_project(tmp_path, {"pt.yaml": text})
    result = asyncio.run(converge(tmp_path, root))
    assert result.report.ok and result.changed_after() == {}
    (create,) = result.first.actions[0].steps
    assert route(create) == ("POST", "/api/2.0/serving-endpoints")
