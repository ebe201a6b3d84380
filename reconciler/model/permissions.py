"""Who may view, query and manage an endpoint: the manifest's ``permissions:`` list.

Each entry has the shape of an access-control request entry of the Permissions API
(``PUT /api/2.0/permissions/serving-endpoints/{id}``): exactly one of ``user_name``,
``group_name``, ``service_principal_name`` (the service principal's application id) and a
``permission_level``. ``level`` is accepted for ``permission_level`` so a Databricks Asset
Bundle's ``permissions:`` block pastes in unchanged. The list is never part of the create
body: grants are their own API, keyed by the endpoint's id.

Principals are compared as the service does: a user by their user name without regard to
case (it is an e-mail address), groups and service principals exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field, model_validator

from reconciler.model.base import ManifestModel

PermissionLevel = Literal["CAN_MANAGE", "CAN_QUERY", "CAN_VIEW"]
LEVELS: tuple[PermissionLevel, ...] = ("CAN_VIEW", "CAN_QUERY", "CAN_MANAGE")
"""Lowest first: each level includes the ones before it."""
LEVEL_RANK: dict[str, int] = {level: rank for rank, level in enumerate(LEVELS)}

APPLICATION_ID = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
"""A service principal's application id (what ``service_principal_name`` holds)."""

PrincipalField = Literal["user_name", "group_name", "service_principal_name"]
PRINCIPAL_FIELDS: tuple[PrincipalField, ...] = ("user_name", "group_name",
                                               "service_principal_name")
KIND_LABELS: dict[PrincipalField, str] = {
    "user_name": "user", "group_name": "group", "service_principal_name": "service_principal",
}


@dataclass(frozen=True, order=True)
class Principal:
    """One user, group or service principal; ``key`` is how plans name it."""

    field: PrincipalField
    name: str

    @property
    def identity(self) -> tuple[str, str]:
        """What two spellings of one principal share (user names ignore case)."""
        return self.field, self.name.lower() if self.field == "user_name" else self.name

    @property
    def key(self) -> str:
        """``group:data-science``, ``user:alice@example.com``, ``service_principal:<uuid>``."""
        return f"{KIND_LABELS[self.field]}:{self.name}"

    def entry(self, level: str) -> dict[str, str]:
        """The request entry granting ``level`` to this principal."""
        return {self.field: self.name, "permission_level": level}


class PermissionEntry(ManifestModel):
    """One grant, as the Permissions API's request entry (or a bundle's, with ``level``)."""

    user_name: str | None = None
    group_name: str | None = None
    service_principal_name: str | None = None
    permission_level: PermissionLevel | None = None
    level: PermissionLevel | None = None

    def principals(self) -> list[Principal]:
        """Every principal the entry names (validation requires exactly one)."""
        return [Principal(f, str(getattr(self, f))) for f in PRINCIPAL_FIELDS
                if getattr(self, f) is not None]

    def principal(self) -> Principal | None:
        found = self.principals()
        return found[0] if len(found) == 1 else None

    def effective_level(self) -> PermissionLevel | None:
        return self.permission_level or self.level

    def to_wire(self) -> dict[str, Any]:
        """The request entry: ``level`` written as ``permission_level``."""
        body = super().to_wire()
        if "level" in body:
            body["permission_level"] = body.pop("level")
        return body


def direct_grants(entries: list[PermissionEntry]) -> dict[Principal, PermissionLevel]:
    """The grants a validated list declares, one per principal (the first wins)."""
    grants: dict[Principal, PermissionLevel] = {}
    seen: set[tuple[str, str]] = set()
    for entry in entries:
        principal = entry.principal()
        level = entry.effective_level()
        if principal is None or level is None or principal.identity in seen:
            continue
        seen.add(principal.identity)
        grants[principal] = level
    return grants


class RequiredGrant(PermissionEntry):
    """A grant ``policy.permissions.required_grants`` demands of every endpoint."""

    @model_validator(mode="after")
    def _one_principal_and_a_level(self) -> RequiredGrant:
        if len(self.principals()) != 1:
            raise ValueError("name exactly one of user_name, group_name or "
                             "service_principal_name")
        if self.effective_level() is None:
            raise ValueError("give permission_level (CAN_VIEW, CAN_QUERY or CAN_MANAGE)")
        return self


class PermissionsPolicy(ManifestModel):
    """``policy.permissions``: organisation rules on the grants of every endpoint.

    ``required``: every endpoint declares ``permissions`` (so none is left to hand-made
    grants). ``max_user_level``: the highest level an individual user may be granted
    (``CAN_QUERY`` forbids CAN_MANAGE for users: management goes through groups or service
    principals). ``required_grants``: principals every endpoint must grant at least the given
    level, e.g. the platform team's group with CAN_MANAGE.
    """

    required: bool = False
    max_user_level: PermissionLevel | None = None
    required_grants: list[RequiredGrant] = Field(default_factory=list)
