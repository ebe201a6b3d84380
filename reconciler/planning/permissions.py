"""The permissions facet's part of an endpoint's action: its change lines and its one step.

``reconciler.diff.permissions`` computes the per-principal changes and the write; this module
turns them into plan material for each kind of action. Pure.

* update: the changes against the live direct grants, and one ``set_permissions`` step
  after the endpoint's other facets;
* create: the grants the new endpoint needs beyond its creator's own CAN_MANAGE (the lines
  have impact ``create``), written to the new id right after the create;
* recreate: the lines compare with the old endpoint's grants (what a reviewer cares about:
  nothing is lost), while the step writes every grant the new id needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from reconciler import errors
from reconciler.diff.changes import FieldChange
from reconciler.diff.permissions import Grants, PermissionsWrite, diff_permissions
from reconciler.model.endpoint import ServingEndpoint
from reconciler.model.permissions import Principal
from reconciler.model.steps import GrantSeen, GrantWrite, SetPermissionsStep


@dataclass(frozen=True)
class PermissionsPart:
    changes: list[FieldChange] = field(default_factory=list)
    steps: list[SetPermissionsStep] = field(default_factory=list)


NONE = PermissionsPart()


def _step(name: str, write: PermissionsWrite | None,
          live: Grants | None = None) -> list[SetPermissionsStep]:
    """The one permissions step; ``live``: the grants a PUT to an existing endpoint was
    planned against (apply refuses it when they changed since: ``SetPermissionsStep.seen``)."""
    if write is None:
        return []
    grants = [GrantWrite.model_validate(entry) for entry in write.access_control_list]
    replace = write.method == "PUT"
    seen = None if live is None or not replace else [
        GrantSeen.model_validate(p.entry(level)) for p, level in sorted(live.items())]
    return [SetPermissionsStep(endpoint=name, replace=replace, access_control_list=grants,
                               seen=seen)]


def _live(endpoint: ServingEndpoint, grants: Mapping[str, Grants] | None) -> Grants:
    found = (grants or {}).get(endpoint.name)
    if found is None:
        raise errors.PlanError(
            f"the grants of {endpoint.name!r} were not read: its manifest declares "
            "permissions, so planning needs the endpoint's live grants")
    return found


def for_create(endpoint: ServingEndpoint, caller: Principal | None) -> PermissionsPart:
    if endpoint.permissions is None:
        return NONE
    result = diff_permissions(endpoint.permissions, {}, caller, impact="create")
    return PermissionsPart(result.changes, _step(endpoint.name, result.write))


def for_update(endpoint: ServingEndpoint, grants: Mapping[str, Grants] | None,
               caller: Principal | None) -> PermissionsPart:
    if endpoint.permissions is None:
        return NONE
    live = _live(endpoint, grants)
    result = diff_permissions(endpoint.permissions, live, caller)
    return PermissionsPart(result.changes, _step(endpoint.name, result.write, live))


def for_recreate(endpoint: ServingEndpoint, grants: Mapping[str, Grants] | None,
                 caller: Principal | None) -> PermissionsPart:
    if endpoint.permissions is None:
        return NONE
    shown = diff_permissions(endpoint.permissions, _live(endpoint, grants), caller)
    written = diff_permissions(endpoint.permissions, {}, caller, impact="create")
    return PermissionsPart(shown.changes, _step(endpoint.name, written.write))

