"""Issue 12 item 6: a change to a write-only setting (burst_scaling_enabled) is seen through
the salted digest tag and applied; budget_policy_id (no update API) is a clear warning."""

from __future__ import annotations

import asyncio
from pathlib import Path

from support.live_views import view
from support.registry_harness import emulator_registry
from support.roundtrip import converge, write_project

PT = """\
name: llama-pt
config:
  served_entities:
    - {name: maverick, entity_name: system.ai.llama-4-maverick, entity_version: "1",
       provisioned_model_units: 100, burst_scaling_enabled: BURST}
"""


def test_a_burst_scaling_change_is_planned_and_applied(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"pt.yaml": PT.replace("BURST", "false")})

    async def scenario() -> None:
        async with emulator_registry(tmp_path / "emulator") as emu:
            created = await converge(tmp_path, root, harness=emu)
            assert created.report.ok and created.changed_after() == {}
            (root / "endpoints" / "pt.yaml").write_text(PT.replace("BURST", "true"))
            changed = await converge(tmp_path, root, harness=emu)
            (action,) = changed.first.actions
            assert action.action == "update"
            assert [c.path for c in action.changes] == [
                "config.served_entities[maverick].burst_scaling_enabled"]
            sent = [s.wire_body() for s in action.steps if s.op == "update_config"]
            assert sent[0]["config"]["served_entities"][0]["burst_scaling_enabled"] is True
            assert changed.report.ok and changed.changed_after() == {}

    asyncio.run(scenario())


BUDGET = """\
name: chat
budget_policy_id: POLICY
config:
  served_entities:
    - name: gpt
      external_model:
        name: gpt-4o-mini
        provider: openai
        task: llm/v1/chat
        openai_config: {openai_api_key: "{{secrets/s/k}}"}
"""


def test_a_budget_policy_change_is_a_warning_naming_both_policies(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"chat.yaml": BUDGET.replace("POLICY", "bp-old")})

    async def scenario() -> None:
        async with emulator_registry(tmp_path / "emulator") as emu:
            created = await converge(tmp_path, root, harness=emu)
            assert created.report.ok and created.changed_after() == {}
            assert "budget" not in created.second.actions[0].reason
            (root / "endpoints" / "chat.yaml").write_text(BUDGET.replace("POLICY", "bp-new"))
            again = await converge(tmp_path, root, harness=emu)
            (action,) = again.first.actions
            assert action.action == "no-op" and action.changes == []
            assert ("budget_policy_id 'bp-new' is not the endpoint's policy 'bp-old'"
                    in action.reason)
            assert "no API changes it" in action.reason

    asyncio.run(scenario())


def test_export_keeps_a_returned_budget_policy_but_never_pins_the_effective_one() -> None:
    from reconciler.diff.export import live_to_manifest

    body = {"name": "chat", "effective_budget_policy_id": "bp-default"}
    assert "budget_policy_id" not in live_to_manifest(view(body))
    pinned = live_to_manifest(view({**body, "budget_policy_id": "bp-1"}))
    assert pinned["budget_policy_id"] == "bp-1"
