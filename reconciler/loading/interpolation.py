"""``${var.NAME}`` and ``${env.NAME}`` in string values, resolved at load time.

Fields named ``*_plaintext`` are the exception: there a ``${env.NAME}`` reference stays in
the manifest verbatim (the loader only checks the variable is set), so plans, plan files and
logs never hold the secret; the apply step resolves it at the last moment with
``resolve_env_refs``. ``$${`` writes a literal ``${``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from reconciler import errors
from reconciler.loading.yaml_reader import RawDocument, StringRef
from reconciler.model import load_rules
from reconciler.model.diagnostics import Issue
from reconciler.model.source import SourceLocation

__all__ = ["ENV_REF_PATTERN", "interpolate", "is_env_reference", "resolve_env_refs"]

ENV_REF_PATTERN = re.compile(r"(?<!\$)\$\{env\.([A-Za-z_][A-Za-z0-9_]*)\}")
"""A ``${env.NAME}`` reference (not one escaped as ``$${env.NAME}``); group 1 is NAME."""

_REFERENCE = re.compile(r"\$(\$?)\{([^{}]*)\}")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
PLAINTEXT_SUFFIX = "_plaintext"


def is_env_reference(value: str) -> bool:
    """True when ``value`` is exactly one ``${env.NAME}`` reference and nothing else."""
    return ENV_REF_PATTERN.fullmatch(value) is not None


def resolve_env_refs(value: str, env: Mapping[str, str]) -> str:
    """Replace every ``${env.NAME}`` in ``value``; ``$${`` becomes ``${``.

    Raises ``ManifestError`` naming the variable (never its value) when one is unset.
    """

    def substitute(match: re.Match[str]) -> str:
        escaped, body = match.group(1), match.group(2)
        if escaped:
            return "${" + body + "}"
        namespace, _, name = body.partition(".")
        if namespace != "env":
            return match.group(0)
        if name not in env:
            raise errors.ManifestError(f"environment variable {name} is not set")
        return env[name]

    return _REFERENCE.sub(substitute, value)


def interpolate(
    doc: RawDocument, variables: Mapping[str, str], env: Mapping[str, str]
) -> list[Issue]:
    """Resolve the references in ``doc.data`` in place; return the undefined ones as issues."""
    issues: list[Issue] = []
    for ref in doc.refs:
        parent, key = _container(doc.data, ref.path)
        if parent is None:
            continue
        value = parent[key]
        if not isinstance(value, str):  # pragma: no cover - refs are recorded for strings
            continue
        # ``plaintext`` is a Unity AI Gateway ProviderSecret's member (model/unity.py).
        plaintext = isinstance(key, str) and (
            key.endswith(PLAINTEXT_SUFFIX) or key == "plaintext")
        parent[key] = _resolve(value, ref, doc.file, variables, env, plaintext, issues)
    return issues


def _resolve(
    value: str,
    ref: StringRef,
    file: str,
    variables: Mapping[str, str],
    env: Mapping[str, str],
    plaintext: bool,
    issues: list[Issue],
) -> str:
    def substitute(match: re.Match[str]) -> str:
        escaped, body = match.group(1), match.group(2)
        if escaped:
            # In a plaintext field the escape is kept, so resolve_env_refs undoes it later.
            return match.group(0) if plaintext else "${" + body + "}"
        namespace, dot, name = body.partition(".")
        where = _position(value, match.start(), ref, file)
        if not dot or namespace not in ("var", "env") or not _NAME.fullmatch(name):
            message = f"'{match.group(0)}' is not ${{var.NAME}} or ${{env.NAME}}"
            issues.append(load_rules.BAD_REFERENCE.issue(message, where, ref.path))
            return match.group(0)
        if namespace == "var":
            if name not in variables:
                known = ", ".join(sorted(variables)) or "none defined"
                message = f"undefined variable '{name}' (known: {known})"
                issues.append(load_rules.UNDEFINED_VAR.issue(message, where, ref.path))
                return match.group(0)
            return variables[name]
        if name not in env:
            message = f"environment variable '{name}' is not set"
            issues.append(load_rules.UNDEFINED_ENV.issue(message, where, ref.path))
            return match.group(0)
        return match.group(0) if plaintext else env[name]

    return _REFERENCE.sub(substitute, value)


def _position(value: str, offset: int, ref: StringRef, file: str) -> SourceLocation:
    """The reference's own line:col when the scalar is on one line, else the scalar's start."""
    if ref.style in ("", '"', "'") and "\n" not in value[:offset]:
        quote = 1 if ref.style else 0
        return SourceLocation(file, ref.line + 1, ref.column + 1 + quote + offset)
    return SourceLocation(file, ref.line + 1, ref.column + 1)


def _container(data: Any, path: tuple[str | int, ...]) -> tuple[Any, str | int]:
    """The dict or list holding ``path``'s value, and the key or index in it."""
    node = data
    for part in path[:-1]:
        node = node[part]
    if not path:
        return None, ""
    return node, path[-1]
