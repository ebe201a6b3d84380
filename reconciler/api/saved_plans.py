"""Saved plans (``plan --out``, ``apply PLANFILE``): written, read back and checked, and the
requests they will send.

A saved plan is applied exactly as reviewed (never re-planned), so reading one checks that it
belongs to this project, project id and target (host or local registry), and holds no masked
plaintext secret it could not send; its steps were already checked on parse
(``planning/serialize.py``: a step of another endpoint, an unknown operation, a path or URL
field is refused before any request). ``planned_requests`` lists what apply will send, from
the registry's route table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reconciler import errors
from reconciler.loading.project import Project
from reconciler.planning.plan import Plan
from reconciler.planning.serialize import masked_secret_paths, plan_from_json, plan_to_json
from reconciler.registry import request_line
from reconciler.registry.routes import service_request_line


def save_plan(plan_: Plan, path: Path) -> None:
    """Write the plan JSON (plaintext literals masked; ``${env.NAME}`` references kept)."""
    try:
        path.write_text(plan_to_json(plan_), encoding="utf-8")
    except OSError as exc:
        raise errors.PlanError(f"cannot write the plan to {path}: {exc.strerror}") from exc


def load_saved_plan(path: Path, project: Project) -> Plan:
    """Read a saved plan and check it belongs to this project and target, and is applicable."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise errors.PlanError(f"cannot read the plan file {path}: {exc.strerror}") from exc
    saved = plan_from_json(text)
    if saved.project != project.file.project or saved.target_name != project.target_name:
        raise errors.PlanError(
            f"{path} was made for project {saved.project!r}, target {saved.target_name!r}; "
            f"this is project {project.file.project!r}, target {project.target_name!r}"
        )
    if saved.project_id != project.file.project_id:
        raise errors.PlanError(
            f"{path} was made for project_id {saved.project_id or '(none)'}; this project's "
            f"is {project.file.project_id or '(none)'}: plan again")
    host = project.target.host or None
    local = project.target.local or None
    # target_local is absent from plans saved before it existed: those are checked on host.
    if saved.target_host != host or (saved.target_local is not None and
                                     saved.target_local != local):
        raise errors.PlanError(
            f"{path} was made for {_where(saved.target_host, saved.target_local)}; target "
            f"{project.target_name!r} now points at {_where(host, local)}; run plan again"
        )
    masked = masked_secret_paths(saved)
    if masked:
        raise errors.PlanError(
            f"{path} cannot be applied: it holds masked plaintext secrets ({masked[0]}"
            f"{', ...' if len(masked) > 1 else ''}); pass keys as ${{env.NAME}} references "
            "or secret scopes, or run apply without a saved plan"
        )
    return saved


def planned_requests(plan_: Plan) -> list[tuple[str, str, dict[str, Any] | None]]:
    """``(endpoint, "METHOD URL", body)`` of every request apply will send for ``plan_``, in
    order, from the registry's route table (the one place that turns steps into requests).
    Bodies are as planned (``${env.NAME}`` references not yet resolved)."""
    endpoints = [(action.name, request_line(step, plan_.target_host), step.wire_body())
                 for action in plan_.actions if not action.blocked for step in action.steps]
    # The Unity AI Gateway services' requests come after the endpoints', as apply sends them.
    return endpoints + [
        (f"{service.collection}/{service.name}",
         service_request_line(step, plan_.target_host), step.wire_body())
        for service in plan_.services if not service.blocked for step in service.steps]


def _where(host: str | None, local: str | None) -> str:
    return f"host {host}" if host else f"the local registry {local or '(default)'}"
