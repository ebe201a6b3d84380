"""Issue 12 item 2: telemetry_config is modelled, emulated, planned and applied as a facet
with its own write route (PATCH .../telemetry-config)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from support.registry_harness import emulator_registry
from support.roundtrip import converge, problems, write_project

from reconciler.registry.routes import route

AGENT = """\
name: agent
config:
  served_entities:
    - {name: agent-1, entity_name: main.agents.support, entity_version: "1",
       workload_size: Small, scale_to_zero_enabled: true}
telemetry_config:
  table_names: {logs_table: main.tel.logs, traces_table: main.tel.traces}
  enabled_telemetry_features: [TELEMETRY_FEATURE_TRACES, TELEMETRY_FEATURE_LOGS]
  inference_table_config: {sampling_fraction: 0.25}
"""


def test_telemetry_is_created_then_patched_through_its_own_route(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"agent.yaml": AGENT})
    assert problems(root) == []

    async def scenario() -> None:
        async with emulator_registry(tmp_path / "emulator") as emu:
            created = await converge(tmp_path, root, harness=emu)
            assert created.report.ok, [o.error for o in created.report.failed]
            assert created.changed_after() == {}
            live = created.emulator_gets[0]["telemetry_config"]
            assert live["inference_table_config"] == {"sampling_fraction": 0.25}
            assert "table_names" not in live  # input only, as the CLI observes

            (root / "endpoints" / "agent.yaml").write_text(AGENT.replace("0.25", "0.5"))
            changed = await converge(tmp_path, root, harness=emu)
            (action,) = changed.first.actions
            assert action.facets == ["telemetry"]
            assert [(c.path, c.old, c.new, c.impact) for c in action.changes] == [
                ("telemetry_config.inference_table_config.sampling_fraction", 0.25, 0.5,
                 "in-place")]
            # The telemetry PATCH, then the tags PATCH that records the new applied mark.
            assert [route(s) for s in action.steps] == [
                ("PATCH", "/api/2.0/serving-endpoints/agent/telemetry-config"),
                ("PATCH", "/api/2.0/serving-endpoints/agent/tags")]
            assert changed.report.ok and changed.changed_after() == {}
            assert ("PATCH", "/api/2.0/serving-endpoints/agent/telemetry-config") in emu.writes()

    asyncio.run(scenario())


def test_an_unknown_telemetry_feature_is_refused(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"agent.yaml": AGENT.replace("TELEMETRY_FEATURE_LOGS",
                                                                "TELEMETRY_FEATURE_LOG")})
    (problem,) = problems(root)
    assert problem.startswith("STRUCT-003")
    assert "did you mean 'TELEMETRY_FEATURE_LOGS'" in problem
