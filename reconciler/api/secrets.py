"""Plaintext secrets at the api boundary: resolved late, registered for masking, digested.

The planner is pure and never sees a key. This module is where keys exist:

* at plan time, ``with_secrets_status`` resolves each endpoint's ``*_plaintext`` values
  (``${env.NAME}`` from the environment, or a literal the policy allows), registers them with
  ``reconciler.redaction`` and compares them with the live ``reconciler-secrets`` tag
  (``reconciler.diff.secret_digest``); only the verdict goes into the plan;
* at apply time, ``plaintext_resolver`` turns the references in a request body into values
  at the last moment, and replaces a digest marker with a tag value computed, with a fresh
  random salt, from the same values the same apply sends;
* ``check_apply_env`` refuses an apply up front when a referenced variable is unset, naming
  the variable, the endpoint and the field (never a value).
"""

from __future__ import annotations

import secrets as random_source
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from reconciler import errors
from reconciler.diff import secret_digest
from reconciler.diff.desired import desired_body
from reconciler.diff.fields import SECRETS_TAG
from reconciler.loading.interpolation import ENV_REF_PATTERN, resolve_env_refs
from reconciler.model.live import LiveEndpoint
from reconciler.planning.plan import Plan
from reconciler.planning.planner import DesiredEndpoint
from reconciler.redaction import is_plaintext_field, register_secret

SALT_BYTES = 6  # 12 hex characters, new for every write


def new_salt() -> str:
    return random_source.token_hex(SALT_BYTES)


def _resolve(raw: str, env: Mapping[str, str], where: str) -> str:
    try:
        value = resolve_env_refs(raw, env)
    except errors.ManifestError as exc:
        raise errors.ManifestError(f"{where}: {exc}") from exc
    register_secret(value)
    return value


def resolve_values(raw: Mapping[str, str], env: Mapping[str, str], where: str) -> dict[str, str]:
    """``{path: value}`` with every reference resolved and every value registered as secret."""
    return {path: _resolve(value, env, f"{where}: {path}") for path, value in raw.items()}


def with_secrets_status(
    desired: Sequence[DesiredEndpoint],
    live: Mapping[str, LiveEndpoint],
    env: Mapping[str, str],
) -> list[DesiredEndpoint]:
    """``desired`` with ``secrets`` set for every live endpoint that has plaintext fields."""
    out: list[DesiredEndpoint] = []
    for item in desired:
        view = live.get(item.endpoint.name)
        raw = secret_digest.plaintext_fields(desired_body(item.endpoint, ""))
        if view is None or not raw:
            out.append(item)
            continue
        values = resolve_values(raw, env, f"endpoint {item.endpoint.name!r}")
        tag = view.tags.get(SECRETS_TAG)
        out.append(replace(item, secrets=secret_digest.secrets_status(tag, values)))
    return out


def plaintext_resolver(
    env: Mapping[str, str], salt: Callable[[], str] = new_salt
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A function resolving a request body just before it is sent (see module doc)."""

    def resolve(obj: Any, plaintext: bool = False) -> Any:
        raw = secret_digest.marker_values(obj)
        if raw is not None:
            values = resolve_values(raw, env, SECRETS_TAG)
            return secret_digest.compute_tag_value(values, salt())
        if isinstance(obj, dict):
            return {k: resolve(v, isinstance(k, str) and is_plaintext_field(k))
                    for k, v in obj.items()}
        if isinstance(obj, list):
            return [resolve(v) for v in obj]
        if plaintext and isinstance(obj, str):
            return _resolve(obj, env, "a plaintext field")
        return obj

    def resolve_body(body: dict[str, Any]) -> dict[str, Any]:
        resolved: dict[str, Any] = resolve(body)
        return resolved

    return resolve_body


def check_apply_env(plan: Plan, env: Mapping[str, str]) -> None:
    """Refuse before any write when a ``${env.NAME}`` a request needs is unset.

    Each value found is registered as a secret here already, so even an output made before
    the request is sent (a progress line, a log record) masks it.
    """
    missing: list[str] = []
    for action in plan.actions:
        for step in action.steps:
            for path, raw in _plaintext_strings(step.wire_body(), ""):
                for match in ENV_REF_PATTERN.finditer(raw):
                    name = match.group(1)
                    if name in env:
                        register_secret(env[name])
                    else:
                        missing.append(f"${{env.{name}}} ({action.name}: {path})")
    if missing:
        unique = list(dict.fromkeys(missing))
        raise errors.ManifestError(
            "environment variable" + ("s" if len(unique) > 1 else "") + " not set for apply: "
            + ", ".join(unique[:5]) + (", ..." if len(unique) > 5 else "")
        )


def _plaintext_strings(obj: Any, prefix: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    raw = secret_digest.marker_values(obj)
    if raw is not None:
        return list(raw.items())
    if isinstance(obj, dict):
        for key, value in obj.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(key, str) and is_plaintext_field(key) and isinstance(value, str):
                out.append((path, value))
            else:
                out.extend(_plaintext_strings(value, path))
    elif isinstance(obj, list):
        for index, value in enumerate(obj):
            out.extend(_plaintext_strings(value, f"{prefix}[{index}]"))
    return out
