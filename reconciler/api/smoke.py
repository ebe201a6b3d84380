"""``reconciler test``: one smoke query per selected endpoint of the manifests.

Per endpoint: one GET (does it exist, is a config active, its task when the manifest has
none, its entities for ``--each-entity``), then one small query (``applying.smoke``). The
report says passed, failed or skipped with the latency, and for a failure the status and
the error message, masked like every output.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from reconciler import errors
from reconciler.api import event_loop
from reconciler.applying.report import SmokeResult
from reconciler.applying.smoke import SmokeReport, SmokeSettings, smoke_endpoint
from reconciler.loading.project import Project
from reconciler.model.endpoint import ServingEndpoint
from reconciler.registry import RegistryClient, open_registry
from reconciler.registry.pacing import for_each

__all__ = ["SmokeSettings", "selected_endpoints", "smoke_test", "smoke_test_with"]


def selected_endpoints(project: Project, select: Sequence[str]) -> list[ServingEndpoint]:
    """The manifests' endpoints, or only those named; a name no manifest declares is an error."""
    endpoints = [e.endpoint for e in project.endpoints]
    if not select:
        return endpoints
    known = {e.name for e in endpoints}
    unknown = [n for n in select if n not in known]
    if unknown:
        raise errors.ReconcilerError(
            f"--select names endpoints that no manifest declares: {', '.join(unknown)}")
    return [e for e in endpoints if e.name in set(select)]


async def smoke_test_with(project: Project, registry: RegistryClient,
                          settings: SmokeSettings) -> SmokeReport:
    started = time.monotonic()
    endpoints = selected_endpoints(project, settings.select)
    results: dict[str, list[SmokeResult]] = {}

    async def one(endpoint: ServingEndpoint) -> None:
        results[endpoint.name] = await smoke_endpoint(registry, endpoint, settings)

    await for_each(endpoints, one, workers=settings.parallelism)
    ordered = [r for e in endpoints for r in results[e.name]]
    return SmokeReport(project=project.file.project, target_name=project.target_name,
                       results=ordered, duration_seconds=round(time.monotonic() - started, 3))


def smoke_test(project: Project, settings: SmokeSettings | None = None) -> SmokeReport:
    """Query every selected endpoint once and report (``reconciler test``)."""
    settings = settings or SmokeSettings()

    async def run() -> SmokeReport:
        async with open_registry(project, parallelism=settings.parallelism) as registry:
            return await smoke_test_with(project, registry, settings)

    return event_loop.run(run)
