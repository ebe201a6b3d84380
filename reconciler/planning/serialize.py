"""Saved plans: ``Plan`` to JSON text and back, for ``plan --out`` and ``apply PLANFILE``.

The text is the documented plan JSON (docs/plan-json.md). Literal ``*_plaintext`` values are
masked on the way out, so a plan file never holds a secret; ``${env.NAME}`` references stay,
because apply resolves them late. A plan whose requests contain a masked value can still be
shown but not applied; ``masked_secret_paths`` finds them so apply can say so.

Reading a plan back checks its steps before anything can be sent (``step_problems``): a
step must name its own action's endpoint, use an operation known for that kind of action
and carry no path, URL, method or host field (only the registry makes requests from steps).
An edited plan file is refused with the step named, not applied as written.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pydantic

from reconciler import errors
from reconciler.diff.secret_digest import DIGEST_MARKER
from reconciler.model.steps import (
    OPS_BY_ACTION,
    SERVICE_MASKS,
    SERVICE_OPS_BY_ACTION,
    SERVICE_STEP_OPS,
    STEP_OPS,
    CreateStep,
    UpdateServiceStep,
)
from reconciler.model.unity import PROVIDER_BLOCKS
from reconciler.planning.plan import SCHEMA_VERSION, Plan
from reconciler.planning.service_plan import ServiceAction
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
    if isinstance(version, int) and not isinstance(version, bool) and version < SCHEMA_VERSION:
        raise errors.PlanError(
            f"this plan file has schema_version {version}, written by an older reconciler "
            f"(it held raw HTTP requests); this reconciler applies schema_version "
            f"{SCHEMA_VERSION} only: plan again (`reconciler plan --out FILE`) and apply the "
            "new file"
        )
    if version != SCHEMA_VERSION:
        raise errors.PlanError(
            f"unsupported plan schema_version {version!r} (this reconciler reads "
            f"{SCHEMA_VERSION}); re-run `reconciler plan --out FILE`"
        )
    raw_problems = _raw_step_problems(data.get("actions")) + _raw_step_problems(
        data.get("services"), SERVICE_STEP_OPS, "service")
    if raw_problems:
        raise _refused(raw_problems)
    try:
        plan = Plan.model_validate(data)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise errors.PlanError(
            f"invalid plan file: {where}: {first['msg']} ({exc.error_count()} problem(s))"
        ) from exc
    problems = step_problems(plan)
    if problems:
        raise _refused(problems)
    return plan


# Fields a step never has: the request is derived by the registry, never read from the file.
_REQUEST_FIELDS = frozenset({"path", "url", "uri", "method", "host", "href", "base_url"})


def _refused(problems: list[str]) -> errors.PlanError:
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return errors.PlanError(
        f"refusing the plan file: {problems[0]}{more}; nothing was sent. A plan is only "
        "applied as `reconciler plan` wrote it: plan again")


def _raw_step_problems(actions: Any, ops: tuple[str, ...] = STEP_OPS,
                       label: str = "action") -> list[str]:
    """Request-like fields and unknown operations, found before the models read the file
    (``actions``: the endpoint actions, or with ``ops`` and ``label`` the service actions)."""
    problems: list[str] = []
    for index, action in enumerate(actions if isinstance(actions, list) else []):
        if not isinstance(action, dict):
            continue
        name = action.get("name")
        steps = action.get("steps")
        for number, step in enumerate(steps if isinstance(steps, list) else [], start=1):
            where = f"{label} {index + 1} ({name!r}) step {number}"
            if not isinstance(step, dict):
                problems.append(f"{where}: not an object")
                continue
            for key in sorted(set(step) & _REQUEST_FIELDS):
                problems.append(f"{where}: field {key!r} is not allowed (a step names its "
                                "endpoint and operation; only the registry makes the request)")
            if step.get("op") not in ops:
                problems.append(f"{where}: unknown operation {step.get('op')!r} (known: "
                                f"{', '.join(ops)})")
    return problems


def step_problems(plan: Plan) -> list[str]:
    """Steps that do not belong to their action: another endpoint, an operation the action
    kind never has (a delete inside an update), a create body for another name; and the
    same for the Unity AI Gateway services' steps (``service_step_problems``)."""
    problems: list[str] = []
    for index, action in enumerate(plan.actions):
        allowed = OPS_BY_ACTION[action.action]
        for number, step in enumerate(action.steps, start=1):
            where = f"action {index + 1} ({action.name!r}) step {number} ({step.op})"
            if step.endpoint != action.name:
                problems.append(f"{where}: names endpoint {step.endpoint!r}, not the action's "
                                f"{action.name!r}")
            if step.op not in allowed:
                problems.append(f"{where}: a {action.action} action does not {step.op}")
            if isinstance(step, CreateStep) and step.body.get("name") != action.name:
                problems.append(f"{where}: the create body names {step.body.get('name')!r}")
    return problems + service_step_problems(plan.services)


def masked_secret_paths(plan: Plan) -> list[str]:
    """``endpoint: step N (op): field`` of every plaintext value that was masked on save."""
    found: list[str] = []
    for action in plan.actions:
        for number, step in enumerate(action.steps, start=1):
            for field in _masked_fields(step.wire_body(), ""):
                found.append(f"{action.name}: step {number} ({step.op}): {field}")
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


def _config_keys_of(mask: Sequence[str]) -> set[str]:
    """The ``config`` members an update with ``mask`` may carry."""
    keys = {p.split(".")[1] for p in mask if p.startswith("config.") and p != "config.provider"}
    if "config.provider" in mask:
        keys |= {"provider_type", *PROVIDER_BLOCKS.values()}
    return keys


def service_step_problems(actions: Sequence[ServiceAction]) -> list[str]:
    """Service steps that do not belong to their action (a saved plan edited by hand): another
    service or collection, an operation the action kind never has, a mask path the planner
    never writes, a config member outside the mask, steps on a blocked action."""
    problems: list[str] = []
    for index, action in enumerate(actions):
        allowed = SERVICE_OPS_BY_ACTION[action.action]
        for number, step in enumerate(action.steps, start=1):
            where = f"service {index + 1} ({action.name!r}) step {number} ({step.op})"
            if step.service != action.name or step.collection != action.collection:
                problems.append(f"{where}: names {step.collection}/{step.service}, not the "
                                f"action's {action.collection}/{action.name}")
            if action.blocked:
                problems.append(f"{where}: a blocked action sends nothing")
            elif step.op not in allowed:
                problems.append(f"{where}: a {action.action} action does not {step.op}")
            if isinstance(step, UpdateServiceStep):
                unknown = [p for p in step.update_mask
                           if p not in SERVICE_MASKS.get(step.collection, ())]
                if unknown:
                    problems.append(f"{where}: update_mask path {unknown[0]!r} is not one "
                                    f"this reconciler writes for {step.collection}")
                extra = sorted(set(step.config) - _config_keys_of(step.update_mask))
                if extra:
                    problems.append(f"{where}: config.{extra[0]} is not covered by the "
                                    "update_mask")
                if step.comment is not None and "comment" not in step.update_mask:
                    problems.append(f"{where}: a comment outside the update_mask")
    return problems
