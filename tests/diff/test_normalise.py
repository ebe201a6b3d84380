"""Normalisation: order never matters, server defaults and bookkeeping never show as changes."""

from __future__ import annotations

import copy
import json
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from planning import golden
from support.live_views import view

from reconciler.diff import fields, normalise
from reconciler.diff.compare import compare_endpoint
from reconciler.diff.normalise import minimal_form
from reconciler.model.endpoint import ServingEndpoint
from reconciler.model.naming import derived_entity_name

NOOP_CASES = [
    "noop-ai-gateway-defaults",
    "noop-custom-model-backend-defaults",
    "noop-external-backend-defaults",
    "noop-reordered-entities-routes-tags",
    "noop-write-only-fields",
]


def _shuffled(body: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """``body`` with every list (entities, routes, tags, rate limits, emails) reordered."""
    out = copy.deepcopy(body)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            rng.shuffle(node)
            for value in node:
                walk(value)

    walk(out)
    return out


@pytest.mark.parametrize("case", NOOP_CASES)
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_reordering_lists_never_produces_a_change(case: str, seed: int) -> None:
    desired, live, options = golden.load_case(case)
    rng = random.Random(seed)
    for item in desired:
        endpoint = item.endpoint
        manifest = _shuffled(endpoint.model_dump(mode="json", exclude_none=True), rng)
        reordered = ServingEndpoint.model_validate(manifest)
        shuffled = view(_shuffled(live[endpoint.name].raw, rng))
        diff = compare_endpoint(reordered, shuffled, options.project)
        assert diff.changes == ()


@settings(max_examples=50, deadline=None)
@given(
    name=st.text("abcdefghij.:-_", min_size=1, max_size=20).filter(lambda s: s[0].isalpha()),
)
def test_derived_name_of_external_models_replaces_dots_and_colons(name: str) -> None:
    derived = derived_entity_name({"external_model": {"name": name}})
    assert derived == name.replace(".", "-").replace(":", "-")


def test_derived_name_of_a_uc_model_uses_its_last_part_and_version() -> None:
    entity = {"entity_name": "main.risk.fraud", "entity_version": "3"}
    assert derived_entity_name(entity) == "fraud-3"


def test_minimal_form_drops_output_only_unknown_and_write_only_fields() -> None:
    body = {
        "name": "ep", "id": "abc", "creator": "a", "state": {"ready": "READY"},
        "endpoint_type": "EXTERNAL_MODEL", "something_new": {"x": 1}, "budget_policy_id": "b",
        "config": {"config_version": 4, "served_entities": [{
            "name": "e", "burst_scaling_enabled": True, "state": {"deployment": "X"},
            "external_model": {"name": "m", "provider": "anthropic", "task": "llm/v1/chat",
                               "anthropic_config": {"anthropic_api_key_plaintext": "sk-x"}},
        }]},
    }
    assert minimal_form(body, "ep") == {
        "name": "ep",
        "config": {"served_entities": {"e": {
            "external_model": {"name": "m", "provider": "anthropic", "task": "llm/v1/chat"},
        }}},
    }


def test_default_values_and_absence_compare_equal() -> None:
    explicit = {
        "name": "ep", "description": "", "route_optimized": False,
        "config": {"served_entities": [{"name": "m-1", "entity_name": "c.s.m",
                                        "entity_version": "1", "workload_type": "CPU",
                                        "workload_size": "Small",
                                        "scale_to_zero_enabled": False}],
                   "traffic_config": {"routes": [{"served_model_name": "m-1",
                                                  "served_entity_name": "m-1",
                                                  "traffic_percentage": 100}]}},
        "ai_gateway": {"rate_limits": [{"key": "endpoint", "calls": 5,
                                        "renewal_period": "minute"}],
                       "usage_tracking_config": {"enabled": False},
                       "guardrails": {"input": {"safety": False, "pii": {"behavior": "NONE"},
                                                "invalid_keywords": []}},
                       "inference_table_config": {"enabled": False, "table_name_prefix": "ep"}},
    }
    bare = {
        "name": "ep",
        "config": {"served_entities": [{"name": "m-1", "entity_name": "c.s.m",
                                        "entity_version": "1"}]},
        "ai_gateway": {"rate_limits": [{"calls": 5}]},
    }
    assert minimal_form(explicit, "ep") == minimal_form(bare, "ep")


def test_a_custom_size_is_not_mistaken_for_the_default() -> None:
    sized = {"name": "ep", "config": {"served_entities": [
        {"name": "m-1", "entity_name": "c.s.m", "entity_version": "1",
         "min_provisioned_concurrency": 4, "max_provisioned_concurrency": 8}]}}
    form = minimal_form(sized, "ep")
    assert form["config"]["served_entities"]["m-1"]["max_provisioned_concurrency"] == 8


def test_bedrock_provider_is_compared_case_insensitively() -> None:
    def body(provider: str) -> dict[str, Any]:
        return {"name": "ep", "config": {"served_entities": [{"name": "c", "external_model": {
            "name": "m", "provider": "amazon-bedrock", "task": "llm/v1/chat",
            "amazon_bedrock_config": {"aws_region": "us-east-1", "bedrock_provider": provider},
        }}]}}

    assert minimal_form(body("Anthropic"), "ep") == minimal_form(body("anthropic"), "ep")


class TestFieldTable:
    def test_every_condition_is_known(self) -> None:
        for rule in fields.FIELD_RULES:
            assert (rule.when is None or rule.when in normalise.CONDITIONS
                    or rule.when in normalise.ENDPOINT_CONDITIONS or rule.when == "live_set")
            assert rule.why

    def test_classes_are_matched_by_pattern(self) -> None:
        plaintext = "config.served_entities[a].external_model.openai_config.x_plaintext"
        assert fields.has_class(plaintext, fields.FieldClass.WRITE_ONLY)
        assert fields.has_class("config.served_entities[a].state", fields.FieldClass.OUTPUT_ONLY)
        assert fields.has_class("route_optimized", fields.FieldClass.RECREATE_ONLY)
        # "name" is the endpoint's own name only, not every field called name.
        assert not fields.has_class("config.served_entities[a].external_model.name",
                                    fields.FieldClass.RECREATE_ONLY)

    def test_keyed_paths_render_with_brackets(self) -> None:
        assert fields.render_path(["config", "served_entities", "a.b", "workload_size"]) == (
            "config.served_entities[a.b].workload_size"
        )
        assert fields.render_path(["tags", "team"]) == "tags[team]"


def test_minimal_form_is_json_serialisable_and_stable() -> None:
    _, live, _ = golden.load_case("noop-reordered-entities-routes-tags")
    body = live["ab-test"].raw
    first = json.dumps(minimal_form(body, "ab-test"), sort_keys=True)
    rng = random.Random(7)
    assert json.dumps(minimal_form(_shuffled(body, rng), "ab-test"), sort_keys=True) == first
