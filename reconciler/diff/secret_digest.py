"""A salted digest of an endpoint's plaintext secrets, kept in the ``reconciler-secrets`` tag.

``*_plaintext`` fields are write-only: GET never returns them, so the diff alone cannot tell
a rotated key from an unchanged one. Storing the key (or an unsalted hash of it) anywhere
would leak it; instead each write records ``v1:<salt>:<digest>`` in the endpoint tag
``reconciler-secrets`` (``fields.SECRETS_TAG``), where

    digest = first 16 hex of HMAC-SHA256(key=salt, canonical JSON {field path: value})

and the salt is random per write. Plan recomputes the digest of the values it would send
with the *live* tag's salt: equal means unchanged, different means rotated. The salt makes
the tag useless for matching keys across endpoints or workspaces; the truncation keeps it
short. A low-entropy value (a short password) could still be guessed offline from the tag,
which is why literal plaintext is refused by default (DESIGN.md section 7); API keys cannot.

Plans hold only references, so the tag value a planned request writes is a *marker*,
``{"$secrets_digest": {path: raw value}}`` (raw: ``${env.NAME}`` as written), that apply
replaces with a fresh tag value computed from the very values it sends. The marker's keys
end in ``_plaintext``, so every renderer and saved plan masks a literal value in it.

Pure: the salt is always passed in; randomness, the environment and I/O stay in the api
layer.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from typing import Any, Literal

from reconciler.diff.fields import KEYED_LISTS, SECRETS_TAG
from reconciler.model.naming import derived_entity_name

__all__ = [
    "DIGEST_MARKER",
    "SECRETS_TAG",
    "SecretsStatus",
    "compute_tag_value",
    "digest_marker",
    "marker_values",
    "parse_tag_value",
    "plaintext_fields",
    "secrets_status",
]

TAG_VERSION = "v1"
DIGEST_HEX = 16
DIGEST_MARKER = "$secrets_digest"
PLAINTEXT_SUFFIX = "_plaintext"
_SALT = re.compile(r"[0-9a-f]{8,64}")
_DIGEST = re.compile(f"[0-9a-f]{{{DIGEST_HEX}}}")

SecretsStatus = Literal["current", "rotated", "untracked"]
"""``current``: the live tag matches the values; ``rotated``: it does not; ``untracked``: the
endpoint has no (readable) tag, e.g. created before this feature or by someone else."""


def plaintext_fields(body: Mapping[str, Any]) -> dict[str, str]:
    """``{field path: value}`` of every ``*_plaintext`` string in a create or config body.

    Paths use the diff's syntax, served entities by name (the derived name when the manifest
    gives none): ``config.served_entities[gpt-4o].external_model.openai_config.
    openai_api_key_plaintext``. A config PUT body (no ``config`` level) gets the same paths.
    """
    found: dict[str, str] = {}
    root: Mapping[str, Any] = body if "config" in body else {"config": body}
    _walk(root, "", found)
    return found


# Write-only settings a config PUT applies but GET never returns: in the digest too, so a
# change to them is seen (and sent with the config) like a rotated key.
WRITE_ONLY_SETTINGS = frozenset({"burst_scaling_enabled"})


def _walk(node: Any, path: str, found: dict[str, str]) -> None:
    if not isinstance(node, Mapping):
        return
    for key, value in node.items():
        child = f"{path}.{key}" if path else str(key)
        if key in WRITE_ONLY_SETTINGS and isinstance(value, bool) and path:
            found[child] = "true" if value else "false"
        elif isinstance(key, str) and key.endswith(PLAINTEXT_SUFFIX):
            if isinstance(value, str):
                found[child] = value
        elif isinstance(value, Mapping):
            _walk(value, child, found)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                _walk(item, f"{child}[{_element_key(key, item, index)}]", found)


def _element_key(list_name: Any, item: Any, index: int) -> str:
    if list_name in KEYED_LISTS and isinstance(item, Mapping):
        name = item.get("name") or derived_entity_name(item)
        if name:
            return str(name)
    return str(index)


def compute_tag_value(values: Mapping[str, str], salt: str) -> str:
    """``v1:<salt>:<digest>`` of resolved plaintext ``values`` (``plaintext_fields`` paths)."""
    if not _SALT.fullmatch(salt):
        raise ValueError("the salt must be 8 to 64 lowercase hex characters")
    canonical = json.dumps(dict(values), sort_keys=True, separators=(",", ":"),
                           ensure_ascii=False)
    mac = hmac.new(salt.encode("ascii"), canonical.encode("utf-8"), hashlib.sha256)
    return f"{TAG_VERSION}:{salt}:{mac.hexdigest()[:DIGEST_HEX]}"


def parse_tag_value(value: str | None) -> tuple[str, str] | None:
    """``(salt, digest)`` of a well-formed tag value; None for anything else."""
    if not value:
        return None
    parts = value.split(":")
    if len(parts) != 3 or parts[0] != TAG_VERSION:
        return None
    salt, digest = parts[1], parts[2]
    if not _SALT.fullmatch(salt) or not _DIGEST.fullmatch(digest):
        return None
    return salt, digest


def secrets_status(tag_value: str | None, values: Mapping[str, str]) -> SecretsStatus:
    """Whether the live tag ``tag_value`` was computed from exactly these resolved values."""
    parsed = parse_tag_value(tag_value)
    if parsed is None:
        return "untracked"
    salt, _digest = parsed
    expected = compute_tag_value(values, salt)
    return "current" if hmac.compare_digest(expected, str(tag_value)) else "rotated"


def digest_marker(raw_values: Mapping[str, str]) -> dict[str, Any]:
    """The placeholder a planned request carries as the tag value; apply replaces it."""
    return {DIGEST_MARKER: dict(sorted(raw_values.items()))}


def marker_values(value: Any) -> dict[str, str] | None:
    """The raw values of a ``digest_marker``; None when ``value`` is not one."""
    if isinstance(value, Mapping) and set(value) == {DIGEST_MARKER}:
        inner = value[DIGEST_MARKER]
        if isinstance(inner, Mapping) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in inner.items()
        ):
            return dict(inner)
    return None


def change_path(paths: list[str]) -> str:
    """The path of the one change a rotation shows: the field itself when there is one, else
    ``<deepest common parent>.*_plaintext`` (one digest covers them all, so which of them
    changed is not known). It always names ``_plaintext``, so it is masked and read as a
    write-only key wherever it is shown."""
    if len(paths) == 1:
        return paths[0]
    return f"{common_path(paths)}.*{PLAINTEXT_SUFFIX}"


def common_path(paths: list[str]) -> str:
    """The deepest path every one of ``paths`` lies under (the path itself when only one)."""
    if len(paths) == 1:
        return paths[0]
    split = [re.findall(r"[^.\[\]]+|\[[^\]]*\]", p) for p in paths]
    shared: list[str] = []
    for parts in zip(*split, strict=False):
        if len(set(parts)) != 1:
            break
        shared.append(parts[0])
    out = ""
    for part in shared:
        out += part if part.startswith("[") or not out else f".{part}"
    return out or "config"
