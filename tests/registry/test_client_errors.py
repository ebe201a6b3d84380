"""Error mapping and response checking of RegistryClient, against a fake server."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from reconciler import errors
from reconciler.registry import RegistryClient

from .conftest import json_response

MakeClient = Callable[..., RegistryClient]


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_list_without_endpoints_key_is_empty(make_client: MakeClient) -> None:
    client = make_client(lambda request: json_response(200, {}))
    assert run(client.list_endpoints()) == []


def test_get_missing_endpoint_is_none(make_client: MakeClient) -> None:
    body = {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "Endpoint with name 'x' ..."}
    client = make_client(lambda request: json_response(404, body))
    assert run(client.get_endpoint("x")) is None


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (400, "INVALID_PARAMETER_VALUE", errors.RegistryRejected),
        (401, None, errors.RegistryAuthError),
        (403, "PERMISSION_DENIED", errors.RegistryAuthError),
        (409, "RESOURCE_ALREADY_EXISTS", errors.RegistryConflict),
        (400, "RESOURCE_CONFLICT", errors.RegistryConflict),  # error_code wins over status
        (500, "INTERNAL_ERROR", errors.RegistryPermanentError),
    ],
)
def test_error_statuses_map_to_the_exception_tree(
    make_client: MakeClient, status: int, code: str | None, expected: type[Exception]
) -> None:
    body = {"error_code": code, "message": "went wrong"} if code else {"message": "went wrong"}
    client = make_client(lambda request: json_response(status, body))
    with pytest.raises(expected) as info:
        run(client.create_endpoint({"name": "ep"}))
    err = info.value
    assert isinstance(err, errors.RegistryError)
    assert (err.method, err.path, err.status) == ("POST", "/api/2.0/serving-endpoints", status)
    assert err.error_code == code
    assert str(err).startswith(f"POST /api/2.0/serving-endpoints -> {status}")
    assert "went wrong" in str(err)


def test_token_never_appears_in_errors(make_client: MakeClient) -> None:
    from reconciler.registry import open_remote

    async def scenario() -> str:
        def echo_auth(request: httpx.Request) -> httpx.Response:
            # A hostile or buggy server echoing the credentials back in its error message.
            return json_response(400, {"error_code": "BAD_REQUEST",
                                       "message": request.headers["authorization"]})

        async with open_remote("https://ws", "dapi-secret-token-1234") as client:
            client._http._transport = httpx.MockTransport(echo_auth)
            try:
                await client.get_endpoint("x")
            except errors.RegistryError as exc:
                return str(exc)
        return ""

    message = run(scenario())
    assert message and "dapi-secret-token-1234" not in message


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"<html><body>Gateway says hi</body></html>", "text/html"),
        (b'{"name": "ep", "state": {"ready"', "application/json"),  # truncated
        (b"[1, 2, 3]", "application/json"),  # not an object
        (b'{"name": 12}', "application/json"),  # wrong type
        (b'{"name": "ep", "tags": "team=a"}', "application/json"),
        (b'{"name": "ep", "state": "READY"}', "application/json"),
    ],
)
def test_malformed_bodies_are_protocol_errors(
    make_client: MakeClient, content: bytes, content_type: str
) -> None:
    client = make_client(
        lambda request: httpx.Response(200, content=content, headers={"content-type": content_type})
    )
    with pytest.raises(errors.RegistryProtocolError) as info:
        run(client.get_endpoint("ep"))
    assert "GET /api/2.0/serving-endpoints/ep" in str(info.value)
    assert "'ep'" in str(info.value)


def test_malformed_list_items_are_protocol_errors(make_client: MakeClient) -> None:
    client = make_client(lambda request: json_response(200, {"endpoints": [{"no": "name"}]}))
    with pytest.raises(errors.RegistryProtocolError, match=r"GET /api/2\.0/serving-endpoints"):
        run(client.list_endpoints())
    client = make_client(lambda request: json_response(200, {"endpoints": {"a": 1}}))
    with pytest.raises(errors.RegistryProtocolError, match="not a list"):
        run(client.list_endpoints())


def test_html_error_page_is_summarised(make_client: MakeClient) -> None:
    client = make_client(lambda request: httpx.Response(
        502, content=b"<html><h1>502 Bad Gateway</h1></html>",
        headers={"content-type": "text/html"}))
    with pytest.raises(errors.RegistryPermanentError) as info:
        run(client.list_endpoints())
    assert "-> 502" in str(info.value) and "Bad Gateway" in str(info.value)


def test_plain_text_error_code_is_parsed(make_client: MakeClient) -> None:
    client = make_client(lambda request: httpx.Response(
        400, content=b"INVALID_PARAMETER_VALUE: traffic does not add up to 100"))
    with pytest.raises(errors.RegistryRejected) as info:
        run(client.update_config("ep", {}))
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"
    assert "traffic does not add up" in str(info.value)


def test_empty_delete_response_is_fine(make_client: MakeClient) -> None:
    client = make_client(lambda request: httpx.Response(200))
    assert run(client.delete_endpoint("ep")) is None
    assert client.stats.as_dict() == {"total": 1, "DELETE": 1}
