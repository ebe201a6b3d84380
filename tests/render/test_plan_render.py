"""Text, JSON and Markdown renderings of one Plan: what a reviewer reads, secrets masked."""

from __future__ import annotations

import json

import pytest
from planning import golden

from reconciler.diff.changes import FieldChange
from reconciler.planning.plan import EndpointAction, Plan
from reconciler.planning.serialize import plan_to_json
from reconciler.render.plan_json import render_plan_json
from reconciler.render.plan_markdown import render_plan_markdown
from reconciler.render.plan_text import render_plan_text

SECRET = "sk-live-this-must-never-appear"


@pytest.mark.parametrize("case", golden.case_names())
def test_no_rendering_ever_shows_a_literal_plaintext(case: str) -> None:
    plan = golden.plan_case(case)
    for text in (render_plan_text(plan), render_plan_text(plan, color=True),
                 render_plan_json(plan), render_plan_markdown(plan)):
        assert SECRET not in text


def test_text_is_terraform_like() -> None:
    text = render_plan_text(golden.plan_case("update-all-facets-in-order"))
    assert text.splitlines()[0] == "Plan for project acme-genai, target golden"
    assert "~ update chat (config, ai_gateway, tags, notifications)" in text
    assert ('    ~ config.served_entities[gpt-4o].external_model.name: "gpt-4o" -> '
            '"gpt-4o-2024-08-06"  (rolling)') in text
    assert '    + tags[tier] = "gold"  (in-place)' in text
    assert text.endswith(
        "Plan: 0 to create, 1 to update, 0 to recreate, 0 to delete, 0 unchanged.\n"
    )


def test_every_action_kind_has_its_sign() -> None:
    prune = render_plan_text(golden.plan_case("prune-deletes-only-owned-orphans"))
    assert "- delete old-owned: owned by project 'acme-genai'" in prune
    recreate = render_plan_text(golden.plan_case("recreate-route-optimized-allowed"))
    assert "-/+ recreate custom-ro: recreate-only change: route_optimized" in recreate
    assert "~ route_optimized: false -> true  (recreate; immutable after create)" in recreate
    blocked = render_plan_text(golden.plan_case("recreate-route-optimized-blocked"))
    assert "! blocked custom-ro: needs recreate (route_optimized): pass --allow-recreate" in blocked
    assert blocked.rstrip().endswith("0 unchanged, 1 blocked.")
    create = render_plan_text(golden.plan_case("create-seed-example-with-legacy-rate-limits"))
    assert "+ create openai-completions-endpoint  (manifest.yaml#1)" in create
    assert "+ ai_gateway.rate_limits[user/calls].calls = 20  (from legacy rate_limits)" in create


def test_a_removed_block_is_listed_leaf_by_leaf() -> None:
    text = render_plan_text(golden.plan_case("update-entity-added-and-removed"))
    assert '- config.served_entities[gpt-4o-mini].external_model.name = "gpt-4o-mini"' in text
    assert "= null" not in text


def test_unchanged_endpoints_are_summarised_not_listed() -> None:
    text = render_plan_text(golden.plan_case("noop-reordered-entities-routes-tags"))
    assert "= 1 unchanged: ab-test" in text
    assert "No changes. The workspace matches the manifests." in text


def test_waiting_for_an_update_in_progress_is_shown() -> None:
    text = render_plan_text(golden.plan_case("update-in-progress-pending-matches-manifest"))
    assert "up to date (config update to version 2 in progress; apply waits for it)" in text


def test_colour_only_when_asked() -> None:
    plan = golden.plan_case("update-all-facets-in-order")
    assert "\x1b[" not in render_plan_text(plan)
    assert "\x1b[" in render_plan_text(plan, color=True)
    assert "\x1b[" not in render_plan_markdown(plan)


def test_plaintext_values_show_as_sensitive_and_env_references_stay_readable() -> None:
    text = render_plan_text(golden.plan_case("create-plaintext-env-reference-masked"))
    assert "openai_api_key_plaintext = (sensitive)" in text
    assert 'anthropic_api_key_plaintext = "${env.ANTHROPIC_API_KEY}"' in text


def test_json_rendering_is_the_documented_plan_json() -> None:
    plan = golden.plan_case("update-tags-only-one-patch")
    assert render_plan_json(plan) == plan_to_json(plan)
    assert json.loads(render_plan_json(plan))["schema_version"] == 2


def test_markdown_is_a_pull_request_comment() -> None:
    md = render_plan_markdown(golden.plan_case("update-all-facets-in-order"))
    assert md.startswith("### Plan for project acme-genai, target golden\n")
    assert "| endpoint | action | facets | impact | reason |" in md
    assert "| `chat` | update | config, ai_gateway, tags, notifications | rolling, in-place |" in md
    assert "<summary>chat: update (config, ai_gateway, tags, notifications)</summary>" in md
    assert "```diff\n- config.served_entities[gpt-4o].external_model.name = \"gpt-4o\"" in md
    assert md.count("<details>") == md.count("</details>") == 1


def test_markdown_survives_backticks_and_pipes_in_values() -> None:
    change = FieldChange(path="tags[note]", old=None, new="```| evil", impact="in-place",
                         facet="tags")
    plan = Plan(project="p", target_name="t", actions=[EndpointAction(
        name="e", action="update", reason="a | b", facets=["tags"], changes=[change])])
    md = render_plan_markdown(plan)
    assert "````diff" in md  # the fence is longer than the backtick run in the value
    assert "a \\| b" in md


def test_markdown_without_changes_says_so() -> None:
    md = render_plan_markdown(golden.plan_case("noop-write-only-fields"))
    assert "No changes. The workspace matches the manifests." in md
    assert "<details>" not in md
