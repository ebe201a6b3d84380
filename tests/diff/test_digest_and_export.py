"""live_digest moves only with the comparable state; live_to_manifest round-trips to no-op."""

from __future__ import annotations

import copy
import json

import pytest
from planning import golden
from support.live_views import view, views

from reconciler.diff.digest import live_digest
from reconciler.diff.export import live_to_manifest
from reconciler.model.endpoint import ServingEndpoint
from reconciler.planning.planner import DesiredEndpoint, PlanOptions, build_plan


def _chat_live() -> dict:
    _, live, _ = golden.load_case("update-config-only")
    return copy.deepcopy(dict(live["chat"].raw))


def test_digest_ignores_server_bookkeeping() -> None:
    body = _chat_live()
    before = live_digest(view(body))
    body["last_updated_timestamp"] += 60_000
    body["state"] = {"ready": "NOT_READY", "config_update": "NOT_UPDATING"}
    body["config"]["config_version"] = 7
    body["tags"].reverse()
    assert live_digest(view(body)) == before
    assert before.startswith("sha256:") and len(before) == len("sha256:") + 32


@pytest.mark.parametrize(
    "edit",
    [
        lambda b: b["tags"].append({"key": "added-in-ui", "value": "x"}),
        lambda b: b["config"]["served_entities"][0]["external_model"].update(name="gpt-4"),
        lambda b: b.update(ai_gateway={"usage_tracking_config": {"enabled": True}}),
        lambda b: b.update(email_notifications={"on_update_failure": ["a@example.com"]}),
    ],
    ids=["tag", "config", "gateway", "notifications"],
)
def test_digest_moves_with_any_compared_setting(edit) -> None:  # type: ignore[no-untyped-def]
    body = _chat_live()
    before = live_digest(view(body))
    edit(body)
    assert live_digest(view(body)) != before


def test_pending_update_landing_as_planned_keeps_the_digest() -> None:
    _, live, _ = golden.load_case("update-in-progress-pending-matches-manifest")
    in_flight = dict(live["chat"].raw)
    landed = copy.deepcopy(in_flight)
    landed["config"] = landed.pop("pending_config")
    landed["state"] = {"ready": "READY", "config_update": "NOT_UPDATING"}
    assert live_digest(view(landed)) == live_digest(view(in_flight))
    failed = copy.deepcopy(in_flight)
    del failed["pending_config"]
    failed["state"] = {"ready": "READY", "config_update": "UPDATE_FAILED"}
    assert live_digest(view(failed)) != live_digest(view(in_flight))


def _all_live_bodies() -> list[tuple[str, dict]]:
    out = []
    for case in golden.case_names():
        for body in json.loads((golden.CASES / case / "live.json").read_text()):
            out.append((f"{case}/{body['name']}", body))
    return out


@pytest.mark.parametrize("body", [b for _, b in _all_live_bodies()],
                         ids=[i for i, _ in _all_live_bodies()])
def test_export_then_plan_shows_no_changes(body: dict) -> None:
    manifest = live_to_manifest(view(body))
    endpoint = ServingEndpoint.model_validate(manifest)  # a valid manifest
    owner = next((t["value"] for t in body.get("tags", []) if t["key"] == "reconciler-project"),
                 None)
    plan = build_plan([DesiredEndpoint(endpoint)], views([body]),
                      PlanOptions(project=owner or "acme-genai", target_name="t"))
    (action,) = plan.actions
    if owner is None:  # adopting: only our ownership tag is added
        assert [c.path for c in action.changes] == ["tags[reconciler-project]"]
    else:
        assert action.action == "no-op", action.changes


def test_export_is_clean() -> None:
    _, live, _ = golden.load_case("noop-external-backend-defaults")
    manifest = live_to_manifest(live["embeddings"])
    keys: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            keys.update(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(manifest)
    server_fields = {"creator", "state", "config_version", "endpoint_type", "id",
                     "permission_level", "unknown_future_field", "openai_api_type",
                     "description", "route_optimized", "traffic_config", "tags"}
    assert not keys & server_fields
    assert list(manifest) == ["name", "config"]
    (entity,) = manifest["config"]["served_entities"]
    assert entity["name"] == "text-embedding-3-small-v1"


def test_export_keeps_what_the_api_requires() -> None:
    _, live, _ = golden.load_case("noop-custom-model-backend-defaults")
    manifest = live_to_manifest(live["fraud-model"])
    assert manifest["config"]["served_entities"][0]["scale_to_zero_enabled"] is False
    _, live, _ = golden.load_case("noop-ai-gateway-defaults")
    limits = live_to_manifest(live["chat"])["ai_gateway"]["rate_limits"]
    assert all(limit["renewal_period"] == "minute" for limit in limits)


def test_a_failed_update_is_compared_against_the_active_config() -> None:
    _, live, _ = golden.load_case("update-in-progress-pending-matches-manifest")
    body = copy.deepcopy(dict(live["chat"].raw))
    body["state"] = {"ready": "READY", "config_update": "UPDATE_FAILED"}
    active_only = {k: v for k, v in body.items() if k != "pending_config"}
    assert live_digest(view(body)) == live_digest(view(active_only))
