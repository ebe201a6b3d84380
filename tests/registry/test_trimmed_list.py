"""A list read with ``keep`` is the ordinary list cut to those members, whatever the JSON looks
like; anything it cannot read falls back to the ordinary parse and its errors."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler import errors
from reconciler.registry import RegistryClient
from reconciler.registry.listing import parse_trimmed_list

MakeClient = Callable[..., RegistryClient]
KEEP = ("name", "state")

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)
endpoints = st.fixed_dictionaries(
    {"name": st.text(min_size=1),
     "state": st.fixed_dictionaries({"config_update": st.sampled_from(
         ["NOT_UPDATING", "IN_PROGRESS", "UPDATE_FAILED"])})},
    optional={"config": json_values, "tags": st.lists(st.fixed_dictionaries(
        {"key": st.text(), "value": st.text()}), max_size=3), "creator": st.text()},
)
bodies = st.fixed_dictionaries(
    {"endpoints": st.lists(endpoints, max_size=6)},
    optional={"next_page_token": st.text(), "extra": json_values},
)


def _trimmed(body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "endpoints": [{k: v for k, v in e.items() if k in KEEP}
                                  for e in body["endpoints"]]}


@settings(max_examples=200, deadline=None)
@given(body=bodies, indent=st.sampled_from([None, 0, 2, "\t", " \r\n "]),
       ascii_only=st.booleans())
def test_trimmed_parse_equals_the_full_parse_cut_down(
    body: dict[str, Any], indent: int | str | None, ascii_only: bool
) -> None:
    text = json.dumps(body, indent=indent, ensure_ascii=ascii_only)
    assert parse_trimmed_list(text.encode("utf-8"), KEEP) == _trimmed(body)


@pytest.mark.parametrize("content", [
    b"", b"{", b'{"endpoints": [{"name": "a"}', b'{"endpoints": [{"name": "a"},]}',
    b'{"endpoints": []} trailing', b"[]", b"<html>502 Bad Gateway</html>", b"\xff\xfe{}",
    b'{"endpoints": [] "x": 1}', b"{1: 2}",
])
def test_what_it_cannot_read_is_a_value_error(content: bytes) -> None:
    with pytest.raises(ValueError):
        parse_trimmed_list(content, KEEP)


def test_client_list_with_keep_trims_each_endpoint(make_client: MakeClient) -> None:
    body = {"endpoints": [{"name": "a", "state": {"ready": "READY"}, "config": {"x": 1},
                           "tags": [{"key": "k", "value": "v"}]}]}
    client = make_client(lambda request: httpx.Response(200, json=body))
    assert asyncio.run(client.list_endpoints(keep=KEEP)) == [
        {"name": "a", "state": {"ready": "READY"}}]
    assert asyncio.run(client.list_endpoints())[0]["config"] == {"x": 1}


def test_client_list_with_keep_still_reports_a_broken_answer(make_client: MakeClient) -> None:
    client = make_client(lambda request: httpx.Response(
        200, content=b'{"endpoints": [{"name": "a"', headers={"content-type": "application/json"}))
    with pytest.raises(errors.RegistryProtocolError, match=r"GET /api/2\.0/serving-endpoints.*"
                       r"not JSON"):
        asyncio.run(client.list_endpoints(keep=KEEP))


def test_client_list_with_keep_checks_types_like_the_full_list(make_client: MakeClient) -> None:
    client = make_client(lambda request: httpx.Response(200, json={"endpoints": {"a": 1}}))
    with pytest.raises(errors.RegistryProtocolError, match="'endpoints' is not a list"):
        asyncio.run(client.list_endpoints(keep=KEEP))
    client = make_client(lambda request: httpx.Response(200, json={"endpoints": [{"nam": "a"}]}))
    with pytest.raises(errors.RegistryProtocolError, match="no string 'name'"):
        asyncio.run(client.list_endpoints(keep=KEEP))
