"""A saved plan is applied only to the project, target and host it was made for."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.registry_harness import EXAMPLES, copy_project

from reconciler import errors
from reconciler.api import saved_plans
from reconciler.api.validating import load_project
from reconciler.planning.plan import Plan
from reconciler.planning.serialize import plan_to_json


def save(plan: Plan, path: Path) -> Path:
    path.write_text(plan_to_json(plan))
    return path


def test_plan_of_another_project_target_or_host_is_refused(tmp_path: Path) -> None:
    project = load_project(copy_project(EXAMPLES, tmp_path / "project"))
    good = Plan(project="acme-genai", project_id=project.file.project_id, target_name="local")
    assert saved_plans.load_saved_plan(save(good, tmp_path / "ok.json"), project) == good
    cases = {
        "other-project": good.model_copy(update={"project": "someone-else"}),
        "other-target": good.model_copy(update={"target_name": "prod"}),
        "other-host": good.model_copy(update={"target_host": "https://dbc-1.example.com"}),
        # Another repository of the same name, or this one before it had an id.
        "other-repository": good.model_copy(update={"project_id": "b41d0e9a77c25f13"}),
        "no-project-id": good.model_copy(update={"project_id": None}),
    }
    for name, plan in cases.items():
        with pytest.raises(errors.PlanError, match="was made for"):
            saved_plans.load_saved_plan(save(plan, tmp_path / f"{name}.json"), project)


def test_unreadable_plan_files_are_clear_errors(tmp_path: Path) -> None:
    project = load_project(copy_project(EXAMPLES, tmp_path / "project"))
    with pytest.raises(errors.PlanError, match="cannot read the plan file"):
        saved_plans.load_saved_plan(tmp_path / "missing.json", project)
    (tmp_path / "garbage.json").write_text("{not json")
    with pytest.raises(errors.PlanError, match="not a plan file"):
        saved_plans.load_saved_plan(tmp_path / "garbage.json", project)
