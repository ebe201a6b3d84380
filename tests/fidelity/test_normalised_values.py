"""Issue 12 item 9: a value the service keeps instead of the one sent is said once, not
planned on every run (the emulator's `normalise` knob plays the service)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.emulator_server import EmulatorServer
from support.registry_harness import emulator_registry
from support.remote_project import point_at, reconciler
from support.roundtrip import converge, write_project

from reconciler.cli.main import cli
from reconciler.emulator.settings import parse_normalise

FOUNDATION = """\
name: llama
config:
  served_entities:
    - {name: llama, entity_name: system.ai.meta_llama_v3_1_8b_instruct, entity_version: "1",
       workload_size: Small, scale_to_zero_enabled: SCALE}
"""
KNOB = {"served_entities[].scale_to_zero_enabled": False}


NOTE = ("the service keeps config.served_entities[llama].scale_to_zero_enabled = false "
        "(sent true)")


def test_a_normalised_value_is_warned_recorded_and_not_planned_again(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"llama.yaml": FOUNDATION.replace("SCALE", "true")})

    async def scenario() -> None:
        async with emulator_registry(tmp_path / "emulator", normalise=KNOB) as emu:
            # The read after the create finds the kept value, says so and records it ...
            created = await converge(tmp_path, root, harness=emu)
            assert created.report.ok, [o.error for o in created.report.failed]
            (outcome,) = created.report.done
            assert outcome.action == "create"
            assert outcome.note is not None and NOTE in outcome.note
            tags = {t["key"]: t["value"] for t in created.emulator_gets[0]["tags"]}
            assert "reconciler-normalised" in tags
            # ... so the plan after it has nothing to do, and says why.
            assert created.changed_after() == {}
            (action,) = created.second.actions
            assert action.action == "no-op" and action.changes == []
            assert [(x.path, x.kind, x.value) for x in action.explanations] == [
                ("config.served_entities[llama].scale_to_zero_enabled", "normalised", False)
            ]
            # A manifest change: compared again (the record is for the old config), and the
            # config update finds the kept value and records it for the new config.
            (root / "endpoints" / "llama.yaml").write_text(
                FOUNDATION.replace("SCALE", "true").replace("Small", "Medium"))
            again = await converge(tmp_path, root, harness=emu)
            paths = sorted(c.path for a in again.first.actions for c in a.changes)
            assert paths == ["config.served_entities[llama].scale_to_zero_enabled",
                             "config.served_entities[llama].workload_size"]
            (updated,) = again.report.done
            assert updated.note is not None and NOTE in updated.note
            assert again.changed_after() == {}
            assert again.emulator_gets[0] != created.emulator_gets[0]
            after = {t["key"]: t["value"] for t in again.emulator_gets[0]["tags"]}
            assert after["reconciler-normalised"] != tags["reconciler-normalised"]

    asyncio.run(scenario())


def test_without_normalisation_nothing_is_recorded(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"llama.yaml": FOUNDATION.replace("SCALE", "true")})
    result = asyncio.run(converge(tmp_path, root))
    assert result.report.ok and result.changed_after() == {}
    assert "reconciler-normalised" not in {t["key"] for t in result.emulator_gets[0]["tags"]}
    assert all(o.note is None for o in result.report.done)


@pytest.mark.e2e
def test_emulator_serve_normalise_plays_the_service_through_the_cli(tmp_path: Path) -> None:
    flag = "served_entities[].scale_to_zero_enabled=false"
    with EmulatorServer.start(db_path=tmp_path / "e.db", normalise=flag) as server:
        root = point_at(write_project(
            tmp_path, {"llama.yaml": FOUNDATION.replace("SCALE", "true")}), server)
        applied = reconciler(root, server, "apply", "--auto-approve", "--format", "json")
        assert applied.returncode == 0, applied.stderr
        (outcome,) = json.loads(applied.stdout)["outcomes"]
        assert outcome["action"] == "create" and NOTE in outcome["note"]
        assert NOTE in applied.stderr  # the warning, also on the terminal
        plan = reconciler(root, server, "plan", "--detailed-exitcode")
        assert plan.returncode == 0, plan.stdout + plan.stderr
        drift = reconciler(root, server, "drift")
        assert drift.returncode == 0, drift.stdout + drift.stderr


@pytest.mark.parametrize(("text", "expected"), [
    ("served_entities[].scale_to_zero_enabled=false",
     ("served_entities[].scale_to_zero_enabled", False)),
    ("served_entities[].workload_size=Small", ("served_entities[].workload_size", "Small")),
    ('served_entities[].workload_size="Large"', ("served_entities[].workload_size", "Large")),
    ("auto_capture_config.enabled=true", ("auto_capture_config.enabled", True)),
])
def test_normalise_flag_values(text: str, expected: tuple[str, object]) -> None:
    assert parse_normalise(text) == expected


@pytest.mark.parametrize("text", [
    "scale_to_zero_enabled", "=false", "served_entities[]=1", "Served.Entities=1",
    "served_entities..x=1",
])
def test_a_bad_normalise_flag_is_refused_before_serving(text: str) -> None:
    result = CliRunner().invoke(cli, ["emulator", "serve", "--normalise", text])
    assert result.exit_code == 2
    assert "Invalid value for '--normalise'" in result.output
    assert "Traceback" not in result.output
