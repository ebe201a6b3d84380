"""Credentials for a workspace target: which token, from where, and how it is sent.

Resolution order for a target with ``host`` (DESIGN.md section 2, API reference section 8):

1. ``auth: sdk`` -> Databricks unified auth (OAuth M2M, Azure, CLI, ...) through
   ``databricks-sdk``'s ``Config(...).authenticate()``, called per request so tokens refresh;
2. ``token_env: NAME`` -> the token in that environment variable (it must be set);
3. ``profile: NAME`` -> the ``token`` of that section of ``~/.databrickscfg``
   (``DATABRICKS_CONFIG_FILE`` honoured); a profile without a token (OAuth) goes to the SDK;
4. ``DATABRICKS_TOKEN``;
5. otherwise the SDK's default chain when the ``sdk-auth`` extra is installed.

The token is registered with ``reconciler.redaction`` the moment it is read, so no log line
or error message can show it; it is never put in an error message on purpose either.
"""

from __future__ import annotations

import configparser
import importlib
import os
from collections.abc import Generator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from reconciler import errors
from reconciler.model.project import Target
from reconciler.redaction import register_secret


class BearerAuth(httpx.Auth):
    """``Authorization: Bearer <token>`` on every request."""

    def __init__(self, token: str) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request

    def __repr__(self) -> str:  # never show the token, even in a debugger or traceback
        return "BearerAuth(token=(sensitive))"


class SdkAuth(httpx.Auth):
    """Headers from ``databricks.sdk.core.Config.authenticate()``, fetched fresh per request."""

    def __init__(self, config: Any) -> None:
        self._config = config

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        try:
            headers = self._config.authenticate()
        except Exception as exc:  # the SDK raises its own types; translate at the boundary
            raise errors.RegistryAuthError(
                f"Databricks unified auth failed: {type(exc).__name__}"
            ) from exc
        for key, value in headers.items():
            if key.lower() == "authorization":
                # An OAuth or Azure token, fresh per request: masked like a static token.
                register_secret(value.partition(" ")[2] or value)
            request.headers[key] = value
        yield request


@dataclass(frozen=True)
class Credentials:
    host: str
    auth: httpx.Auth
    source: str  # where the credentials came from, for messages ("token_env PROD_TOKEN")


def normalise_host(host: str) -> str:
    """``dbc-1.cloud.databricks.com/`` -> ``https://dbc-1.cloud.databricks.com`` (as the SDK)."""
    host = host.strip().rstrip("/")
    if "://" not in host:
        host = "https://" + host
    if host.startswith("https://") and host.endswith(":443"):
        host = host[: -len(":443")]
    return host


def config_file_path(env: Mapping[str, str]) -> Path:
    return Path(env.get("DATABRICKS_CONFIG_FILE") or Path.home() / ".databrickscfg").expanduser()


def read_profile(name: str, env: Mapping[str, str]) -> dict[str, str]:
    """The keys of section ``name`` of the Databricks config file."""
    path = config_file_path(env)
    parser = configparser.ConfigParser(interpolation=None)
    try:
        with path.open(encoding="utf-8") as handle:
            parser.read_file(handle)
    except FileNotFoundError as exc:
        raise errors.ProjectError(
            f"profile {name!r} needs the Databricks config file {path}, which does not exist"
        ) from exc
    except (OSError, configparser.Error) as exc:
        raise errors.ProjectError(f"cannot read the Databricks config file {path}: {exc}") from exc
    if name != "DEFAULT" and not parser.has_section(name):
        raise errors.ProjectError(f"profile {name!r} is not in {path}")
    return {key: value.strip() for key, value in parser[name].items()}


def resolve_credentials(
    target_name: str, target: Target, env: Mapping[str, str] | None = None
) -> Credentials:
    """Pick the host and the way to authenticate for a workspace target (order above)."""
    env = os.environ if env is None else env
    profile = read_profile(target.profile, env) if target.profile else {}
    host = target.host or profile.get("host")
    if not host:
        raise errors.ProjectError(
            f"target {target_name!r} has neither 'host' nor 'local' (nor a profile with a host)"
        )
    host = normalise_host(host)
    if target.profile and target.host:
        _check_profile_host(target_name, target.profile, profile, host, env)
    if target.auth == "sdk":
        return Credentials(host, _sdk_auth(host, target.profile, env), "databricks-sdk")
    if target.token_env:
        token = env.get(target.token_env, "")
        if not token:
            raise errors.RegistryAuthError(
                f"target {target_name!r} takes its token from ${target.token_env}, which is "
                "not set"
            )
        return Credentials(host, bearer_auth(token, f"${target.token_env}"),
                           f"${target.token_env}")
    if target.profile:
        if profile.get("token"):
            source = f"profile {target.profile} ({config_file_path(env)})"
            return Credentials(host, bearer_auth(profile["token"], source), source)
        return Credentials(host, _sdk_auth(host, target.profile, env), "databricks-sdk")
    if env.get("DATABRICKS_TOKEN"):
        return Credentials(host, bearer_auth(env["DATABRICKS_TOKEN"], "$DATABRICKS_TOKEN"),
                           "$DATABRICKS_TOKEN")
    if _sdk_available():
        return Credentials(host, _sdk_auth(host, None, env), "databricks-sdk")
    raise errors.RegistryAuthError(
        f"no credentials for target {target_name!r}: set DATABRICKS_TOKEN, or 'token_env' or "
        "'profile' on the target (or install the 'sdk-auth' extra for OAuth and Azure auth)"
    )


def _check_profile_host(target_name: str, name: str, profile: Mapping[str, str], host: str,
                        env: Mapping[str, str]) -> None:
    """A profile's token belongs to the profile's host: refuse to send it to another one
    (the Databricks CLI's "config host mismatch"). Hosts compare as the SDK normalises them."""
    own = profile.get("host")
    where = config_file_path(env)
    if not own:
        raise errors.ProjectError(
            f"target {target_name!r} sets host {host} and profile {name!r}, which has no host "
            f"in {where}: the token's workspace is unknown; add `host = {host}` to the "
            "profile, or drop `host:` from the target"
        )
    if normalise_host(own).lower() != host.lower():
        raise errors.ProjectError(
            f"config host mismatch: target {target_name!r} sets host {host}, but profile "
            f"{name!r} in {where} belongs to {normalise_host(own)}; its token is not sent "
            "to another host. Drop `host:` from the target (the profile's host is used) or "
            "choose the profile of that workspace"
        )


def bearer_auth(token: str, source: str = "the token") -> BearerAuth:
    """``Authorization: Bearer``; a token with surrounding whitespace or control characters
    (a file's trailing newline, a pasted tab) is refused, naming where it came from and never
    showing it: sent as is, it would be rejected by the server or by httpx, whose message
    repeats the header value."""
    register_secret(token)  # first: whatever happens next, no output can show it
    if token != token.strip() or any(ord(c) < 32 or ord(c) == 127 for c in token):
        raise errors.RegistryAuthError(
            f"the token from {source} has surrounding whitespace or control characters "
            "(a trailing newline from a file?); it was not sent: remove them, e.g. "
            "export TOKEN=\"$(tr -d '[:space:]' < token-file)\""
        )
    return BearerAuth(token)


def _sdk_available() -> bool:
    try:
        importlib.import_module("databricks.sdk.core")
    except ImportError:
        return False
    return True


def _sdk_auth(host: str, profile: str | None, env: Mapping[str, str]) -> SdkAuth:
    """Unified auth; the SDK import is lazy so that it stays an optional extra."""
    try:
        core = importlib.import_module("databricks.sdk.core")
    except ImportError as exc:
        raise errors.RegistryAuthError(
            "this target needs Databricks unified auth: pip install 'serving-reconciler[sdk-auth]'"
        ) from exc
    kwargs: dict[str, Any] = {"host": host}
    if profile:
        kwargs["profile"] = profile
    if env.get("DATABRICKS_CONFIG_FILE"):
        kwargs["config_file"] = env["DATABRICKS_CONFIG_FILE"]
    try:
        config = core.Config(**kwargs)
    except Exception as exc:  # ValueError and the SDK's own errors: say which target, not why
        raise errors.RegistryAuthError(
            f"Databricks unified auth could not be configured for {host}: "
            f"{type(exc).__name__}: {_first_line(exc)}"
        ) from exc
    return SdkAuth(config)


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0][:300] if str(exc) else ""
