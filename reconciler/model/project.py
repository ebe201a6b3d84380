"""The project file ``reconciler.yaml``: manifests, targets, variables and policy."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from reconciler.model.base import ManifestModel
from reconciler.model.permissions import PermissionsPolicy
from reconciler.model.vocabulary import PROJECT_ID_PATTERN

VariableValue = str | int | float | bool
PlaintextPolicy = Literal["forbid", "env-only", "allow"]


class Target(ManifestModel):
    """Where plan and apply point: the embedded local registry, or a Databricks workspace.

    ``local`` is a path (relative to the project folder) of the emulator's SQLite file.
    For a workspace, the token comes from ``token_env`` (an environment variable name), a
    ``profile`` in ``~/.databrickscfg``, or ``DATABRICKS_TOKEN``.
    """

    local: str | None = None
    host: str | None = None
    profile: str | None = None
    token_env: str | None = None
    auth: Literal["token", "sdk"] | None = None
    # Requests per second to this workspace, shared by all of a run's concurrent requests
    # (default 15, as Terraform's provider; 0: no limit). --max-rps overrides it.
    max_rps: float | None = Field(
        default=None, ge=0, le=10_000, allow_inf_nan=False,
        description="Requests per second to this target, shared by all concurrent requests "
                    "of a run (default 15 for a workspace, none for a loopback host; 0: no limit).")
    variables: dict[str, VariableValue] = Field(default_factory=dict)


class Policy(ManifestModel):
    """Organisation rules that ``validate`` enforces on every endpoint."""

    allowed_providers: list[str] | None = None
    require_rate_limits: bool = False
    required_tags: list[str] = Field(default_factory=list)
    plaintext_secrets: PlaintextPolicy = "forbid"
    permissions: PermissionsPolicy = Field(default_factory=PermissionsPolicy)


class ProjectFile(ManifestModel):
    project: str
    # Random and stable, written by `reconciler init` (or `migrate-ownership`): recorded next
    # to the project name on everything apply writes, it is what ownership is decided by.
    project_id: str | None = Field(default=None, pattern=PROJECT_ID_PATTERN)
    manifests: list[str] = Field(default_factory=lambda: ["endpoints/"])
    default_target: str | None = None
    variables: dict[str, VariableValue] = Field(default_factory=dict)
    targets: dict[str, Target] = Field(default_factory=dict)
    policy: Policy = Field(default_factory=Policy)
