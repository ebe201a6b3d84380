"""The JSON Schema of the plan file (``plan --format json``, ``plan --out``), from the models.

Generated from ``Plan`` and committed as ``schemas/plan.schema.json`` so CI jobs and other
tools can validate or generate code for the plan JSON (docs/plan-json.md) without importing
this package; ``reconciler schema --plan`` prints it and a test fails when the committed copy
is out of date. The schema is the one ``apply FILE`` enforces: unknown fields are refused.
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.planning.plan import SCHEMA_VERSION, Plan

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
PLAN_SCHEMA_FILE = "plan.schema.json"


def plan_schema() -> dict[str, Any]:
    """The schema of a plan document of ``schema_version`` 2."""
    return {
        "$schema": SCHEMA_DIALECT,
        **Plan.model_json_schema(),
        "title": "ReconcilerPlan",
        "description": (
            f"A serving-reconciler plan (schema_version {SCHEMA_VERSION}): what `reconciler "
            "apply` does to each endpoint of one target, with the typed steps it writes "
            "(an operation on the action's own endpoint; never a method, path or URL). "
            "Described field by field in docs/plan-json.md."
        ),
    }


def plan_schema_text() -> str:
    """The committed text form: keys as generated, two-space indent, final newline."""
    return json.dumps(plan_schema(), indent=2, ensure_ascii=False) + "\n"
