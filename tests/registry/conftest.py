"""Fixtures for the registry client: a fake *server* (httpx.MockTransport) with instant sleeps."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from reconciler.registry import RegistryClient, RetryPolicy

Handler = Callable[[httpx.Request], httpx.Response]


class FakeClock:
    """A clock that only moves when the client sleeps: retries are instant and measurable."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_client(clock: FakeClock) -> Callable[..., RegistryClient]:
    def make(handler: Handler, **policy: Any) -> RegistryClient:
        http = httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url="https://ws")
        retry = RetryPolicy(sleep=clock.sleep, clock=clock, jitter=0.0, **policy)
        return RegistryClient(http, retry=retry)

    return make


def json_response(status: int, body: Any, **headers: str) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body).encode(), headers={
        "content-type": "application/json", **headers})
