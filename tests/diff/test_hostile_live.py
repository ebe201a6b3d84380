"""Whatever the server sends, planning never crashes: odd shapes become changes, not tracebacks."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from planning import golden
from support.live_views import view

from reconciler.diff.digest import live_digest
from reconciler.diff.export import live_to_manifest
from reconciler.planning.planner import build_plan

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["name", "config", "served_entities", "tags", "key", "value",
                         "traffic_config", "routes", "ai_gateway", "rate_limits", "x"]),
        inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(
    top=st.dictionaries(
        st.sampled_from(["config", "tags", "ai_gateway", "email_notifications", "state",
                         "pending_config", "route_optimized", "description", "weird"]),
        _json, max_size=5),
)
@pytest.mark.slow  # 150 fuzzed live shapes
def test_any_live_shape_plans_without_crashing(top: dict[str, Any]) -> None:
    desired, _, options = golden.load_case("update-all-facets-in-order")
    live = view({**top, "name": "chat"})
    plan = build_plan(desired, {"chat": live}, options)
    assert len(plan.actions) == 1
    assert live_digest(live).startswith("sha256:")
    live_to_manifest(live)
    assert live.serves(set())  # an adopted create asks for no names: nothing to find
    live.serves({"chat"})  # any shape: True or False, never an exception
