"""The emulator's structural check of a request body against its schema (``schemas``).

A page-long checker of the small JSON Schema subset the schemas use (type, enum, required,
properties, additionalProperties, items, min/max, length, pattern), kept apart from the
client's validation on purpose: the emulator is an independent implementation of the
service, and answers the first problem in the service's words ("Invalid value for
config.served_entities[0].name: expected string, got object.", "Missing required field: X.").
"""

from __future__ import annotations

import re
from typing import Any

from reconciler.emulator.schemas import Schema

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


def _type_ok(expected: str, value: Any) -> bool:
    if isinstance(value, bool) and expected in ("integer", "number"):
        return False  # JSON true is not a number, whatever Python thinks
    return isinstance(value, _TYPES[expected])


def describe(path: str) -> str:
    return path or "the request body"


def check(schema: Schema, value: Any, path: str = "") -> str | None:
    """The first structural problem of ``value`` against ``schema``, or None.

    The message names the field by its dotted path, as the service does
    (``config.served_entities[0].external_model.provider``).
    """
    expected = schema.get("type")
    if expected is not None and not _type_ok(expected, value):
        return f"Invalid value for {describe(path)}: expected {expected}, got {type_name(value)}."
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            return f"{describe(path)} must not be empty."
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            return f"{describe(path)} is longer than {schema['maxLength']} characters."
        if "pattern" in schema and not re.search(schema["pattern"], value):
            return f"Invalid value {value!r} for {describe(path)}: it must match " \
                   f"{schema['pattern']}."
    if "enum" in schema and value not in schema["enum"]:
        allowed = ", ".join(str(v) for v in schema["enum"])
        return f"Invalid value {value!r} for {describe(path)}; expected one of: {allowed}."
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            return f"{describe(path)} must be >= {schema['minimum']}, got {value}."
        if "maximum" in schema and value > schema["maximum"]:
            return f"{describe(path)} must be <= {schema['maximum']}, got {value}."
    if isinstance(value, dict):
        for name in schema.get("required", ()):
            if value.get(name) is None:
                return f"Missing required field: {_join(path, name)}."
        for name, sub in schema.get("properties", {}).items():
            if value.get(name) is not None:
                problem = check(sub, value[name], _join(path, name))
                if problem:
                    return problem
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for name, item in value.items():
                problem = check(extra, item, _join(path, str(name)))
                if problem:
                    return problem
    if isinstance(value, list):
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            return f"{describe(path)} has {len(value)} items; at most {schema['maxItems']}."
        items = schema.get("items")
        if items:
            for index, item in enumerate(value):
                problem = check(items, item, f"{path}[{index}]")
                if problem:
                    return problem
    return None


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    for name in _TYPES:
        if _type_ok(name, value):
            return name
    return type(value).__name__
