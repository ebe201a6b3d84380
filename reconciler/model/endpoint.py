"""The serving-endpoint manifest: the body of ``POST /api/2.0/serving-endpoints``.

Same field names and nesting as the REST API (DESIGN.md section 2), so Databricks' docs and
MLflow ``create_endpoint`` examples paste in unchanged. Manifest-only additions: ``kind``
(default ``ServingEndpoint``), ``tags`` as a plain map, ``permissions`` (the endpoint's
grants, written through the Permissions API, never in the create body) and ``smoke_test``
(the query ``reconciler test`` sends, never sent to the management API).
"""

from __future__ import annotations

from typing import Any, Literal

from reconciler.model.base import Bool, Int, ManifestModel
from reconciler.model.gateway import AiGatewayConfig, LegacyRateLimit
from reconciler.model.permissions import PermissionEntry
from reconciler.model.providers import ExternalModel

WORKLOAD_TYPES: tuple[str, ...] = (
    "CPU",
    "CPU_MEDIUM",
    "CPU_LARGE",
    "GPU_SMALL",
    "GPU_MEDIUM",
    "GPU_LARGE",
    "GPU_XLARGE",
    "GPU_XLARGE_8",
    "MULTIGPU_MEDIUM",
)

# The SDK docstring says ten; users run 15 and Databricks confirmed it (databricks-sdk-py
# issue #1496), and older docstrings said 15: the evidence wins.
MAX_SERVED_ENTITIES = 15


class FoundationModelRef(ManifestModel):
    """Output-only on the wire; accepted so an exported GET body round-trips."""

    name: str | None = None
    display_name: str | None = None
    description: str | None = None
    docs: str | None = None


class ServedCompute(ManifestModel):
    """The compute settings a served entity and a legacy served model share (defined once).

    The two entry kinds below put their own identity fields first and these after, as the
    API lists them: pydantic orders fields by the reversed MRO, so each kind names this class
    first among its bases and its identity class second.
    """

    workload_size: str | None = None
    workload_type: str | None = None
    scale_to_zero_enabled: Bool | None = None
    min_provisioned_concurrency: Int | None = None
    max_provisioned_concurrency: Int | None = None
    min_provisioned_throughput: Int | None = None
    max_provisioned_throughput: Int | None = None
    provisioned_model_units: Int | None = None
    burst_scaling_enabled: Bool | None = None
    environment_vars: dict[str, str] | None = None
    instance_profile_arn: str | None = None


class EntityIdentity(ManifestModel):
    """What a ``served_entities`` entry serves."""

    name: str | None = None
    entity_name: str | None = None
    entity_version: str | None = None
    external_model: ExternalModel | None = None


class ModelIdentity(ManifestModel):
    """What a legacy ``served_models`` entry serves."""

    name: str | None = None
    model_name: str | None = None
    model_version: str | None = None


class ServedEntity(ServedCompute, EntityIdentity):
    """One served entity: an external model, a custom (UC/registry) model, or a foundation model."""


class ServedModel(ServedCompute, ModelIdentity):
    """Legacy ``served_models`` entry (superseded by ``served_entities``)."""


class Route(ManifestModel):
    served_entity_name: str | None = None
    served_model_name: str | None = None
    traffic_percentage: Int | None = None


class TrafficConfig(ManifestModel):
    routes: list[Route] | None = None


class AutoCaptureConfig(ManifestModel):
    """Legacy inference tables (deprecated in favour of AI Gateway inference tables)."""

    catalog_name: str | None = None
    schema_name: str | None = None
    table_name_prefix: str | None = None
    enabled: Bool | None = None


class EndpointCoreConfig(ManifestModel):
    # The Python SDK's EndpointCoreConfigInput always serialises the endpoint name here;
    # accepted so its bodies paste in, and must equal the endpoint's name (ENDPOINT-001).
    name: str | None = None
    served_entities: list[ServedEntity] | None = None
    served_models: list[ServedModel] | None = None
    traffic_config: TrafficConfig | None = None
    auto_capture_config: AutoCaptureConfig | None = None


class EndpointTag(ManifestModel):
    key: str
    value: str | None = None


class EmailNotifications(ManifestModel):
    on_update_success: list[str] | None = None
    on_update_failure: list[str] | None = None


TelemetryFeature = Literal[
    "TELEMETRY_FEATURE_INFERENCE_TABLE",
    "TELEMETRY_FEATURE_LOGS",
    "TELEMETRY_FEATURE_METRICS",
    "TELEMETRY_FEATURE_TRACES",
]


class TelemetryTableNames(ManifestModel):
    """Unity Catalog tables (``catalog.schema.table``) the endpoint's telemetry goes to."""

    logs_table: str | None = None
    metrics_table: str | None = None
    traces_table: str | None = None
    annotations_table: str | None = None


class TelemetryInferenceTableConfig(ManifestModel):
    name: str | None = None  # output: the table the service made
    sampling_fraction: float | None = None


class TelemetryConfig(ManifestModel):
    """Endpoint telemetry (Beta): ``PATCH .../telemetry-config`` after create."""

    telemetry_profile_id: str | None = None
    table_names: TelemetryTableNames | None = None
    enabled_telemetry_features: list[TelemetryFeature] | None = None
    inference_table_config: TelemetryInferenceTableConfig | None = None


class SmokeTest(ManifestModel):
    """The endpoint's own smoke query (``reconciler test``, ``apply --smoke``).

    ``request`` is the JSON body of ``POST /serving-endpoints/{name}/invocations``;
    ``expect`` lists answer keys that must be present, as dotted paths where a number
    indexes a list (``predictions``, ``choices.0.message.content``).
    """

    request: dict[str, Any]
    expect: list[str] | None = None


# Keys of a manifest that are ours, never part of a REST body (nor of the live side).
MANIFEST_ONLY_KEYS: tuple[str, ...] = ("kind", "permissions", "smoke_test")


class ServingEndpoint(ManifestModel):
    """One serving endpoint as the user declares it."""

    kind: Literal["ServingEndpoint"] | None = None
    name: str
    description: str | None = None
    tags: dict[str, str] | list[EndpointTag] | None = None
    config: EndpointCoreConfig | None = None
    ai_gateway: AiGatewayConfig | None = None
    rate_limits: list[LegacyRateLimit] | None = None
    route_optimized: Bool | None = None
    budget_policy_id: str | None = None
    email_notifications: EmailNotifications | None = None
    telemetry_config: TelemetryConfig | None = None
    # Grants (model/permissions.py): their own API, never part of the create body.
    permissions: list[PermissionEntry] | None = None
    smoke_test: SmokeTest | None = None

    def tag_map(self) -> dict[str, str]:
        """Tags as a map, whichever of the two accepted forms the manifest used."""
        if self.tags is None:
            return {}
        if isinstance(self.tags, dict):
            return dict(self.tags)
        return {t.key: t.value or "" for t in self.tags}

    def served_entities(self) -> list[ServedEntity]:
        if self.config is None or self.config.served_entities is None:
            return []
        return list(self.config.served_entities)

    def external_models(self) -> list[ExternalModel]:
        return [e.external_model for e in self.served_entities() if e.external_model is not None]

    def to_wire(self) -> dict[str, Any]:
        """The REST create body: manifest-only keys dropped, tags in the API's list form."""
        body = super().to_wire()
        for key in MANIFEST_ONLY_KEYS:
            body.pop(key, None)
        if self.tags is not None:
            body["tags"] = [{"key": k, "value": v} for k, v in self.tag_map().items()]
        return body
