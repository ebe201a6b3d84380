"""Apply the Unity AI Gateway actions of a plan (``planning.service_plan``), in plan order:
provider services before the model services that reference them, deletes in reverse.

Each update is one PATCH with the planned mask and the etag of the read the plan came from;
a 409 for that etag means the service changed since: a stale-plan failure, never retried
(the next plan reads it again). A failure stops the services that come after it in the
same kind order only when they may depend on it: a model service is skipped when a
provider service it references failed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from reconciler import errors
from reconciler.applying.report import EndpointOutcome
from reconciler.model.live import Owner, as_owner
from reconciler.model.steps import DeleteServiceStep
from reconciler.planning.service_plan import ServiceAction, marker, owner_of
from reconciler.registry import unity_client
from reconciler.registry.client import RegistryClient
from reconciler.registry.routes import UC_API, service_route
from reconciler.registry.unity_client import StaleEtag

ResolveBody = Callable[[dict[str, Any]], dict[str, Any]]


def _references(action: ServiceAction) -> set[str]:
    config = (action.body or {}).get("config") or {}
    routing = config.get("routing") or {}
    refs = set()
    for dest in (routing.get("destinations") or []) + \
            ((routing.get("fallback") or {}).get("destinations") or []):
        ext = dest.get("external_model_config") or {}
        if ext.get("model_provider_service"):
            refs.add(str(ext["model_provider_service"]).removeprefix("model-provider-services/"))
    return refs


class NotOurs(errors.RegistryConflict):
    """The service to delete is not this project's."""


async def _run(registry: RegistryClient, action: ServiceAction, resolve: ResolveBody,
               sent: list[str], owner: Owner) -> None:
    """Send the action's steps in order; each request comes from the route table."""
    for step in action.steps:
        if isinstance(step, DeleteServiceStep):
            # A saved plan may have been edited: delete only what still carries our marker.
            current = await unity_client.get_service(registry, step.collection, step.service)
            if current is not None and owner_of(current).ownership(owner) != "ours":
                raise NotOurs(f"{step.collection}/{step.service} does not carry this "
                              f"project's marker ({marker(owner, None)}); not deleted")
        body = step.wire_body()
        method, path = service_route(step)
        sent.append(f"{method} {path.split('?')[0].removeprefix(UC_API + '/')}")
        await unity_client.write_service(registry, step, resolve(body) if body else None)


async def apply_services(registry: RegistryClient, actions: list[ServiceAction],
                         resolve: ResolveBody, owner: Owner | str) -> list[EndpointOutcome]:
    outcomes: list[EndpointOutcome] = []
    failed_providers: set[str] = set()
    for action in actions:
        label = f"{action.collection}/{action.name}"
        if not action.has_changes:
            continue
        if action.blocked:
            outcomes.append(EndpointOutcome(name=label, action=action.action, status="skipped",
                                            note=action.reason))
            continue
        broken = _references(action) & failed_providers
        if broken:
            outcomes.append(EndpointOutcome(
                name=label, action=action.action, status="skipped",
                note=f"provider service {sorted(broken)[0]} failed"))
            continue
        sent: list[str] = []
        started = time.monotonic()
        try:
            await _run(registry, action, resolve, sent, as_owner(owner))
        except NotOurs as exc:
            outcomes.append(EndpointOutcome(
                name=label, action=action.action, status="failed", requests=sent,
                error=str(exc), failure="not-ours"))
        except StaleEtag as exc:
            outcomes.append(EndpointOutcome(
                name=label, action=action.action, status="failed", requests=sent,
                error=str(exc), failure="stale-plan"))
        except errors.RegistryError as exc:
            if action.kind == "ModelProviderService":
                failed_providers.add(action.name)
            outcomes.append(EndpointOutcome(
                name=label, action=action.action, status="failed", requests=sent,
                error=str(exc), failure="registry"))
        else:
            outcomes.append(EndpointOutcome(
                name=label, action=action.action, status="done", requests=sent,
                waited_seconds=round(time.monotonic() - started, 3)))
        if outcomes[-1].status == "failed" and action.kind == "ModelProviderService":
            failed_providers.add(action.name)
    return outcomes
