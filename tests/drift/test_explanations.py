"""Live-side differences that are not changes are explained, not planned (diff.explain)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from support.live_views import views

from reconciler.model.endpoint import ServingEndpoint
from reconciler.planning.planner import DesiredEndpoint, PlanOptions, build_plan

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "plan"


def explained(case: str) -> dict[str, set[tuple[str, str, Any]]]:
    docs = [d for d in yaml.safe_load_all((GOLDEN / case / "manifest.yaml").read_text()) if d]
    live = views(json.loads((GOLDEN / case / "live.json").read_text()))
    # A tag edit gives each endpoint a change: only those carry explanations.
    desired = [DesiredEndpoint(ServingEndpoint.model_validate(
        {**d, "tags": {**(d.get("tags") or {}), "touched": "yes"}})) for d in docs]
    plan = build_plan(desired, live, PlanOptions(project="acme-genai", target_name="t"))
    return {a.name: {(e.kind, e.path, e.value) for e in a.explanations} for a in plan.actions}


def test_backend_defaults_held_live_are_explained_not_changed() -> None:
    found = explained("noop-custom-model-backend-defaults")
    assert ("backend default", "config.served_entities[fraud_classifier-3].workload_size",
            "Small") in found["fraud-model"]


def test_write_only_fields_are_explained_as_not_comparable() -> None:
    found = explained("noop-write-only-fields")
    paths = {path for kind, path, _ in found["bedrock-chat"] if kind == "write-only"}
    assert "config.served_entities[claude].burst_scaling_enabled" in paths
    assert any(p.endswith("aws_secret_access_key_plaintext") for p in paths)


def test_up_to_date_endpoints_have_nothing_to_explain() -> None:
    case = GOLDEN / "noop-custom-model-backend-defaults"
    docs = [d for d in yaml.safe_load_all((case / "manifest.yaml").read_text()) if d]
    live = views(json.loads((case / "live.json").read_text()))
    plan = build_plan([DesiredEndpoint(ServingEndpoint.model_validate(d)) for d in docs], live,
                      PlanOptions(project="acme-genai", target_name="t"))
    assert all(a.explanations == [] for a in plan.actions)


def test_a_create_has_nothing_to_explain() -> None:
    doc = yaml.safe_load((GOLDEN / "update-config-only" / "manifest.yaml").read_text())
    plan = build_plan([DesiredEndpoint(ServingEndpoint.model_validate(doc))], {},
                      PlanOptions(project="acme-genai", target_name="t"))
    assert plan.actions[0].explanations == []
