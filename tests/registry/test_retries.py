"""Retries: which failures, how long between attempts, the budget, and the log lines."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from reconciler import errors
from reconciler.registry import RegistryClient

from .conftest import json_response

MakeClient = Callable[..., RegistryClient]


def failing_then_ok(failures: list[httpx.Response | Exception]) -> Callable[..., httpx.Response]:
    calls = iter(failures)

    def handler(request: httpx.Request) -> httpx.Response:
        nxt = next(calls, None)
        if isinstance(nxt, Exception):
            raise nxt
        if nxt is not None:
            return nxt
        return json_response(200, {"endpoints": [{"name": "ep"}]})

    return handler


@pytest.mark.parametrize("status", [429, 503, 504])
def test_temporary_statuses_are_retried(make_client: MakeClient, status: int) -> None:
    client = make_client(failing_then_ok([json_response(status, {"error_code": "X"})] * 2))
    assert asyncio.run(client.list_endpoints()) == [{"name": "ep"}]
    assert client.stats.total == 3


@pytest.mark.parametrize(
    "exc",
    [httpx.ConnectError("refused"), httpx.ReadError("reset"),
     httpx.RemoteProtocolError("closed"), httpx.ReadTimeout("slow")],
)
def test_connection_errors_are_retried(make_client: MakeClient, exc: Exception) -> None:
    client = make_client(failing_then_ok([exc]))
    assert asyncio.run(client.list_endpoints()) == [{"name": "ep"}]
    assert client.stats.total == 2


def test_other_client_errors_are_tried_once(make_client: MakeClient) -> None:
    client = make_client(failing_then_ok([json_response(400, {"error_code": "INVALID"})] * 5))
    with pytest.raises(errors.RegistryRejected):
        asyncio.run(client.list_endpoints())
    assert client.stats.total == 1


def test_retry_after_is_honoured(make_client: MakeClient, clock: Any) -> None:
    client = make_client(failing_then_ok([json_response(429, {}, **{"Retry-After": "7"})]))
    asyncio.run(client.list_endpoints())
    assert clock.sleeps == [7.0]


def test_backoff_grows_with_jitter_within_bounds(clock: Any) -> None:
    import random

    from reconciler.registry import RetryPolicy

    transport = httpx.MockTransport(failing_then_ok([json_response(503, {})] * 3))
    policy = RetryPolicy(backoffs=(1.0, 2.0, 4.0), jitter=0.5, sleep=clock.sleep, clock=clock,
                         rng=random.Random(3))
    client = RegistryClient(httpx.AsyncClient(transport=transport, base_url="https://ws"),
                            retry=policy)
    asyncio.run(client.list_endpoints())
    assert len(clock.sleeps) == 3
    for pause, base in zip(clock.sleeps, (1.0, 2.0, 4.0), strict=True):
        assert base <= pause <= base * 1.5


def test_gives_up_after_the_attempts(make_client: MakeClient) -> None:
    client = make_client(failing_then_ok([json_response(503, {})] * 10), backoffs=(0.1, 0.1))
    with pytest.raises(errors.RegistryTemporaryError) as info:
        asyncio.run(client.list_endpoints())
    assert info.value.attempts == 3
    assert client.stats.total == 3


def test_total_budget_stops_retrying(make_client: MakeClient, clock: Any) -> None:
    responses = [json_response(503, {}, **{"Retry-After": "30"})] * 10
    client = make_client(failing_then_ok(responses), total_budget=50.0)
    with pytest.raises(errors.RegistryTemporaryError):
        asyncio.run(client.list_endpoints())
    assert clock.sleeps == [30.0]  # a second 30 s pause would end past the 50 s budget
    assert client.stats.total == 2


def test_each_retry_is_logged(make_client: MakeClient, caplog: pytest.LogCaptureFixture) -> None:
    client = make_client(failing_then_ok([json_response(503, {})]), backoffs=(1.5,))
    with caplog.at_level(logging.INFO, logger="reconciler.registry"):
        asyncio.run(client.put_ai_gateway("x", {}))
    expected = "attempt 1/2 failed; retrying in 1.5s: PUT /api/2.0/serving-endpoints/x/ai-gateway"
    assert f"{expected} -> 503" in caplog.text



def test_an_unknown_host_is_not_retried(make_client: MakeClient) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno -2] Name or service not known", request=request)

    client = make_client(handler)
    with pytest.raises(errors.RegistryError) as info:
        asyncio.run(client.list_endpoints())
    assert not info.value.retryable
    assert "cannot resolve ws" in str(info.value)
    assert client.stats.total == 1


def test_retry_log_names_the_connection_error(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client(failing_then_ok([httpx.ConnectError("Connection refused")]))
    with caplog.at_level(logging.INFO, logger="reconciler.registry"):
        asyncio.run(client.list_endpoints())
    assert "GET /api/2.0/serving-endpoints -> ConnectError" in caplog.text
