"""Saved plans: ``Plan`` to JSON text and back, for ``plan --out`` and ``apply PLANFILE``.

The text is the documented plan JSON (docs/plan-json.md). Literal ``*_plaintext`` values are
masked on the way out, so a plan file never holds a secret; ``${env.NAME}`` references stay,
because apply resolves them late. A plan whose requests contain a masked value can still be
shown but not applied; ``masked_secret_paths`` finds them so apply can say so.
"""

from __future__ import annotations

import json
from typing import Any

import pydantic

from reconciler import errors
from reconciler.diff.secret_digest import DIGEST_MARKER
from reconciler.planning.plan import SCHEMA_VERSION, Plan
from reconciler.redaction import MASK, is_plaintext_field, redact_data


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """The plan as JSON-ready data, secrets masked (``*_plaintext`` literals)."""
    data: dict[str, Any] = redact_data(plan.model_dump(mode="json"))
    return data


def plan_to_json(plan: Plan) -> str:
    """Stable, indented JSON text of the plan; keys keep the model's order."""
    return json.dumps(plan_to_dict(plan), indent=2, ensure_ascii=False) + "\n"


def plan_from_json(text: str) -> Plan:
    """Read a saved plan; ``errors.PlanError`` when it is not a plan this version can apply."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise errors.PlanError(
            f"not a plan file: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from exc
    if not isinstance(data, dict):
        raise errors.PlanError("not a plan file: expected a JSON object")
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise errors.PlanError(
            f"unsupported plan schema_version {version!r} (this reconciler reads "
            f"{SCHEMA_VERSION}); re-run `reconciler plan --out FILE`"
        )
    try:
        return Plan.model_validate(data)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise errors.PlanError(
            f"invalid plan file: {where}: {first['msg']} ({exc.error_count()} problem(s))"
        ) from exc


def masked_secret_paths(plan: Plan) -> list[str]:
    """``endpoint: request path: field`` of every plaintext value that was masked on save."""
    found: list[str] = []
    for action in plan.actions:
        for request in action.requests:
            for field in _masked_fields(request.body, ""):
                found.append(f"{action.name}: {request.method} {request.path}: {field}")
    return found


def _masked_fields(obj: Any, prefix: str) -> list[str]:
    out: list[str] = []
    if isinstance(obj, dict):
        for key, value in obj.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if key == DIGEST_MARKER:
                continue  # mirrors the plaintext fields of the action, reported there
            if isinstance(key, str) and is_plaintext_field(key) and value == MASK:
                out.append(path)
            else:
                out.extend(_masked_fields(value, path))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            out.extend(_masked_fields(value, f"{prefix}[{i}]"))
    return out
