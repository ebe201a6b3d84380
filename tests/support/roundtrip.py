"""Manifests written as text -> a project on disk -> validate, plan, apply on the emulator, plan.

    root = write_project(tmp_path, {"chat.yaml": TEXT})
    result = asyncio.run(converge(tmp_path, root))
    result.first.actions, result.report.ok, result.changed_after()   # {} when converged

The emulator is the real app in-process (``emulator_registry``); nothing is mocked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.api import validate_project, workflow
from reconciler.api.validating import load_project
from reconciler.applying.report import ApplyReport
from reconciler.planning.plan import Plan
from support.registry_harness import FAST_WAITS, EmulatorHarness, emulator_registry

PROJECT_FILE = """\
project: fidelity
project_id: f1de1175a0c4e2b9
manifests: [endpoints/]
default_target: local
targets:
  local: {{local: .reconciler/local.db}}
policy:
  plaintext_secrets: {plaintext}
"""


def write_project(
    tmp_path: Path, manifests: Mapping[str, str], *, plaintext: str = "allow"
) -> Path:
    """A project in ``tmp_path/project`` with these ``endpoints/`` files, on the embedded
    ``local`` target (``support.remote_project.point_at`` turns it to a served emulator)."""
    root = tmp_path / "project"
    (root / "endpoints").mkdir(parents=True, exist_ok=True)
    (root / "reconciler.yaml").write_text(PROJECT_FILE.format(plaintext=plaintext))
    for name, text in manifests.items():
        (root / "endpoints" / name).write_text(text)
    return root


def problems(root: Path, env: Mapping[str, str] | None = None) -> list[str]:
    """``RULE location message`` of every validation error (warnings left out)."""
    report = validate_project(root, env=env or {})
    return [f"{i.rule} {i.location} {i.message}" for i in report.issues if i.severity == "error"]


@dataclass
class Converged:
    first: Plan
    report: ApplyReport
    second: Plan
    emulator_gets: list[dict[str, Any]]
    writes: list[tuple[str, str]]

    def changed_after(self) -> dict[str, list[str]]:
        return {a.name: [c.path for c in a.changes] for a in self.second.actions
                if a.has_changes}


async def converge(
    tmp_path: Path,
    root: Path,
    env: Mapping[str, str] | None = None,
    harness: EmulatorHarness | None = None,
    **emulator: Any,
) -> Converged:
    """Plan, apply and plan again against a fresh emulator (or ``harness``)."""
    project = load_project(root, env=env or {})
    settings = workflow.ApplySettings(wait_settings=FAST_WAITS, env=dict(env or {}))

    async def run(emu: EmulatorHarness) -> Converged:
        first = await workflow.plan_with(project, emu.registry, workflow.PlanSettings())
        report = await workflow.apply_with(project, emu.registry, first, settings)
        second = await workflow.plan_with(project, emu.registry, workflow.PlanSettings())
        gets = [await emu.registry.get_endpoint(e.endpoint.name) for e in project.endpoints]
        return Converged(first, report, second, [g for g in gets if g], emu.writes())

    if harness is not None:
        return await run(harness)
    async with emulator_registry(tmp_path / "emulator", **emulator) as emu:
        return await run(emu)
