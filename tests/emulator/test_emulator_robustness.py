"""Whatever a client sends, the emulator answers with the API's error shape, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.emulator_inprocess import InProcessApi

from reconciler.emulator import schemas

BASE = "/api/2.0/serving-endpoints"
JUNK = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 200) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                 max_size=3),
    max_leaves=6,
)
SECRETS = st.sampled_from(["{{secrets/s/k}}", "sk-plain", ""])


def shaped(schema: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    """Values that mostly follow ``schema`` (to reach deep rules) and sometimes do not."""
    kind = schema.get("type")
    if "enum" in schema:
        typed: st.SearchStrategy[Any] = st.sampled_from(schema["enum"])
    elif kind == "object" and "properties" in schema and depth < 6:
        props = schema["properties"]
        typed = st.fixed_dictionaries(
            {}, optional={k: shaped(v, depth + 1) for k, v in props.items()})
    elif kind == "array" and "items" in schema and depth < 6:
        typed = st.lists(shaped(schema["items"], depth + 1), max_size=3)
    elif kind == "string":
        typed = st.sampled_from(["a", "gpt", "llm/v1/chat", "c", "x y"]) | SECRETS
    elif kind == "integer":
        typed = st.integers(-1, 120)
    elif kind == "boolean":
        typed = st.booleans()
    else:
        typed = JUNK
    return st.one_of(typed, typed, typed, JUNK) if depth else typed


def answer_is_well_formed(response: Any) -> None:
    assert response.status_code in (200, 400, 404, 409), response.text
    if response.status_code != 200:
        assert set(response.json()) == {"error_code", "message"}


@pytest.mark.slow  # 150 fuzzed bodies
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=shaped(schemas.CREATE_ENDPOINT), update=shaped(schemas.CORE_CONFIG),
       gateway=shaped(schemas.AI_GATEWAY), query=shaped(schemas.QUERY))
def test_hostile_bodies_never_break_the_server(body: dict[str, Any], update: dict[str, Any],
                                                gateway: dict[str, Any],
                                                query: dict[str, Any]) -> None:
    with InProcessApi() as api:
        body = {**body, "name": "ep"} if isinstance(body, dict) else body
        answer_is_well_formed(api.post(BASE, json=body))
        answer_is_well_formed(api.put(f"{BASE}/ep/config", json=update))
        answer_is_well_formed(api.put(f"{BASE}/ep/ai-gateway", json=gateway))
        answer_is_well_formed(api.post("/serving-endpoints/ep/invocations", json=query))
        answer_is_well_formed(api.get(f"{BASE}/ep"))
        answer_is_well_formed(api.get(BASE))
