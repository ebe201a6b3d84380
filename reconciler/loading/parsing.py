"""Plain documents -> pydantic models, with pydantic's errors turned into located issues.

Pydantic (compiled) is the structural check's fast path; the committed JSON Schema is
generated from the same models, so both agree on what is structurally valid. Pydantic
reports ``loc`` paths through union members (``tags.dict[str,str].team``); those member
labels are mapped back onto the document's real keys, and of the alternatives of a union
only the errors of the member that got furthest are kept, so a user sees one message.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Iterable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from reconciler.loading.yaml_reader import RawDocument
from reconciler.model import load_rules
from reconciler.model.diagnostics import FieldPath, Issue

ModelT = TypeVar("ModelT", bound=BaseModel)
_QUOTED = re.compile(r"'([^']*)'")


def build_model(model: type[ModelT], doc: RawDocument) -> tuple[ModelT | None, list[Issue]]:
    """Validate ``doc.data`` as ``model``; on failure return located structural issues."""
    try:
        return model.model_validate(doc.data), []
    except ValidationError as exc:
        return None, _issues(model, doc, exc.errors(include_url=False))


def dotted(path: Iterable[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class _Located:
    """One pydantic error with its loc mapped onto the document's real path."""

    def __init__(self, error: ErrorDetails, data: Any) -> None:
        self.error = error
        self.path: FieldPath = ()
        self.labels: list[str] = []
        self.at_label = False  # the error is about a union member itself, not inside it
        node = data
        loc = error["loc"]
        for i, part in enumerate(loc):
            last = i == len(loc) - 1
            if _has(node, part):
                node = node[part]
                self.path = (*self.path, part)
            elif last and error["type"] == "missing":
                self.path = (*self.path, part)
            else:
                self.labels.append(str(part))
                self.at_label = last


def _has(node: Any, part: str | int) -> bool:
    if isinstance(node, dict):
        return isinstance(part, str) and part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


def _issues(model: type[BaseModel], doc: RawDocument, errors: list[ErrorDetails]) -> list[Issue]:
    located = [_Located(e, doc.data) for e in errors]
    # Of a union's alternatives, keep the errors that reached deepest into the data.
    deepest = [
        e
        for e in located
        if not e.labels
        or not any(
            o.labels and len(o.path) > len(e.path) and o.path[: len(e.path)] == e.path
            for o in located
        )
    ]
    issues: list[Issue] = []
    unions: dict[FieldPath, list[str]] = {}
    for item in deepest:
        if item.at_label and item.error["type"] not in ("missing", "extra_forbidden"):
            unions.setdefault(item.path, []).append(item.labels[-1])
            continue
        issues.append(_issue(model, doc, item))
    for path, labels in unions.items():
        kinds = ", ".join(dict.fromkeys(_describe(label) for label in labels))
        message = f"{dotted(path) or 'document'}: expected one of: {kinds}"
        issues.append(load_rules.WRONG_TYPE.issue(message, doc.location_of(path), path))
    return issues


def _issue(model: type[BaseModel], doc: RawDocument, item: _Located) -> Issue:
    error, path = item.error, item.path
    kind = error["type"]
    if kind == "extra_forbidden":
        parent, name = path[:-1], str(path[-1])
        where = f" in {dotted(parent)}" if parent else ""
        hint = _did_you_mean(name, _fields_at(model, parent)) or _belongs_in(
            name, _models_at(model, parent)
        )
        if not hint and parent and name in model.model_fields:
            # MLflow's create_endpoint(config={..., "tags": ..., "rate_limits": ...}) shape.
            hint = "; it belongs at the top level of the document"
        message = f"unknown field '{name}'{where}{hint}"
        return load_rules.UNKNOWN_FIELD.issue(message, doc.location_of(path, key=True), path)
    if kind == "missing":
        parent, name = path[:-1], str(path[-1])
        where = f" in {dotted(parent)}" if parent else ""
        message = f"missing required field '{name}'{where}"
        return load_rules.MISSING_FIELD.issue(message, doc.location_of(parent), path)
    value = error.get("input")
    message = f"{dotted(path) or 'document'}: {error['msg']}"
    if _is_secret(path):
        # A *_plaintext value is a key: it never appears in any output, even when malformed.
        return load_rules.WRONG_TYPE.issue(message, doc.location_of(path), path)
    if kind == "literal_error":
        message += f", got {_show(value)}"
        expected = _QUOTED.findall(str((error.get("ctx") or {}).get("expected", "")))
        if isinstance(value, str):
            message += _did_you_mean(value, expected)
    elif kind == "string_type" and isinstance(value, int | float) and not isinstance(value, bool):
        written = doc.number_texts.get(path, str(value))
        got = (f"the number {value}" if written == str(value)
               else f"{written}, which YAML reads as the number {value}")
        message += f', got {got}; quote it: "{written}"'
    elif kind == "int_type" and isinstance(value, bool):
        written = doc.number_texts.get(path, str(value).lower())
        message += f", got {written}, which YAML reads as a boolean; write a number"
    elif kind == "bool_type" and isinstance(value, int | float):
        message += f", got the number {doc.number_texts.get(path, value)}; write true or false"
    elif kind.endswith(("_type", "_parsing")):
        message += f", got {_show(value)}"
    return load_rules.WRONG_TYPE.issue(message, doc.location_of(path), path)


def _is_secret(path: FieldPath) -> bool:
    return any(isinstance(part, str) and part.endswith("_plaintext") for part in path)


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (null)"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _describe(label: str) -> str:
    for prefix, words in (
        ("dict", "a mapping"),
        ("list", "a list"),
        ("str", "a string"),
        ("int", "an integer"),
        ("float", "a number"),
        ("bool", "a boolean"),
    ):
        if label.startswith(prefix):
            return words
    return label


def _did_you_mean(name: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def _belongs_in(name: str, models: list[type[BaseModel]]) -> str:
    """ "; it belongs in 'openai_config'" when a child model of ``models`` has the field."""
    for parent in models:
        for field_name, field in parent.model_fields.items():
            for tp in _flatten([field.annotation]):
                if typing.get_origin(tp) is list:
                    tp = typing.get_args(tp)[0]
                if isinstance(tp, type) and issubclass(tp, BaseModel) and name in tp.model_fields:
                    return f"; it belongs in '{field_name}'"
    return ""


def _fields_at(model: type[BaseModel], path: FieldPath) -> list[str]:
    """Field names of the model found at ``path`` under ``model`` (empty if none)."""
    return [name for tp in _models_at(model, path) for name in tp.model_fields]


def _models_at(model: type[BaseModel], path: FieldPath) -> list[type[BaseModel]]:
    """The model class(es) found at ``path`` under ``model`` (empty if none)."""
    current: list[Any] = [model]
    for part in path:
        nxt: list[Any] = []
        for tp in _flatten(current):
            if isinstance(tp, type) and issubclass(tp, BaseModel) and isinstance(part, str):
                field = tp.model_fields.get(part)
                if field is not None:
                    nxt.append(field.annotation)
            elif typing.get_origin(tp) is list and isinstance(part, int):
                nxt.extend(typing.get_args(tp)[:1])
            elif typing.get_origin(tp) is dict and isinstance(part, str):
                nxt.extend(typing.get_args(tp)[1:2])
        current = nxt
    return [tp for tp in _flatten(current) if isinstance(tp, type) and issubclass(tp, BaseModel)]


def _flatten(types_: list[Any]) -> list[Any]:
    out: list[Any] = []
    for tp in types_:
        origin = typing.get_origin(tp)
        if origin is typing.Union or origin is types.UnionType:
            out.extend(_flatten(list(typing.get_args(tp))))
        else:
            out.append(tp)
    return out
