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


class SetPermissionsStep(_Step):
    """Write the endpoint's direct grants in one request (docs/permissions.md).

    ``replace``: PUT the whole list (the only way to remove or lower a grant); otherwise PATCH
    the listed grants into the existing ones. The endpoint's id, which keys the permissions
    API, is never stored here: apply takes it from the endpoint itself (the create's answer,
    or its re-read just before writing), so the step can only grant on its own endpoint.
    """

    op: Literal["set_permissions"] = "set_permissions"
    facet: Literal["permissions"] = "permissions"
    replace: bool
    access_control_list: list[GrantWrite]

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
