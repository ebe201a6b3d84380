"""``plan --format json``: the documented plan JSON (docs/plan-json.md), secrets masked.

The same document a saved plan holds, so a CI job can read either. ``schema_version`` says
which shape it is; fields are only ever added.
"""

from __future__ import annotations

from reconciler.planning.plan import Plan
from reconciler.planning.serialize import plan_to_json


def render_plan_json(plan: Plan) -> str:
    return plan_to_json(plan)
