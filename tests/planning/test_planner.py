"""build_plan rules that golden cases do not pin: errors, safety rails, serialisation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.live_views import views

from planning import golden
from reconciler import errors
from reconciler.diff.changes import FieldChange
from reconciler.diff.digest import live_digest
from reconciler.model.endpoint import ServingEndpoint
from reconciler.model.steps import CreateStep, PatchTagsStep, TagWrite
from reconciler.planning.plan import EndpointAction, Plan
from reconciler.planning.planner import DesiredEndpoint, PlanOptions, build_plan
from reconciler.planning.serialize import masked_secret_paths, plan_from_json, plan_to_json

OPTIONS = PlanOptions(project="acme-genai", target_name="prod", target_host="https://h")


def _endpoint(name: str, **extra: object) -> DesiredEndpoint:
    return DesiredEndpoint(ServingEndpoint.model_validate({"name": name, **extra}),
                           source=f"endpoints/{name}.yaml:1")


def test_two_manifests_with_one_name_are_refused_with_both_locations() -> None:
    with pytest.raises(errors.PlanError, match=r"'chat' is declared twice.*a/chat.*b/chat"):
        build_plan([DesiredEndpoint(ServingEndpoint(name="chat"), "a/chat.yaml:1"),
                    DesiredEndpoint(ServingEndpoint(name="chat"), "b/chat.yaml:4")], {}, OPTIONS)


def test_select_of_an_unknown_name_is_an_error() -> None:
    options = PlanOptions(project="p", target_name="t", select=("nope",))
    with pytest.raises(errors.PlanError, match="--select names no manifest or live endpoint"):
        build_plan([_endpoint("chat")], {}, options)


def test_system_endpoints_are_never_recreated() -> None:
    desired, live, _ = golden.load_case("recreate-route-optimized-blocked")
    body = dict(live["custom-ro"].raw, name="databricks-custom-ro")
    endpoint = desired[0].endpoint.model_copy(update={"name": "databricks-custom-ro"})
    options = PlanOptions(project="acme-genai", target_name="t", allow_recreate=True)
    plan = build_plan([DesiredEndpoint(endpoint)], views([body]), options)
    (action,) = plan.actions
    assert action.blocked and action.action == "no-op"
    assert "never deleted" in action.reason


def test_actions_record_the_live_state_they_were_planned_from() -> None:
    plan = golden.plan_case("update-config-only")
    (action,) = plan.actions
    assert action.live_config_version == 1
    assert action.live_digest is not None and action.live_digest.startswith("sha256:")
    assert action.source == "manifest.yaml#1"


def test_plan_counts_and_has_changes() -> None:
    assert not golden.plan_case("noop-write-only-fields").has_changes
    blocked = golden.plan_case("recreate-route-optimized-blocked")
    assert blocked.has_changes and len(blocked.blocked) == 1
    assert blocked.counts()["blocked"] == 1 and blocked.counts()["no-op"] == 0


class TestSavedPlans:
    def test_round_trip(self) -> None:
        plan = golden.plan_case("update-all-facets-in-order")
        assert plan_from_json(plan_to_json(plan)) == plan

    def test_literal_plaintext_never_reaches_the_file_but_env_references_do(self) -> None:
        plan = golden.plan_case("create-plaintext-env-reference-masked")
        text = plan_to_json(plan)
        assert "sk-live-this-must-never-appear" not in text
        assert "${env.ANTHROPIC_API_KEY}" in text
        reread = plan_from_json(text)
        assert masked_secret_paths(reread) == [
            "literal-key: step 1 (create): "
            "config.served_entities[0].external_model.openai_config.openai_api_key_plaintext"
        ]

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("{not json", "invalid JSON at line 1 column 2"),
            ("[1, 2]", "expected a JSON object"),
            ('{"schema_version": 99}', "unsupported plan schema_version 99"),
            ('{"schema_version": 2, "project": "p", "target_name": "t", '
             '"actions": [{"name": "x", "action": "explode"}]}', "actions.0.action"),
            ('{"schema_version": 1, "project": "p", "target_name": "t", "actions": []}',
             "schema_version 1, written by an older reconciler.*plan again"),
        ],
    )
    def test_bad_files_are_plan_errors_that_say_where(self, text: str, message: str) -> None:
        with pytest.raises(errors.PlanError, match=message):
            plan_from_json(text)

    def test_json_is_versioned_and_stable(self) -> None:
        data = json.loads(plan_to_json(golden.plan_case("update-tags-only-one-patch")))
        assert data["schema_version"] == 2
        assert list(data) == list(Plan.model_fields)


@pytest.mark.parametrize("case", golden.case_names())
def test_recorded_digest_is_what_apply_computes_from_a_fresh_get(case: str) -> None:
    _, live, _ = golden.load_case(case)
    for action in golden.plan_case(case).actions:
        if action.live_digest is not None:
            assert action.live_digest == live_digest(live[action.name])


def test_the_plan_json_document_describes_every_field() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "plan-json.md").read_text()
    for model in (Plan, EndpointAction, FieldChange, CreateStep, PatchTagsStep, TagWrite):
        for field in model.model_fields:
            assert f"`{field}`" in doc, f"docs/plan-json.md does not describe {field}"


def test_a_plan_from_a_newer_reconciler_is_refused() -> None:
    data = json.loads(plan_to_json(golden.plan_case("update-config-only")))
    data["actions"][0]["future_field"] = True
    with pytest.raises(errors.PlanError, match=r"actions\.0\.future_field"):
        plan_from_json(json.dumps(data))


def test_for_apply_keeps_what_apply_uses_and_drops_the_field_changes() -> None:
    plan = golden.plan_case("update-config-only")
    lean = plan.for_apply()
    assert plan.actions[0].changes  # the original is untouched
    assert [a.changes for a in lean.actions] == [[]]
    assert [a.explanations for a in lean.actions] == [[]]
    strip = {"changes", "explanations"}
    assert [a.model_dump(exclude=strip) for a in lean.actions] == [
        a.model_dump(exclude=strip) for a in plan.actions]
    assert lean.model_dump(exclude={"actions"}) == plan.model_dump(exclude={"actions"})
    assert lean.has_changes and lean.counts() == plan.counts()
