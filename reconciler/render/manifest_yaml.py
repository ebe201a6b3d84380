"""Manifests as YAML text for ``reconciler export``, without importing a YAML library.

``yaml`` is kept behind the loading layer; exporting only ever writes JSON-like data (maps,
lists, strings, numbers, booleans), for which block-style YAML is simple to emit. Strings
that YAML could read as something else (``true``, ``1.0``, ``{{secrets/...}}``, ``a: b``) are
written as JSON strings, which are valid YAML double-quoted scalars. Loading the text back
gives the same data (tested with the loader).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

_PLAIN = re.compile(r"^[A-Za-z_/][A-Za-z0-9_./@+-]*( [A-Za-z0-9_./@+()-]+)*$")
_RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


def scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _RESERVED:
        return text
    return json.dumps(text, ensure_ascii=False)


def _lines(value: Any, indent: int) -> list[str]:
    pad = " " * indent
    if isinstance(value, Mapping):
        if not value:
            return [pad + "{}"]
        out: list[str] = []
        for key, item in value.items():
            out.extend(_entry(f"{pad}{scalar(key)}:", item, indent))
        return out
    if isinstance(value, Sequence) and not isinstance(value, str):
        if not value:
            return [pad + "[]"]
        out = []
        for item in value:
            if isinstance(item, Mapping) and item:
                nested = _lines(item, indent + 2)
                out.append(pad + "- " + nested[0].lstrip())
                out.extend(nested[1:])
            elif isinstance(item, Sequence) and not isinstance(item, str) and item:
                out.append(pad + "-")
                out.extend(_lines(item, indent + 2))
            else:
                out.append(pad + "- " + _inline(item))
        return out
    return [pad + scalar(value)]


def _inline(value: Any) -> str:
    if isinstance(value, Mapping):
        return "{}"
    if isinstance(value, Sequence) and not isinstance(value, str):
        return "[]"
    return scalar(value)


def _entry(head: str, value: Any, indent: int) -> list[str]:
    is_map = isinstance(value, Mapping)
    is_list = isinstance(value, Sequence) and not isinstance(value, str)
    if (is_map or is_list) and value:
        return [head, *_lines(value, indent + 2)]
    return [f"{head} {_inline(value)}"]


def to_yaml(data: Mapping[str, Any]) -> str:
    """One YAML document for one manifest."""
    return "\n".join(_lines(data, 0)) + "\n"


def to_yaml_documents(documents: Sequence[Mapping[str, Any]]) -> str:
    """Several manifests in one stream, ``---`` between them."""
    return "---\n".join(to_yaml(d) for d in documents)
