"""Plan's preflight for workspaces that enforce Unity Gateway.

With the "Enforce Unity Gateway" setting on, a workspace refuses to create or reconfigure
serving endpoints with external models. Plan reads the setting once (read-only; the path is
inferred, see ``emulator.unity_setting``); a workspace that does not answer it (404, 403,
400) is taken as not enforcing, so the preflight never stops a plan by itself. When it is
enforced, every create, recreate or config update of an external-model endpoint is marked
blocked with a reason that points to ``reconciler migrate``.
"""

from __future__ import annotations

from typing import Any

from reconciler import errors
from reconciler.loading.project import Project
from reconciler.planning.plan import EndpointAction, Plan
from reconciler.registry.client import RegistryClient

SETTING_PATH = "/api/2.0/settings/types/enforce_unity_gateway/names/default"
ADVICE = ("this workspace enforces Unity Gateway, which refuses external-model serving "
          "endpoints; move them to model services with `reconciler migrate --catalog C "
          "--schema S` (docs/migrate.md)")


async def enforced(registry: RegistryClient) -> bool:
    try:
        body = await registry.call("GET", SETTING_PATH)
    except (errors.RegistryNotFound, errors.RegistryAuthError, errors.RegistryRejected):
        return False
    value: Any = (body.get("enforce_unity_gateway") or {}).get("value")
    return value is True


def _writes_external(action: EndpointAction, external: set[str]) -> bool:
    if action.name not in external or action.blocked:
        return False
    return action.action in ("create", "recreate") or (
        action.action == "update" and "config" in action.facets)


async def check(registry: RegistryClient, project: Project, plan: Plan) -> Plan:
    external = {e.endpoint.name for e in project.endpoints if e.endpoint.external_models()}
    if not any(_writes_external(a, external) for a in plan.actions):
        return plan
    if not await enforced(registry):
        return plan
    actions = [a.model_copy(update={"action": "no-op", "blocked": True, "reason": ADVICE,
                                    "steps": []})
               if _writes_external(a, external) else a for a in plan.actions]
    return plan.model_copy(update={"actions": actions})
