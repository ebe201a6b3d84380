"""Applied marks and change causes, as pure functions (reconciler.diff.applied_marks)."""

from __future__ import annotations

from typing import Any

from reconciler.diff.applied_marks import (
    APPLIED_TAG,
    change_cause,
    format_marks,
    manifest_marks,
    parse_marks,
)
from reconciler.diff.changes import FieldChange
from reconciler.model.endpoint import ServingEndpoint

MANIFEST: dict[str, Any] = {
    "name": "chat",
    "tags": {"team": "genai"},
    "config": {"served_entities": [
        {"name": "a", "external_model": {"name": "gpt-4o", "provider": "openai",
                                         "task": "llm/v1/chat",
                                         "openai_config": {"openai_api_key": "{{secrets/a/b}}"}}},
        {"name": "b", "external_model": {"name": "gpt-4o-mini", "provider": "openai",
                                         "task": "llm/v1/chat",
                                         "openai_config": {"openai_api_key": "{{secrets/a/b}}"}}},
    ], "traffic_config": {"routes": [{"served_entity_name": "a", "traffic_percentage": 50},
                                     {"served_entity_name": "b", "traffic_percentage": 50}]}},
}


def marks(doc: dict[str, Any]) -> dict[str, str]:
    return dict(manifest_marks(ServingEndpoint.model_validate(doc)))


def test_marks_cover_only_managed_facets_and_ignore_order_defaults_and_reserved_tags() -> None:
    base = marks(MANIFEST)
    assert set(base) == {"config", "tags"}
    reordered = {**MANIFEST, "config": {
        **MANIFEST["config"],
        "served_entities": list(reversed(MANIFEST["config"]["served_entities"]))}}
    assert marks(reordered) == base
    assert marks({**MANIFEST, "description": ""}) == base
    assert marks({**MANIFEST, "tags": {"team": "genai", "reconciler-secrets": "x"}}) == base
    assert marks({**MANIFEST, "tags": {"team": "search"}})["tags"] != base["tags"]
    with_gateway = marks({**MANIFEST, "rate_limits": [{"key": "user", "calls": 1}]})
    assert set(with_gateway) == {"config", "ai_gateway", "tags"}


def test_tag_value_round_trips_and_tolerates_junk() -> None:
    value = format_marks({"config": "0123abcd", "tags": "89abcdef"})
    assert value == "c=0123abcd,t=89abcdef"
    assert parse_marks(value) == {"config": "0123abcd", "tags": "89abcdef"}
    assert parse_marks(None) is None
    assert parse_marks("garbage, x=1,,g=") == {}
    assert parse_marks("c=1,z=9") == {"config": "1"}


def change(path: str, facet: Any) -> FieldChange:
    return FieldChange(path=path, old=1, new=2, impact="in-place", facet=facet)


def test_causes() -> None:
    wanted = {"config": "c1", "ai_gateway": "g1", "tags": "t1"}
    recorded = {"config": "c1", "ai_gateway": "g0", "tags": "t1"}
    gateway = change("ai_gateway.rate_limits[user/calls].calls", "ai_gateway")
    config = change("config.served_entities[a].external_model.name", "config")
    assert change_cause(config, wanted, recorded) == "drift"
    assert change_cause(gateway, wanted, recorded) == "repository"
    assert change_cause(config, wanted, None) == "unknown"
    # the manifest started managing notifications: nothing recorded for them yet
    assert change_cause(change("email_notifications", "notifications"), wanted,
                        recorded) == "repository"
    # a config update that failed rolled back: the recorded mark never landed
    assert change_cause(config, wanted, recorded, update_failed=True) == "repository"
    # a rotated plaintext key and the secret digest tag come from the environment
    plaintext = change("config.served_entities[a].external_model.openai_config."
                       "openai_api_key_plaintext", "config")
    assert change_cause(plaintext, wanted, recorded) == "repository"
    assert change_cause(change("tags[reconciler-secrets]", "tags"), wanted,
                        recorded) == "repository"
    # someone removed our ownership tag: drift
    assert change_cause(change("tags[reconciler-project]", "tags"), wanted,
                        recorded) == "drift"
    assert change_cause(change("description", None), wanted, recorded) == "repository"
    assert APPLIED_TAG.startswith("reconciler-")
