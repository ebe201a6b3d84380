"""Plan steps: the writes apply makes, as typed data (an operation on one named endpoint).

A step says *what* to do to *which* endpoint: ``create``, ``update_config``,
``put_ai_gateway``, ``patch_tags``, ``patch_notifications``, ``set_permissions`` (grants,
docs/permissions.md) or ``delete``, with the body the
operation sends. It never holds a method, a path or a URL: only the registry
(``reconciler.registry.routes``) turns a step into an HTTP request, always relative to the
target's host and always for the step's own endpoint. So a saved plan cannot be edited into
a request to another endpoint's URL or another host (``reconciler.planning.serialize``
refuses a step whose endpoint is not its action's, an unknown operation, and any path or URL
field before anything is sent).

Bodies are the REST bodies of the operation (the wire format of the API reference); the tags
patch is typed field by field because the planner composes it (user tags, the reserved tags).
``*_plaintext`` values stay as the manifest wrote them (a ``${env.NAME}`` reference, resolved
by apply at the last moment); a ``reconciler-secrets`` tag value may be the digest marker
``{"$secrets_digest": {...}}`` that apply replaces.

Adding an operation (a new facet, a new kind of resource): a class here, a member of
``PlanStep``, its route in ``reconciler.registry.routes``, and (for a facet) its row in
``reconciler.diff.facets``; docs/architecture.md has the list.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeAlias, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from reconciler.model.unity import Privilege

StepOp = Literal[
    "create", "update_config", "put_ai_gateway", "patch_tags", "patch_notifications",
    "patch_telemetry_config", "set_permissions", "delete",
]
STEP_OPS: tuple[StepOp, ...] = get_args(StepOp)


class _Step(BaseModel):
    """Frozen and strict: a step read from a plan file is exactly what was written."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    endpoint: str = Field(min_length=1)

    def wire_body(self) -> dict[str, Any] | None:
        """The JSON body the operation sends (None: no body)."""
        body: dict[str, Any] | None = getattr(self, "body", None)
        return body


# Which write route a create or config update takes: the classic one, or the
# provisioned-throughput one (``POST .../serving-endpoints/pt``, ``PUT .../pt/{name}/config``)
# that the SDK and Terraform use for PT endpoints (docs/apply.md "Provisioned throughput").
WriteRoute = Literal["classic", "provisioned_throughput"]


class CreateStep(_Step):
    """Create the endpoint; the body is the full create request (every facet, our tags)."""

    op: Literal["create"] = "create"
    facet: Literal["endpoint"] = "endpoint"
    body: dict[str, Any]
    route: WriteRoute = "classic"


class UpdateConfigStep(_Step):
    """Replace the served entities and traffic: a new config version (rolling)."""

    op: Literal["update_config"] = "update_config"
    facet: Literal["config"] = "config"
    body: dict[str, Any]  # the config (the classic PUT body)
    route: WriteRoute = "classic"

    def wire_body(self) -> dict[str, Any]:
        # The PT route wraps the config: {"config": PtEndpointCoreConfig}.
        return {"config": self.body} if self.route == "provisioned_throughput" else self.body


class PutAiGatewayStep(_Step):
    """Replace the AI Gateway settings (usage tracking, inference tables, limits, guardrails)."""

    op: Literal["put_ai_gateway"] = "put_ai_gateway"
    facet: Literal["ai_gateway"] = "ai_gateway"
    body: dict[str, Any]


class TagWrite(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    # A string, or the secrets digest marker apply resolves (see the module docstring).
    value: str | dict[str, Any]


class PatchTagsStep(_Step):
    """Add or change the tags in ``add_tags`` and remove the keys in ``delete_tags``."""

    op: Literal["patch_tags"] = "patch_tags"
    facet: Literal["tags"] = "tags"
    add_tags: list[TagWrite] = Field(default_factory=list)
    delete_tags: list[str] = Field(default_factory=list)

    def wire_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if self.add_tags:
            body["add_tags"] = [t.model_dump() for t in self.add_tags]
        if self.delete_tags:
            body["delete_tags"] = list(self.delete_tags)
        return body


class PatchNotificationsStep(_Step):
    """Set the endpoint's email notifications."""

    op: Literal["patch_notifications"] = "patch_notifications"
    facet: Literal["notifications"] = "notifications"
    body: dict[str, Any]


class PatchTelemetryConfigStep(_Step):
    """Set the endpoint's telemetry (``{"telemetry_config": {...}}``; omitted = remove)."""

    op: Literal["patch_telemetry_config"] = "patch_telemetry_config"
    facet: Literal["telemetry"] = "telemetry"
    body: dict[str, Any]


class GrantWrite(BaseModel):
    """One access-control request entry: exactly one principal and its level."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    user_name: str | None = None
    group_name: str | None = None
    service_principal_name: str | None = None
    permission_level: Literal["CAN_MANAGE", "CAN_QUERY", "CAN_VIEW"]

    @model_validator(mode="after")
    def _one_principal(self) -> GrantWrite:
        named = [self.user_name, self.group_name, self.service_principal_name]
        if sum(n is not None for n in named) != 1:
            raise ValueError("a grant names exactly one principal")
        return self


class GrantSeen(GrantWrite):
    """A live direct grant as a plan saw it: any level the service reported."""

    permission_level: str  # type: ignore[assignment]  # wider than a write's three levels


class SetPermissionsStep(_Step):
    """Write the endpoint's direct grants in one request (docs/permissions.md).

    ``replace``: PUT the whole list (the only way to remove or lower a grant); otherwise PATCH
    the listed grants into the existing ones. The endpoint's id, which keys the permissions
    API, is never stored here: apply takes it from the endpoint itself (the create's answer,
    or its re-read just before writing), so the step can only grant on its own endpoint.

    ``seen``: for a PUT to an existing endpoint, the direct grants the plan was made against.
    A PUT removes every grant it does not list, so apply reads the grants again before the
    endpoint's first write and refuses the action as stale when they changed: a grant made
    after the plan was reviewed would otherwise be removed without anyone seeing it (a PATCH
    only adds, and a new endpoint's grants are its creator's alone: neither has ``seen``).
    """

    op: Literal["set_permissions"] = "set_permissions"
    facet: Literal["permissions"] = "permissions"
    replace: bool
    access_control_list: list[GrantWrite]
    seen: list[GrantSeen] | None = None

    def wire_body(self) -> dict[str, Any]:
        return {"access_control_list": [g.model_dump(exclude_none=True)
                                        for g in self.access_control_list]}


class DeleteStep(_Step):
    """Delete the endpoint (prune, or the first half of a recreate)."""

    op: Literal["delete"] = "delete"
    facet: Literal["endpoint"] = "endpoint"


PlanStep: TypeAlias = Annotated[
    CreateStep | UpdateConfigStep | PutAiGatewayStep | PatchTagsStep | PatchNotificationsStep
    | PatchTelemetryConfigStep | SetPermissionsStep | DeleteStep,
    Field(discriminator="op"),
]
"""One write of the plan; ``op`` tells which."""

# Which operations each kind of action may hold (a saved plan is checked against this).
OPS_BY_ACTION: dict[str, frozenset[StepOp]] = {
    # A create's grants go to the new endpoint id in the same apply.
    "create": frozenset({"create", "set_permissions"}),
    "recreate": frozenset({"delete", "create", "set_permissions"}),
    "delete": frozenset({"delete"}),
    # Every facet write (a new facet's operation is allowed here without a second list).
    "update": frozenset(STEP_OPS) - {"create", "delete"},
    "no-op": frozenset(),
}


# -- Unity AI Gateway services (planning/service_plan.py, docs/unity-gateway.md) --------------
#
# A second kind of resource beside the endpoints, with its own step union: each step names
# its service (``catalog.schema.id``) and collection and carries the typed members of its
# request (comment, config, update mask, etag, grant changes); only
# ``reconciler.registry.routes.service_route`` turns one into method, path and query under
# the target's host. A saved plan's service steps are checked like the endpoint steps
# (``service_step_problems``) before anything is sent.

ServiceCollection = Literal["model-provider-services", "model-services", "mcp-services"]
ServiceStepOp = Literal["create_service", "update_service", "delete_service", "grant_service"]
SERVICE_STEP_OPS: tuple[ServiceStepOp, ...] = get_args(ServiceStepOp)
SERVICE_NAME_PATTERN = r"^[^./\s]{1,255}\.[^./\s]{1,255}\.[^./\s]{1,255}$"

# The service facet table: per collection, the update-mask paths a plan may write, in the
# order the planner compares and masks them (SDK 0.162's documented paths). ``comment`` and
# ``config.provider`` (the block of the provider type) first; the planner never masks
# ``config`` as a whole, which would clear what it does not send.
SERVICE_MASKS: dict[str, tuple[str, ...]] = {
    "model-provider-services": (
        "comment", "config.provider", "config.allow_all_targets", "config.targets",
        "config.forward_headers", "config.forward_query_parameters",
        "config.forward_unmanaged_paths", "config.rate_limits",
        "config.pricing.default_discount_basis_points", "config.inference_table"),
    "model-services": (
        "comment", "config.routing.destinations", "config.routing.fallback.destinations",
        "config.rate_limits", "config.inference_table"),
    "mcp-services": (
        "comment", "config.source_connection", "config.include_tool_selectors",
        "config.rate_limits"),
}


class _ServiceStep(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    service: str = Field(pattern=SERVICE_NAME_PATTERN)  # catalog.schema.id
    collection: ServiceCollection

    def wire_body(self) -> dict[str, Any] | None:
        return None


class CreateServiceStep(_ServiceStep):
    """Create the service in its schema (parent and id come from ``service``)."""

    op: Literal["create_service"] = "create_service"
    comment: str | None = None
    config: dict[str, Any]

    def wire_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"config": self.config}
        if self.comment is not None:
            body = {"comment": self.comment, **body}
        return body


class UpdateServiceStep(_ServiceStep):
    """One PATCH of the masked paths only, conditional on the etag of the plan's read.
    ``config`` holds exactly the masked ``config.*`` members; ``comment`` is sent when
    masked (None there clears it)."""

    op: Literal["update_service"] = "update_service"
    update_mask: list[str] = Field(min_length=1)
    etag: str = Field(min_length=1)
    comment: str | None = None
    config: dict[str, Any] = Field(default_factory=dict)

    def wire_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if "comment" in self.update_mask:
            body["comment"] = self.comment
        body["config"] = self.config
        return body


class DeleteServiceStep(_ServiceStep):
    """Delete the service (prune), conditional on the etag of the plan's read."""

    op: Literal["delete_service"] = "delete_service"
    etag: str = Field(min_length=1)


class ServiceGrantChange(BaseModel):
    """One principal's privileges to add and remove (Unity Catalog grants ``changes[]``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    principal: str = Field(min_length=1)
    add: list[Privilege] = Field(default_factory=list)
    remove: list[Privilege] = Field(default_factory=list)


class GrantServiceStep(_ServiceStep):
    """Change the grants of the principals the manifest names (others are left alone)."""

    op: Literal["grant_service"] = "grant_service"
    changes: list[ServiceGrantChange] = Field(min_length=1)

    def wire_body(self) -> dict[str, Any]:
        return {"changes": [c.model_dump(exclude_defaults=True) | {"principal": c.principal}
                            for c in self.changes]}


ServiceStep: TypeAlias = Annotated[
    CreateServiceStep | UpdateServiceStep | DeleteServiceStep | GrantServiceStep,
    Field(discriminator="op"),
]
"""One write of a service action; ``op`` tells which."""

SERVICE_OPS_BY_ACTION: dict[str, frozenset[ServiceStepOp]] = {
    "create": frozenset({"create_service", "grant_service"}),
    "update": frozenset({"update_service", "grant_service"}),
    "no-op": frozenset({"grant_service"}),  # grants alone changed
    "delete": frozenset({"delete_service"}),
}
