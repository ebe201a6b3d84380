"""A clean manifest for a live Unity AI Gateway service (``reconciler export``/``import``).

The manifest holds what a person would write, in the API's own shape: ``kind``, ``name``
(``catalog.schema.id``), ``comment`` without this project's ownership marker, ``config``
without the read-only members a server fills in (``is_deleted``, an inference table's
``table``, a provisioned-throughput destination's resolved ``model``, a connection's
``options``), and ``grants`` when they were read. A secret read back as a UC
``secret_reference`` stays one; a plaintext secret is input-only and reads back empty
(``{}``), so it is written as ``plaintext: ${env.NAME}`` and reported, never guessed.
Planning the result against the same service shows no change (for an imported service:
only the ownership marker, which the next apply writes). Pure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.model.unity import SECRET_FIELDS
from reconciler.planning.service_plan import KIND_OF, MARKER

# Read-only members, wherever they appear in a config.
READ_ONLY = frozenset({"is_deleted", "table", "options"})


@dataclass(frozen=True)
class ServiceEnvReference:
    """A plaintext secret export could not read, written as ``${env.NAME}`` instead."""

    service: str  # catalog.schema.id
    path: str  # config.openai.direct.api_key.plaintext
    variable: str


_NOT_NAME = re.compile(r"[^A-Z0-9]+")


def env_variable(full_name: str, path: str) -> str:
    """``main.genai.openai_prod``, ``config.openai.direct.api_key`` -> ``OPENAI_PROD_API_KEY``
    (the service id and the secret's own member: the schema is the same for a project)."""
    ident = full_name.rsplit(".", 1)[-1]
    return _NOT_NAME.sub("_", f"{ident}_{path.rsplit('.', 1)[-1]}".upper()).strip("_")


def _clean(value: Any, path: str, name: str, refs: list[ServiceEnvReference]) -> Any:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            where = f"{path}.{key}"
            if key in READ_ONLY or item is None:
                continue
            if key == "model" and path.endswith("provisioned_throughput_config"):
                continue  # resolved by the server from the serving endpoint
            if key in SECRET_FIELDS and isinstance(item, dict) and \
                    not item.get("secret_reference"):
                variable = env_variable(name, where)
                refs.append(ServiceEnvReference(name, f"{where}.plaintext", variable))
                out[key] = {"plaintext": f"${{env.{variable}}}"}
                continue
            out[key] = _clean(item, where, name, refs)
        return out
    if isinstance(value, list):
        return [_clean(v, f"{path}[{i}]", name, refs) for i, v in enumerate(value)]
    return value


def service_manifest(collection: str, live: Mapping[str, Any],
                     grants: Mapping[str, Sequence[str]] | None = None,
                     ) -> tuple[dict[str, Any], list[ServiceEnvReference]]:
    """The manifest of a live service of ``collection`` and the ``${env.NAME}`` references
    it wrote; ``grants`` (principal -> privileges), when given, become its ``grants``."""
    kind = KIND_OF[collection]
    name = str(live.get("name", "")).removeprefix(collection + "/")
    refs: list[ServiceEnvReference] = []
    manifest: dict[str, Any] = {"kind": kind, "name": name}
    comment = MARKER.sub("", str(live.get("comment") or "")).rstrip()
    if comment:
        manifest["comment"] = comment
    manifest["config"] = _clean(live.get("config") or {}, "config", name, refs)
    if grants:
        manifest["grants"] = {p: sorted(v) for p, v in sorted(grants.items()) if v}
    order = ["kind", "name", "comment", "config", "grants"]  # as the docs write them
    ordered = {k: manifest[k] for k in sorted(manifest, key=order.index)}
    return ordered, refs


def plaintext_references(manifest: Mapping[str, Any]) -> list[ServiceEnvReference]:
    """The ``plaintext: ${env.NAME}`` members of a service manifest (what to set)."""
    name = str(manifest.get("name", ""))
    found: list[ServiceEnvReference] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, Mapping):
            for key, value in node.items():
                match = _ENV_ONLY.match(value) if isinstance(value, str) else None
                if key == "plaintext" and match:
                    found.append(ServiceEnvReference(name, f"{path}.{key}", match.group(1)))
                walk(value, f"{path}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{path}[{i}]")

    walk(manifest.get("config"), "config")
    return found


_ENV_ONLY = re.compile(r"^\$\{env\.([A-Za-z_][A-Za-z0-9_]*)\}$")
