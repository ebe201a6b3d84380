"""``reconciler test``: one smoke query per selected endpoint and model service of the
manifests (Unity AI Gateway model services: ``applying.service_smoke``).

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
from reconciler.applying.service_smoke import smoke_model_service
from reconciler.applying.smoke import SmokeReport, SmokeSettings, smoke_endpoint
from reconciler.loading.project import Project
from reconciler.model.endpoint import ServingEndpoint
from reconciler.model.unity import ModelService
from reconciler.registry import RegistryClient, open_registry
from reconciler.registry.pacing import for_each

__all__ = ["SmokeSettings", "selected_endpoints", "selected_model_services", "smoke_test",
           "smoke_test_with"]


def _model_services(project: Project) -> list[ModelService]:
    return [s.securable for s in project.securables if isinstance(s.securable, ModelService)]


def _check_selection(project: Project, select: Sequence[str]) -> None:
    services = {s.name for s in _model_services(project)}
    known = {e.endpoint.name for e in project.endpoints} | services
    unknown = [n for n in select if n not in known]
    if unknown:
        what = "endpoints or model services" if services else "endpoints"
        raise errors.ReconcilerError(
            f"--select names {what} that no manifest declares: {', '.join(unknown)}")


def selected_endpoints(project: Project, select: Sequence[str]) -> list[ServingEndpoint]:
    """The manifests' endpoints, or only those named; a name no manifest declares is an error."""
    _check_selection(project, select)
    endpoints = [e.endpoint for e in project.endpoints]
    return [e for e in endpoints if not select or e.name in set(select)]


def selected_model_services(project: Project, select: Sequence[str]) -> list[ModelService]:
    """The manifests' model services (``catalog.schema.id``), or only those named."""
    _check_selection(project, select)
    return [s for s in _model_services(project) if not select or s.name in set(select)]


async def smoke_test_with(project: Project, registry: RegistryClient,
                          settings: SmokeSettings) -> SmokeReport:
    started = time.monotonic()
    endpoints = selected_endpoints(project, settings.select)
    services = selected_model_services(project, settings.select)
    results: dict[str, list[SmokeResult]] = {}

    async def one(endpoint: ServingEndpoint) -> None:
        results[endpoint.name] = await smoke_endpoint(registry, endpoint, settings)

    async def service(model_service: ModelService) -> None:
        results[model_service.name] = [
            await smoke_model_service(registry, model_service, settings)]

    await for_each(endpoints, one, workers=settings.parallelism)
    await for_each(services, service, workers=settings.parallelism)
    # Endpoints first, then the model services (their names hold dots, endpoints' never).
    ordered = [r for e in endpoints for r in results[e.name]] + [
        r for s in services for r in results[s.name]]
    return SmokeReport(project=project.file.project, target_name=project.target_name,
                       results=ordered, duration_seconds=round(time.monotonic() - started, 3))


def smoke_test(project: Project, settings: SmokeSettings | None = None) -> SmokeReport:
    """Query every selected endpoint and model service once and report (``reconciler test``)."""
    settings = settings or SmokeSettings()

    async def run() -> SmokeReport:
        async with open_registry(project, parallelism=settings.parallelism) as registry:
            return await smoke_test_with(project, registry, settings)

    return event_loop.run(run, project.secrets)
