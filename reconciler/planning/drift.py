"""Drift: the changes of a plan made outside the repository, per endpoint. Pure.

A plan labels each change of an existing endpoint with its ``cause``
(reconciler.diff.applied_marks); drift is the ``drift`` ones: fields someone changed in the
workspace that ``apply`` would put back. A repository change waiting to be applied is not
drift; a difference on an endpoint without an applied mark cannot be attributed and is
listed apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.diff.explain import Explanation
from reconciler.planning.plan import NOT_SELECTED, EndpointAction, Plan
from reconciler.planning.service_plan import ServiceAction


@dataclass(frozen=True)
class DriftedField:
    """One field changed outside the repository: its live value and what the manifest says."""

    path: str
    live: Any
    manifest: Any
    facet: str | None
    impact: str


@dataclass(frozen=True)
class DriftedEndpoint:
    name: str
    source: str | None
    fields: tuple[DriftedField, ...]
    # Live-side differences of this endpoint that are not drift (backend defaults,
    # write-only fields), for triage.
    explanations: tuple[Explanation, ...] = ()


@dataclass(frozen=True)
class DriftedService:
    """A Unity AI Gateway service changed outside the repository (docs/unity-gateway.md):
    ``fields`` are its drifted mask paths and the grants of the principals it names."""

    kind: str  # ModelProviderService, ModelService, McpService
    name: str  # catalog.schema.id
    source: str | None
    fields: tuple[DriftedField, ...]

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name}"


@dataclass(frozen=True)
class UnmanagedEndpoint:
    """Settings changed in the workspace in blocks the manifest does not write (apply leaves
    them): ``fields`` are ``unmanaged`` explanations (path and live value)."""

    name: str
    source: str | None
    fields: tuple[Explanation, ...]


@dataclass(frozen=True)
class DriftReport:
    project: str
    target_name: str
    target_host: str | None
    target_local: str | None
    endpoints: tuple[DriftedEndpoint, ...] = ()
    # Endpoints whose differences could not be attributed (no applied mark yet).
    unattributed: tuple[str, ...] = ()
    checked: int = 0
    # Changed outside the repository but not managed by the manifest: reported in their own
    # section; they count for the exit code only with ``drift --fail-on-unmanaged``.
    unmanaged: tuple[UnmanagedEndpoint, ...] = ()
    # Unity AI Gateway services: those that drifted, how many were compared, and those
    # whose differences could not be attributed (no marker of this project yet).
    services: tuple[DriftedService, ...] = ()
    services_checked: int = 0
    unattributed_services: tuple[str, ...] = ()

    @property
    def has_drift(self) -> bool:
        return bool(self.endpoints) or bool(self.services)

    @property
    def has_unmanaged(self) -> bool:
        return bool(self.unmanaged)


def drift_report(plan: Plan) -> DriftReport:
    """The out-of-band changes of a plan, per endpoint (repository changes left out)."""
    drifted: list[DriftedEndpoint] = []
    outside: list[UnmanagedEndpoint] = []
    unattributed: list[str] = []
    checked = 0
    for action in plan.actions:
        if action.reason == NOT_SELECTED or action.action in ("create", "delete"):
            continue
        checked += 1
        fields = tuple(_drifted_fields(action))
        explanations = tuple(x for x in action.explanations if x.kind != "unmanaged")
        if fields:
            drifted.append(DriftedEndpoint(action.name, action.source, fields, explanations))
        found = tuple(x for x in action.explanations if x.kind == "unmanaged")
        if found:
            outside.append(UnmanagedEndpoint(action.name, action.source, found))
        if any(c.cause == "unknown" for c in action.changes):
            unattributed.append(action.name)
    services = [s for s in plan.services if s.action not in ("create", "delete")]
    drifted_services = [d for d in map(_drifted_service, services) if d.fields]
    return DriftReport(
        project=plan.project, target_name=plan.target_name, target_host=plan.target_host,
        target_local=plan.target_local, endpoints=tuple(drifted),
        unattributed=tuple(unattributed), checked=checked, unmanaged=tuple(outside),
        services=tuple(drifted_services), services_checked=len(services),
        unattributed_services=tuple(f"{s.kind} {s.name}" for s in services
                                    if any(c.cause == "unknown" for c in s.changes)),
    )


def _drifted_service(action: ServiceAction) -> DriftedService:
    """The drifted mask paths of a service, and the grants of the principals its manifest
    names where they differ (``grants[principal]``: privileges held and wanted)."""
    fields = [DriftedField(path=c.path, live=c.before, manifest=c.after,
                           facet="grants" if c.path.startswith("grants[") else "service",
                           impact="in-place") for c in action.changes if c.cause == "drift"]
    return DriftedService(action.kind, action.name, action.source, tuple(fields))


def _drifted_fields(action: EndpointAction) -> list[DriftedField]:
    return [
        DriftedField(path=c.path, live=c.old, manifest=c.new, facet=c.facet, impact=c.impact)
        for c in action.changes if c.cause == "drift"
    ]
