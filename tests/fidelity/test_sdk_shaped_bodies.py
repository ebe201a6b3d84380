"""Issue 12 item 3: bodies as the Python SDK builds them paste in and converge."""

from __future__ import annotations

import asyncio
from pathlib import Path

from support.registry_harness import emulator_registry
from support.roundtrip import converge, problems, write_project

SDK_STYLE = """\
name: sdk-style
config:
  name: sdk-style
  served_models:
    - name: fraud-7
      model_name: fraud
      model_version: "7"
      min_provisioned_concurrency: 4
      max_provisioned_concurrency: 8
      burst_scaling_enabled: true
      scale_to_zero_enabled: false
"""


def test_config_name_and_served_model_concurrency_validate_apply_and_converge(
    tmp_path: Path,
) -> None:
    root = write_project(tmp_path, {"ep.yaml": SDK_STYLE})
    assert problems(root) == []
    result = asyncio.run(converge(tmp_path, root))
    assert result.report.ok, [o.error for o in result.report.failed]
    assert result.changed_after() == {}
    (create,) = [s for a in result.first.actions for s in a.steps]
    assert create.body["config"]["name"] == "sdk-style"
    model = create.body["config"]["served_models"][0]
    assert (model["min_provisioned_concurrency"], model["max_provisioned_concurrency"]) == (4, 8)
    assert model["burst_scaling_enabled"] is True
    (live,) = result.emulator_gets
    assert "name" not in live["config"]
    assert live["config"]["served_models"][0]["max_provisioned_concurrency"] == 8


def test_a_changed_concurrency_range_of_a_served_model_is_planned(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"ep.yaml": SDK_STYLE})

    async def scenario() -> None:
        async with emulator_registry(tmp_path / "emulator") as emu:
            assert (await converge(tmp_path, root, harness=emu)).report.ok
            (root / "endpoints" / "ep.yaml").write_text(SDK_STYLE.replace("8\n", "16\n"))
            again = await converge(tmp_path, root, harness=emu)
            (action,) = again.first.actions
            assert [(c.path, c.old, c.new) for c in action.changes] == [
                ("config.served_models[fraud-7].max_provisioned_concurrency", 8, 16)
            ]
            assert again.report.ok and again.changed_after() == {}

    asyncio.run(scenario())


def test_config_name_other_than_the_endpoint_name_is_refused(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"ep.yaml": SDK_STYLE.replace("  name: sdk-style", "  name: x")})
    (problem,) = problems(root)
    assert problem.startswith("ENDPOINT-001")
    assert "config.name 'x' differs from the endpoint name 'sdk-style'" in problem
