"""The registry layer: the serving-endpoints REST client and the way to reach a target.

``open_registry(project)`` gives a ``RegistryClient`` for the project's target: the embedded
emulator for a ``local`` target, or the workspace at ``host`` with credentials from
``auth.resolve_credentials``. The one place in the package that imports httpx.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Protocol

import httpx

from reconciler.model.project import Target
from reconciler.registry.auth import bearer_auth, normalise_host, resolve_credentials
from reconciler.registry.budget import DEFAULT_MAX_RPS, RequestBudget
from reconciler.registry.client import CallStats, RegistryClient
from reconciler.registry.local import local_db_path, local_http_client
from reconciler.registry.retry import NO_RETRIES, RetryPolicy
from reconciler.registry.routes import API, endpoint_path, request_line, route

__all__ = [
    "API",
    "NO_RETRIES",
    "CallStats",
    "RegistryClient",
    "RetryPolicy",
    "endpoint_path",
    "open_registry",
    "open_remote",
    "request_line",
    "route",
]



class TargetOf(Protocol):
    """What ``open_registry`` needs of a project: its folder (a relative ``local:`` path is
    under it), the target's name and the target. ``loading.project.Project`` is one; the
    registry sits below loading and does not import it."""

    @property
    def root(self) -> Path: ...

    @property
    def target_name(self) -> str: ...

    @property
    def target(self) -> Target: ...


DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
USER_AGENT = "serving-reconciler"


@contextlib.asynccontextmanager
async def open_registry(
    project: TargetOf,
    *,
    parallelism: int = 8,
    retry: RetryPolicy | None = None,
    env: Mapping[str, str] | None = None,
) -> AsyncIterator[RegistryClient]:
    """A client for the project's target, closed on exit."""
    target = project.target
    close_app: Callable[[], None] | None = None
    if target.local:
        db = local_db_path(project.root, target.local)
        http, close_app = local_http_client(db, DEFAULT_TIMEOUT)
        label, source = f"local registry {db}", ""
    else:
        creds = resolve_credentials(project.target_name, target, os.environ if env is None else env)
        http = _remote_http(creds.host, creds.auth, parallelism)
        label, source = creds.host, creds.source
    client = RegistryClient(http, retry=retry, label=label, target=project.target_name,
                            auth_source=source, budget=_budget(target.max_rps, target.local, label))
    try:
        yield client
    finally:
        await client.aclose()
        if close_app is not None:
            close_app()


@contextlib.asynccontextmanager
async def open_remote(
    host: str,
    token: str | None,
    *,
    parallelism: int = 8,
    retry: RetryPolicy | None = None,
    target: str = "",
    max_rps: float | None = None,
) -> AsyncIterator[RegistryClient]:
    """A client for a host and token given directly (benchmarks, tests, scripts); no request
    budget unless ``max_rps`` is given."""
    auth = bearer_auth(token) if token else None
    client = RegistryClient(
        _remote_http(normalise_host(host), auth, parallelism), retry=retry, label=host,
        target=target, auth_source="the token given" if token else "",
        budget=RequestBudget(max_rps) if max_rps else None,
    )
    try:
        yield client
    finally:
        await client.aclose()


def _budget(max_rps: float | None, local: str | None, host: str) -> RequestBudget | None:
    """The target's request budget: ``max_rps`` when set (0: none), else 15/s for a
    workspace. The embedded local registry is in-process, and a host on the loopback
    address is an emulator on this machine (no workspace to protect): neither has one
    unless asked. None: no overall limit; the client's budget still applies the per-class
    limits (permission writes at 27/s) to every target."""
    if max_rps is None:
        return None if local or _is_loopback(host) else RequestBudget(DEFAULT_MAX_RPS)
    return RequestBudget(max_rps) if max_rps > 0 else None


def _remote_http(host: str, auth: httpx.Auth | None, parallelism: int) -> httpx.AsyncClient:
    # One pooled client per run with keep-alive: each request costs one round trip, not a
    # TCP (and TLS) handshake. The pool is larger than the parallelism so that the waiter's
    # list call never queues behind the workers.
    limits = httpx.Limits(
        max_connections=parallelism + 4, max_keepalive_connections=parallelism + 4
    )
    return httpx.AsyncClient(
        base_url=host,
        auth=auth,
        timeout=DEFAULT_TIMEOUT,
        limits=limits,
        headers={"User-Agent": USER_AGENT},
    )


def _is_loopback(host: str) -> bool:
    name = httpx.URL(host).host
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False
