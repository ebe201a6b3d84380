"""The committed JSON Schema of the plan file is current, and real plans validate against it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from support.registry_harness import EXAMPLES, FAST_WAITS, copy_project

from reconciler.api import workflow
from reconciler.api.validating import load_project
from reconciler.planning.schema import PLAN_SCHEMA_FILE, plan_schema_text
from reconciler.planning.serialize import plan_to_json

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "schemas" / PLAN_SCHEMA_FILE
REGENERATE = f"reconciler schema --plan > schemas/{PLAN_SCHEMA_FILE}"


def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(COMMITTED.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_the_committed_schema_is_up_to_date() -> None:
    assert COMMITTED.read_text() == plan_schema_text(), (
        f"schemas/{PLAN_SCHEMA_FILE} is out of date with reconciler/planning/plan.py: "
        f"run `{REGENERATE}` and commit it")


def test_the_cli_prints_the_committed_schema() -> None:
    out = subprocess.run([sys.executable, "-m", "reconciler", "schema", "--plan"],
                         capture_output=True, text=True, check=True, timeout=60).stdout
    assert out == COMMITTED.read_text()


def test_docs_link_the_schema() -> None:
    assert f"(../schemas/{PLAN_SCHEMA_FILE})" in (ROOT / "docs" / "plan-json.md").read_text()


def test_real_plans_validate_and_unknown_fields_do_not(tmp_path: Path) -> None:
    root = copy_project(EXAMPLES, tmp_path / "project")
    check = validator()
    created = workflow.plan(load_project(root))
    check.validate(json.loads(plan_to_json(created)))
    report = workflow.apply(load_project(root), created,
                            workflow.ApplySettings(wait_settings=FAST_WAITS))
    assert report.ok
    chat = root / "endpoints" / "chat.yaml"
    chat.write_text(chat.read_text().replace("tier: gold", "tier: platinum"))
    updated: dict[str, Any] = json.loads(plan_to_json(workflow.plan(
        load_project(root), workflow.PlanSettings(prune=True))))
    assert {a["action"] for a in updated["actions"]} == {"update", "no-op"}
    check.validate(updated)

    updated["actions"][0]["extra"] = 1
    with pytest.raises(jsonschema.ValidationError, match="extra"):
        check.validate(updated)
    del updated["actions"][0]["extra"]
    updated["schema_version"] = 3
    with pytest.raises(jsonschema.ValidationError):
        check.validate(updated)
