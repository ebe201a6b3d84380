"""export writes manifests the loader reads back, and a plan of them shows no changes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from support.registry_harness import EXAMPLES, FAST_WAITS, copy_project, emulator_registry

from reconciler import errors
from reconciler.api import workflow
from reconciler.api.validating import load_project
from reconciler.render.manifest_yaml import to_yaml, to_yaml_documents

APPLY = workflow.ApplySettings(wait_settings=FAST_WAITS)


def test_export_round_trips_through_the_loader(tmp_path: Path) -> None:
    root = copy_project(EXAMPLES, tmp_path / "project")

    async def scenario() -> None:
        async with emulator_registry(tmp_path) as emu:
            project = load_project(root)
            plan = await workflow.plan_with(project, emu.registry, workflow.PlanSettings())
            assert (await workflow.apply_with(project, emu.registry, plan, APPLY)).ok
            await emu.registry.create_endpoint({"name": "unmanaged", "config": {
                "served_entities": [{"name": "m", "entity_name": "main.ml.model",
                                     "entity_version": "3", "workload_size": "Small",
                                     "scale_to_zero_enabled": True}]}})

            ours = await workflow.export_with(project, emu.registry, workflow.ExportSettings())
            assert len(ours) == len(project.endpoints)
            every = await workflow.export_with(project, emu.registry,
                                               workflow.ExportSettings(all=True))
            assert "unmanaged" in [m["name"] for m in every]
            for manifest in ours:
                assert "reconciler-project" not in str(manifest.get("tags"))
                assert "state" not in manifest and "id" not in manifest

            exported = tmp_path / "exported"
            (exported / "endpoints").mkdir(parents=True)
            (exported / "reconciler.yaml").write_text((root / "reconciler.yaml").read_text())
            (exported / "endpoints" / "all.yaml").write_text(to_yaml_documents(ours))
            again = load_project(exported)
            replan = await workflow.plan_with(again, emu.registry, workflow.PlanSettings())
            changed = {a.name: [c.path for c in a.changes] for a in replan.actions
                       if a.has_changes}
            assert changed == {}

            with pytest.raises(errors.PlanError, match="no live endpoint named 'nope'"):
                await workflow.export_with(project, emu.registry,
                                           workflow.ExportSettings(select=("nope",)))

    asyncio.run(scenario())


def test_yaml_quotes_what_yaml_would_misread() -> None:
    text = to_yaml({"name": "x", "tags": {"a": "true", "b": "1.5", "c": "no", "d": "a: b",
                                          "e": "{{secrets/s/k}}", "f": "", "g": "plain text"}})
    assert 'a: "true"' in text and 'b: "1.5"' in text and 'c: "no"' in text
    assert 'd: "a: b"' in text and 'e: "{{secrets/s/k}}"' in text and 'f: ""' in text
    assert "g: plain text" in text
