"""One API call, end to end: the HTTP transport under ``RegistryClient``.

``Transport.call`` sends a request of this API (never an absolute URL: the token only goes
to the target's host) with retries of what is temporary (``retry.py``), a deadline per
attempt and a budget for the whole call, the run's request budget (``budget.py``), the body
read up to a size limit, and the answer checked enough that HTML, truncated or too deeply
nested JSON and wrong types become a ``RegistryProtocolError`` naming the call. Transport
errors and error statuses become the ``errors.Registry*`` tree, chained, never with the
token; a 401 or 403 says where the token came from. Every request is counted (``stats``)
and logged at DEBUG as method, path, status and milliseconds only.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import logging
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from reconciler import errors
from reconciler.redaction import redact_text
from reconciler.registry.answers import (
    MAX_NESTING,
    error_from_response,
    nested_deeper_than,
    snippet,
)
from reconciler.registry.budget import RequestBudget, request_class
from reconciler.registry.retry import RetryPolicy, call_with_retries

# The client's logger name, as before the transport was a module of its own (log filters).
log = logging.getLogger("reconciler.registry.client")


def _remember_missing_sniffio() -> None:
    """Make httpcore's per-request ``import sniffio`` cheap when sniffio is not installed.

    httpcore asks which async library runs by importing sniffio inside every request (about
    five times per request). Recent anyio no longer installs sniffio, and a failed import is
    not cached: each attempt searches the whole ``sys.path`` again, which cost 2.3 s of CPU
    per 1,000 GETs (more than half the client's CPU in bench/plan_apply.py). A ``None`` entry
    in ``sys.modules`` is Python's own "known missing" marker: the import fails at once, with
    the same ImportError, and httpcore falls back to asyncio exactly as before.
    """
    if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]

# The largest answer read (64 MiB): a list of 10,000 endpoints with tags is about 5 MB, one
# endpoint a few kB. Past it the server is not the API (an endless stream, a wrong host).
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
MIN_ATTEMPT_TIME = 5.0  # seconds an attempt gets even when the retry budget is nearly spent
FIRST_CONTACT_GRACE = 3.0  # seconds of refused connections before any answer: give up


@dataclass
class CallStats:
    """How many HTTP requests were sent (retries included), by method."""

    by_method: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.by_method.values())

    def as_dict(self) -> dict[str, int]:
        return {"total": self.total, **dict(sorted(self.by_method.items()))}


class Transport:
    """The HTTP side of the registry client: one ``httpx.AsyncClient`` (a workspace, a
    loopback emulator, or the emulator app in-process: the same code path) and ``call``."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        retry: RetryPolicy | None = None,
        label: str = "",
        target: str = "",
        auth_source: str = "",
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        budget: RequestBudget | None = None,
    ) -> None:
        # Done when a client is made, not when the library is imported: importing changes
        # nothing global in the host process.
        _remember_missing_sniffio()
        self._http = http
        self.retry = retry or RetryPolicy()
        self.label = label  # the host, or "local registry FILE"
        self.target = target
        self.auth_source = auth_source  # where the token came from ("$PROD_TOKEN")
        self.max_response_bytes = max_response_bytes
        # Requests per second, shared by every request of the run: the overall limit (None:
        # none) and the documented per-class ones (permission writes), always on.
        self.budget = budget if budget is not None else RequestBudget()
        self.stats = CallStats()
        # Until the server has answered once, a refused connection is most likely a wrong
        # host or a server that is not running: give up after FIRST_CONTACT_GRACE seconds.
        self._contacted = False
        self._first_try: float | None = None

    @property
    def where(self) -> str:
        """``target 'prod' at https://...``: for messages about reaching the server."""
        host = self.label or str(self._http.base_url).rstrip("/")
        return f"target {self.target!r} at {host}" if self.target else host

    async def aclose(self) -> None:
        await self._http.aclose()

    @property
    def http(self) -> httpx.AsyncClient:
        """The pooled HTTP client (``queries.py`` sends data-plane queries on it)."""
        return self._http

    async def call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        endpoint: str | None = None,
        parse: Callable[[bytes], dict[str, Any]] | None = None,
        require_body: bool = False,
    ) -> dict[str, Any]:
        """One API call with retries; the JSON object answered (``{}`` for an empty body,
        an error with ``require_body``: a list or an endpoint is never empty).

        ``parse`` reads a successful body instead of ``json.loads``; a ``ValueError`` from it
        falls back to the ordinary parse and its errors. ``path`` must be a path of this API:
        an absolute URL (another host) or anything outside ``/api/`` is refused unsent, so the
        token only ever goes to the target's host. Each attempt ends within the policy's
        ``request_deadline``, and the whole call within its ``total_budget``.
        """
        if not path.startswith("/api/") or "//" in path or "\\" in path:
            raise errors.RegistryError(
                f"refusing to send {method} {path!r}: not a path of the API under the target's "
                "host", method=method, path=path)
        policy = self.retry
        started = policy.clock()

        def attempt() -> Awaitable[dict[str, Any]]:
            left = policy.total_budget - (policy.clock() - started)
            # At least MIN_ATTEMPT_TIME: an attempt started late (after a long hold of the
            # request budget) still gets a fair chance instead of failing on arrival.
            deadline = min(policy.request_deadline, max(left, MIN_ATTEMPT_TIME))
            return self._send_once(method, path, body, endpoint, parse, require_body, deadline)

        result, _attempts = await call_with_retries(attempt, policy, lambda: f"{method} {path}")
        return result

    async def _send_once(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None,
        endpoint: str | None,
        parse: Callable[[bytes], dict[str, Any]] | None,
        require_body: bool,
        deadline: float,
    ) -> dict[str, Any]:
        self.stats.by_method[method] += 1
        if self._first_try is None:
            self._first_try = self.retry.clock()
        kind = request_class(method, path)
        await self.budget.acquire(kind)  # before the deadline starts: waiting is not slowness
        started = time.perf_counter()
        try:
            async with asyncio.timeout(deadline):
                async with self._http.stream(method, path, json=body) as response:
                    self._contacted = True
                    content = await self._read_capped(method, path, response)
        except TimeoutError as exc:
            log.debug("%s %s -> deadline", method, path)
            raise errors.RegistryTemporaryError(
                f"{method} {path} got no complete answer within {deadline:.3g}s (the request "
                f"deadline) from {self.where}", method=method, path=path) from exc
        except httpx.ConnectError as exc:
            raise self._connect_error(method, path, exc) from exc
        except (
            httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError, ConnectionError
        ) as exc:
            # ConnectionError: an in-process (ASGI) server dropping the request raises it as is.
            log.debug("%s %s -> %s", method, path, type(exc).__name__)
            raise errors.RegistryTemporaryError(
                f"{method} {path} failed: {type(exc).__name__}: {redact_text(str(exc))} "
                f"({self.where})", method=method, path=path,
            ) from exc
        except httpx.HTTPError as exc:
            raise errors.RegistryError(
                f"{method} {path} failed: {type(exc).__name__}: {redact_text(str(exc))} "
                f"({self.where})", method=method, path=path,
            ) from exc
        elapsed_ms = (time.perf_counter() - started) * 1000
        status = response.status_code
        log.debug("%s %s -> %d (%.0f ms)", method, path, status, elapsed_ms)
        if status >= 400:
            error = error_from_response(method, path, response, content, self._auth_hint(status))
            if status == 429:
                # The caller is over the limit: every request it concerns waits (all of them,
                # under an overall limit; the class's), not only this one.
                self.budget.hold(min(error.retry_after or 1.0, self.retry.max_retry_after),
                                 kind)
            raise error
        if not 200 <= status < 300:
            location = response.headers.get("location", "no Location header")
            raise errors.RegistryProtocolError(
                f"{method} {path} -> {status}: the server answered a redirect (to {location}) "
                f"instead of the API's JSON; {self.where} is not the workspace's API (a "
                "sign-in page or a proxy in front of it?): check the target's host",
                method=method, path=path, status=status)
        if require_body and not content.strip():
            raise self.protocol_error(method, path, f"an empty answer ({status} without a body) "
                                 "where the API always sends a JSON object", endpoint)
        if parse is not None:
            try:
                parsed = parse(content)
            except (ValueError, RecursionError):
                pass  # not the shape it reads: the ordinary parse decides (and reports)
            else:
                return self._shallow(method, path, parsed, endpoint)
        return self._parse_object(method, path, response, content, endpoint)

    def _shallow(
        self, method: str, path: str, data: dict[str, Any], endpoint: str | None
    ) -> dict[str, Any]:
        if nested_deeper_than(data, MAX_NESTING):
            raise self.protocol_error(method, path, f"the JSON is nested deeper than {MAX_NESTING} "
                                 "levels; the API's answers never are", endpoint)
        return data

    async def _read_capped(self, method: str, path: str, response: httpx.Response) -> bytes:
        """The body, refused past ``max_response_bytes`` (declared, or as it arrives,
        counted after decompression: a small gzip can unpack to gigabytes)."""
        cap = self.max_response_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise self._too_large(method, path, f"it declares {int(declared):,} bytes")
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > cap:
                raise self._too_large(method, path, "stopped reading there")
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_large(self, method: str, path: str, detail: str) -> errors.RegistryProtocolError:
        return errors.RegistryProtocolError(
            f"{method} {path}: the answer from {self.where} is larger than the response limit "
            f"of {self.max_response_bytes // (1024 * 1024)} MiB ({detail}); the serving-"
            "endpoints API never sends that much: check the target's host",
            method=method, path=path)

    def _auth_hint(self, status: int) -> str:
        source = f"the token from {self.auth_source}" if self.auth_source else "the token"
        if status == 401:
            return (f"{self.where} did not accept {source}: check that it belongs to this "
                    "workspace and has not expired or been revoked (a new one: User Settings "
                    "> Developer > Access tokens)")
        if status == 403:
            return (f"{source} is valid for {self.where} but lacks permission for this call "
                    "(managing an endpoint needs CAN_MANAGE on it; creating one needs "
                    "Model Serving access)")
        return ""

    def _connect_error(
        self, method: str, path: str, exc: httpx.ConnectError
    ) -> errors.RegistryError:
        text = redact_text(str(exc))
        if any(marker in text for marker in _UNKNOWN_HOST):
            host = exc.request.url.host if exc._request is not None else "the host"
            return errors.RegistryError(
                f"{method} {path} failed: cannot resolve {host} ({text}) for {self.where}; "
                "check the target's host", method=method, path=path)
        never = not self._contacted and self._first_try is not None and (
            self.retry.clock() - self._first_try >= FIRST_CONTACT_GRACE)
        if never:
            return errors.RegistryError(
                f"{method} {path} failed: cannot connect to {self.where} ({text or 'refused'}); "
                "nothing answers there: check the target's host and port, and that the "
                "workspace is reachable from here (or that `reconciler emulator serve` runs)",
                method=method, path=path)
        return errors.RegistryTemporaryError(
            f"{method} {path} failed: ConnectError: {text} ({self.where})",
            method=method, path=path)

    def _parse_object(
        self,
        method: str,
        path: str,
        response: httpx.Response,
        content: bytes,
        endpoint: str | None,
    ) -> dict[str, Any]:
        if not content.strip():
            return {}
        try:
            data = json.loads(content)
        except RecursionError as exc:
            raise self.protocol_error(method, path, "the JSON is nested too deeply to read; the "
                                 "API's answers never are", endpoint) from exc
        except (ValueError, UnicodeDecodeError) as exc:
            kind = response.headers.get("content-type", "unknown content type")
            raise self.protocol_error(
                method, path, f"response is not JSON ({kind}): {snippet(content)}", endpoint
            ) from exc
        if not isinstance(data, dict):
            raise self.protocol_error(
                method, path, f"expected a JSON object, got {type(data).__name__}", endpoint
            )
        return self._shallow(method, path, data, endpoint)

    def protocol_error(
        self, method: str, path: str, problem: str, endpoint: str | None = None
    ) -> errors.RegistryProtocolError:
        about = f" (endpoint {endpoint!r})" if endpoint else ""
        return errors.RegistryProtocolError(
            f"{method} {path}{about}: unexpected response from the server: {problem}",
            method=method, path=path,
        )


# Resolver messages (glibc, macOS, Windows): the host name does not exist, retrying is futile.
_UNKNOWN_HOST = ("Name or service not known", "nodename nor servname", "getaddrinfo failed",
                 "No address associated with hostname")
