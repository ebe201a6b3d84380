"""Golden plan cases: tests/golden/plan/<case>/ as data (the spec of docs/diff.md).

Each case folder holds:

* ``manifest.yaml``: one or more endpoint manifests (``---`` separated; may be empty);
* ``live.json``: a list of GET bodies (``ServingEndpointDetailed``) as the workspace has them;
* ``options.json`` (optional): ``{"prune": bool, "select": [...], "allow_recreate": bool,
  "project": "...", "project_id": "...", "adopt_legacy_ownership": bool}`` (project defaults
  to ``acme-genai``, project_id to none: a project without an id);
* ``permissions.json`` (optional): the permissions facet's live side, ``{"caller":
  USER_NAME, "grants": {ENDPOINT: the GET .../permissions/serving-endpoints/{id} answer}}``;
* ``expected.json``: what the plan must say: per action its name, action, reason, facets,
  flags, every change (path, old, new, impact, origin) and every request apply sends (each
  typed step as the registry routes it: facet, method, path, body), plus the summary line.
  Secrets appear masked, as in any plan output.

``UPDATE_GOLDEN=1 pytest tests/planning/test_golden.py`` rewrites the expected files from
the current planner; review every rewritten file by hand, they are the spec.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import yaml
from support.live_views import views

from reconciler.diff.permissions import GrantsRead, caller_principal, live_direct_grants
from reconciler.model.endpoint import ServingEndpoint
from reconciler.model.live import LiveEndpoint
from reconciler.model.steps import PlanStep, SetPermissionsStep
from reconciler.planning.plan import Plan
from reconciler.planning.planner import DesiredEndpoint, PlanOptions, build_plan
from reconciler.planning.serialize import plan_to_dict
from reconciler.redaction import redact_data
from reconciler.registry.routes import request_line, route
from reconciler.render.plan_text import summary_line

CASES = Path(__file__).resolve().parent.parent / "golden" / "plan"
PROJECT = "acme-genai"


def case_names() -> list[str]:
    return sorted(p.name for p in CASES.iterdir() if (p / "manifest.yaml").exists())


def load_case(name: str) -> tuple[list[DesiredEndpoint], dict[str, LiveEndpoint], PlanOptions]:
    """A case's manifests, its live endpoints (``live.json`` read as the registry's views, as
    ``build_plan`` takes them; the recorded body is each view's ``raw``) and its options."""
    folder = CASES / name
    docs = [d for d in yaml.safe_load_all((folder / "manifest.yaml").read_text()) if d]
    desired = [
        DesiredEndpoint(ServingEndpoint.model_validate(doc), source=f"manifest.yaml#{i + 1}")
        for i, doc in enumerate(docs)
    ]
    live_list = json.loads((folder / "live.json").read_text())
    live = views(live_list)
    options_file = folder / "options.json"
    raw = json.loads(options_file.read_text()) if options_file.exists() else {}
    options = PlanOptions(
        project=raw.get("project", PROJECT),
        target_name="golden",
        prune=raw.get("prune", False),
        select=tuple(raw.get("select", ())),
        allow_recreate=raw.get("allow_recreate", False),
        project_id=raw.get("project_id"),
        adopt_legacy_ownership=raw.get("adopt_legacy_ownership", False),
    )
    return desired, live, options


def load_grants(name: str) -> GrantsRead:
    """``permissions.json`` of a case: ``{"caller": USER_NAME, "grants": {endpoint: GET
    .../permissions answer}}``; without the file, nothing was read (no manifest declares
    permissions)."""
    path = CASES / name / "permissions.json"
    if not path.exists():
        return GrantsRead()
    raw = json.loads(path.read_text())
    grants = {n: live_direct_grants(answer) for n, answer in raw.get("grants", {}).items()}
    return GrantsRead(caller_principal({"userName": raw.get("caller")}), grants)


def plan_case(name: str) -> Plan:
    desired, live, options = load_case(name)
    read = load_grants(name)
    return build_plan(desired, live, dataclasses.replace(options, caller=read.caller),
                      read.grants)


_ACTION_KEYS = (
    "name", "action", "reason", "facets", "blocked", "wait_for_update",
    "pending_config_version", "live_config_version", "changes",
)


def expected_view(plan: Plan) -> dict[str, Any]:
    """The part of a plan a golden file pins (digests and sources are tested elsewhere)."""
    data = plan_to_dict(plan)
    actions = []
    for typed, action in zip(plan.actions, data["actions"], strict=True):
        view = {k: action[k] for k in _ACTION_KEYS}
        view["requests"] = [_request_view(step) for step in typed.steps]
        view["changes"] = [
            {k: v for k, v in change.items() if v is not None or k in ("old", "new")}
            for change in action["changes"]
        ]
        actions.append(view)
    return {"summary": summary_line(plan), "actions": actions}


def _request_view(step: PlanStep) -> dict[str, Any]:
    if isinstance(step, SetPermissionsStep):  # keyed by the endpoint id, known at apply
        method, path = request_line(step).split(" ", 1)
    else:
        method, path = route(step)
    return {"facet": step.facet, "method": method, "path": path,
            "body": redact_data(step.wire_body())}
