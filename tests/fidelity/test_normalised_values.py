"""Issue 12 item 9: a value the service keeps instead of the one sent is said once, not
planned on every run (the emulator's `normalise` knob plays the service)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from support.registry_harness import emulator_registry
from support.roundtrip import converge, write_project

FOUNDATION = """\
name: llama
config:
  served_entities:
    - {name: llama, entity_name: system.ai.meta_llama_v3_1_8b_instruct, entity_version: "1",
       workload_size: Small, scale_to_zero_enabled: SCALE}
"""
KNOB = {"served_entities[].scale_to_zero_enabled": False}


def test_a_normalised_value_is_warned_recorded_and_not_planned_again(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"llama.yaml": FOUNDATION.replace("SCALE", "true")})

    async def scenario() -> None:
        async with emulator_registry(tmp_path / "emulator", normalise=KNOB) as emu:
            created = await converge(tmp_path, root, harness=emu)
            # Creates are not read back: the next plan shows the kept value once ...
            assert created.changed_after() == {
                "llama": ["config.served_entities[llama].scale_to_zero_enabled"]}
            # ... and the config update it sends finds out and records it.
            first = await converge(tmp_path, root, harness=emu)
            assert first.report.ok, [o.error for o in first.report.failed]
            (outcome,) = first.report.done
            assert outcome.note is not None
            assert ("the service keeps config.served_entities[llama].scale_to_zero_enabled = "
                    "false (sent true)") in outcome.note
            tags = {t["key"]: t["value"] for t in first.emulator_gets[0]["tags"]}
            assert "reconciler-normalised" in tags
            # The second plan of converge: nothing to do, and it says why.
            (action,) = first.second.actions
            assert action.action == "no-op" and action.changes == []
            assert [(x.path, x.kind, x.value) for x in action.explanations] == [
                ("config.served_entities[llama].scale_to_zero_enabled", "normalised", False)
            ]
            # A manifest change: compared again (the record is for the old config).
            (root / "endpoints" / "llama.yaml").write_text(
                FOUNDATION.replace("SCALE", "true").replace("Small", "Medium"))
            again = await converge(tmp_path, root, harness=emu)
            paths = sorted(c.path for a in again.first.actions for c in a.changes)
            assert paths == ["config.served_entities[llama].scale_to_zero_enabled",
                             "config.served_entities[llama].workload_size"]
            assert again.changed_after() == {}

    asyncio.run(scenario())


def test_without_normalisation_nothing_is_recorded(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"llama.yaml": FOUNDATION.replace("SCALE", "true")})
    result = asyncio.run(converge(tmp_path, root))
    assert result.report.ok and result.changed_after() == {}
    assert "reconciler-normalised" not in {t["key"] for t in result.emulator_gets[0]["tags"]}
    assert all(o.note is None for o in result.report.done)
