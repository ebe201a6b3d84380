"""The last step of planning one endpoint: applied marks, drift causes, Databricks' endpoints.

``finish_action`` takes the action ``planner._plan_endpoint`` made for a manifest and

* records the manifest's applied marks (``reconciler.diff.applied_marks``) in what apply
  writes: in the create body's tags, or in the last tags PATCH of an update (a separate
  PATCH at the end when the update writes no tags last), so the marks are only ever written
  once everything before them succeeded; a drift heal, whose marks are already right, writes
  no mark at all;
* sets each change's ``cause`` (``repository``, ``drift`` or ``unknown``) and says in the
  reason when something was changed outside the repository;
* lists, for an endpoint with changes, the live-side differences that are not changes
  (reconciler.diff.explain);
* keeps Databricks-provided endpoints (``databricks-*``) adopt-only: never created, and
  never given a config or notifications write (validation rejects such manifests; this is
  the planner's own guard for callers that skip validation).

Pure, like the rest of planning.
"""

from __future__ import annotations

from typing import Any

from reconciler.diff import applied_marks, normalised
from reconciler.diff.explain import NORMALISED_NOTE, Explanation, explain, unmanaged
from reconciler.diff.facets import FACETS
from reconciler.model.endpoint import ServingEndpoint
from reconciler.model.live import LiveEndpoint
from reconciler.model.steps import CreateStep
from reconciler.model.vocabulary import APPLIED_TAG, is_system_endpoint
from reconciler.planning import reserved_tags
from reconciler.planning.plan import EndpointAction

DRIFT_NOTE = "changed outside the repository"
# Facets apply may write on a Databricks-provided endpoint (the facet table says which).
SYSTEM_FACETS = tuple(spec.name for spec in FACETS if spec.on_system_endpoint)


def finish_action(
    action: EndpointAction, endpoint: ServingEndpoint, live: LiveEndpoint | None
) -> EndpointAction:
    """``action`` with marks, causes and the ``databricks-*`` guard applied (see above)."""
    system = _system_guard(action, live)
    if system is not None:
        return system
    if action.action == "update" and live is not None:
        action = _without_normalised(action, endpoint, live)
    if live is not None and action.action in ("update", "no-op"):
        action = _budget_warning(action, endpoint, live)
    if not action.changes and action.action != "create":
        # Up to date: nothing to write, classify or explain (keeps a large plan cheap), but
        # settings switched on in the workspace outside what the manifest manages are said.
        found = unmanaged(endpoint, live) if live is not None else []
        return action.model_copy(update={"explanations": found}) if found else action
    marks = applied_marks.manifest_marks(endpoint)
    mark = applied_marks.format_marks(marks)
    if action.action in ("create", "recreate"):
        return action.model_copy(update={"steps": [
            reserved_tags.create_with_tag(s, APPLIED_TAG, mark) if isinstance(s, CreateStep)
            else s for s in action.steps]})
    if live is None:
        return action
    update: dict[str, Any] = {"explanations": explain(endpoint, live)}
    changes = applied_marks.classify_changes(action.changes, marks, live)
    update["changes"] = changes
    drifted = applied_marks.drifted_facets(changes)
    if drifted:
        note = f"{DRIFT_NOTE}: {', '.join(drifted)}"
        update["reason"] = f"{action.reason}; {note}" if action.reason else note
    if action.action == "update" and applied_marks.live_mark_value(live) != mark:
        update["steps"] = reserved_tags.with_applied_mark(action.steps, action.name, mark)
    return action.model_copy(update=update)


MISSING_SYSTEM_ENDPOINT = "Databricks-provided endpoint not found in this workspace"


def missing_system_endpoints(actions: list[EndpointAction]) -> list[str]:
    """Names of ``databricks-*`` manifests whose endpoint the workspace does not have."""
    return [a.name for a in actions if a.blocked and a.reason.startswith(MISSING_SYSTEM_ENDPOINT)]


def _budget_warning(
    action: EndpointAction, endpoint: ServingEndpoint, live: LiveEndpoint
) -> EndpointAction:
    """``budget_policy_id`` has no update API (docs/diff.md): a manifest value other than the
    live endpoint's policy is said in the reason, never planned as a change or a recreate."""
    wanted = endpoint.budget_policy_id
    held = live.raw.get("budget_policy_id") or live.raw.get("effective_budget_policy_id")
    if not wanted or not isinstance(held, str) or not held or held == wanted:
        return action
    note = (f"budget_policy_id {wanted!r} is not the endpoint's policy {held!r}: no API "
            "changes it after create; the endpoint keeps its policy until it is recreated "
            "(delete it and apply, or with another recreate-only change and --allow-recreate)")
    return action.model_copy(update={"reason": f"{action.reason}; {note}" if action.reason
                                     else note})


def _without_normalised(
    action: EndpointAction, endpoint: ServingEndpoint, live: LiveEndpoint
) -> EndpointAction:
    """Drop config changes the service is recorded to normalise (reconciler.diff.normalised)."""
    config = [c for c in action.changes if c.facet == "config"]
    if not config or not normalised.is_recorded(live, normalised.config_mark(endpoint), config):
        return action
    notes = [Explanation(path=c.path, kind="normalised", value=c.old, note=NORMALISED_NOTE)
             for c in config]
    changes = [c for c in action.changes if c.facet != "config"]
    update: dict[str, Any] = {
        "changes": changes,
        "facets": [f for f in action.facets if f != "config"],
        "steps": [s for s in action.steps if s.facet != "config"],
        "explanations": [*action.explanations, *notes],
    }
    if not changes:
        update.update(action="no-op", reason="up to date", steps=[], facets=[])
    return action.model_copy(update=update)


def _system_guard(
    action: EndpointAction, live: LiveEndpoint | None
) -> EndpointAction | None:
    """A blocked no-op for what a ``databricks-*`` endpoint cannot take; None when fine."""
    if not is_system_endpoint(action.name):
        return None
    if live is None and action.action == "create":
        return action.model_copy(update={
            "action": "no-op", "blocked": True, "steps": [], "changes": [],
            "reason": f"{MISSING_SYSTEM_ENDPOINT}: it is "
            "never created, only its AI Gateway settings and tags are managed",
        })
    forbidden = [f for f in action.facets if f not in SYSTEM_FACETS]
    if action.action == "update" and forbidden:
        return action.model_copy(update={
            "action": "no-op", "blocked": True, "steps": [], "facets": [],
            "reason": f"Databricks-provided endpoint: its {', '.join(forbidden)} cannot be "
            "managed (only ai_gateway, rate_limits and tags)",
        })
    return None
