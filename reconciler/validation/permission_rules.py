"""Rules on an endpoint's ``permissions:`` list, and the project's ``policy.permissions``.

The entry shape is the Permissions API's request entry (model/permissions.py); a level the
API does not know is already a structure error (STRUCT-003, with a did-you-mean hint).
"""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.model.diagnostics import FieldPath
from reconciler.model.endpoint import ServingEndpoint
from reconciler.model.permissions import (
    APPLICATION_ID,
    KIND_LABELS,
    LEVEL_RANK,
    PermissionEntry,
    Principal,
    direct_grants,
)
from reconciler.model.vocabulary import is_system_endpoint
from reconciler.validation.rules import Finding, Rule, ValidationContext

ADMINS = "admins"


def _entries(ep: ServingEndpoint) -> Iterator[tuple[FieldPath, PermissionEntry]]:
    for index, entry in enumerate(ep.permissions or []):
        yield ("permissions", index), entry


def _check_one_principal(ep: ServingEndpoint, _ctx: ValidationContext) -> Iterator[Finding]:
    for path, entry in _entries(ep):
        named = entry.principals()
        if not named:
            yield path, ("a permissions entry names one principal: user_name, group_name or "
                         "service_principal_name")
        elif len(named) > 1:
            fields = ", ".join(p.field for p in named)
            yield (*path, named[1].field), (
                f"a permissions entry names exactly one principal, this one names {fields}; "
                "write one entry per principal")


def _check_level(ep: ServingEndpoint, _ctx: ValidationContext) -> Iterator[Finding]:
    for path, entry in _entries(ep):
        if entry.permission_level is None and entry.level is None:
            yield path, ("a permissions entry needs permission_level: CAN_VIEW, CAN_QUERY or "
                         "CAN_MANAGE")
        elif entry.permission_level is not None and entry.level is not None:
            yield (*path, "level"), ("give permission_level or level (the bundle spelling), "
                                     "not both")


def _check_unique(ep: ServingEndpoint, _ctx: ValidationContext) -> Iterator[Finding]:
    first: dict[tuple[str, str], int] = {}
    for index, entry in enumerate(ep.permissions or []):
        principal = entry.principal()
        if principal is None:
            continue
        if principal.identity in first:
            yield ("permissions", index, principal.field), (
                f"{principal.key} is already granted in permissions[{first[principal.identity]}]"
                "; a principal has one level (the highest includes the lower ones)")
        else:
            first[principal.identity] = index


def _check_service_principal(ep: ServingEndpoint, _ctx: ValidationContext) -> Iterator[Finding]:
    for path, entry in _entries(ep):
        name = entry.service_principal_name
        if name is not None and not APPLICATION_ID.match(name):
            yield (*path, "service_principal_name"), (
                f"service_principal_name is the service principal's application id (a UUID), "
                f"not its display name; got '{name}'")


def _check_admins(ep: ServingEndpoint, _ctx: ValidationContext) -> Iterator[Finding]:
    for path, entry in _entries(ep):
        if entry.group_name == ADMINS:
            yield (*path, "group_name"), (
                "the admins group holds CAN_MANAGE on every endpoint (inherited from the "
                "workspace); a direct grant to it neither adds nor takes anything away")


def _check_system_endpoint(ep: ServingEndpoint, _ctx: ValidationContext) -> Iterator[Finding]:
    """Databricks provides and owns `databricks-*` endpoints: the project cannot make its
    manifest authoritative for their grants (plan would block the whole endpoint, its
    gateway and tags included), so the list is an error, not a warning that hides that."""
    if ep.permissions is not None and is_system_endpoint(ep.name):
        yield ("permissions",), (
            f"'{ep.name}' is a Databricks-provided endpoint: this project does not own it, so "
            "it cannot manage its grants; remove permissions (such a manifest may set only "
            "ai_gateway, rate_limits and tags)")


# --- policy.permissions --------------------------------------------------------------------

def _check_required(ep: ServingEndpoint, ctx: ValidationContext) -> Iterator[Finding]:
    if not ctx.policy.permissions.required or ep.permissions is not None:
        return
    if is_system_endpoint(ep.name):
        return  # Databricks-provided endpoints: their grants are Databricks'
    yield (), (f"endpoint '{ep.name}' declares no permissions; the project policy "
               "(policy.permissions.required) requires them")


def _check_user_level(ep: ServingEndpoint, ctx: ValidationContext) -> Iterator[Finding]:
    ceiling = ctx.policy.permissions.max_user_level
    if ceiling is None:
        return
    for path, entry in _entries(ep):
        level = entry.effective_level()
        if entry.user_name is None or level is None or LEVEL_RANK[level] <= LEVEL_RANK[ceiling]:
            continue
        field = "permission_level" if entry.permission_level is not None else "level"
        yield (*path, field), (
            f"user {entry.user_name} is granted {level}; the project policy "
            f"(policy.permissions.max_user_level: {ceiling}) allows users at most {ceiling}: "
            "grant it to a group or a service principal instead")


def _describe(principal: Principal, level: str) -> str:
    return f"{KIND_LABELS[principal.field]} {principal.name} (at least {level})"


def _check_required_grants(ep: ServingEndpoint, ctx: ValidationContext) -> Iterator[Finding]:
    required = direct_grants(list(ctx.policy.permissions.required_grants))
    if not required or is_system_endpoint(ep.name):
        return
    declared = {p.identity: level for p, level in direct_grants(ep.permissions or []).items()}
    missing = [
        _describe(principal, level) for principal, level in required.items()
        if LEVEL_RANK.get(declared.get(principal.identity, ""), -1) < LEVEL_RANK[level]
    ]
    if missing:
        path: FieldPath = ("permissions",) if ep.permissions is not None else ()
        yield path, (f"missing grant{'s' if len(missing) > 1 else ''} required by the project "
                     f"policy (policy.permissions.required_grants): {', '.join(missing)}")


PERMISSION_RULES: tuple[Rule, ...] = (
    Rule(
        "PERMISSION-001",
        "A `permissions` entry names exactly one of `user_name`, `group_name`, "
        "`service_principal_name`.",
        "endpoint",
        check=_check_one_principal,
    ),
    Rule(
        "PERMISSION-002",
        "A `permissions` entry has a level: `permission_level` (or the bundle spelling "
        "`level`), not both.",
        "endpoint",
        check=_check_level,
    ),
    Rule(
        "PERMISSION-003",
        "No principal is granted twice on one endpoint (user names ignore case).",
        "endpoint",
        check=_check_unique,
    ),
    Rule(
        "PERMISSION-004",
        "`service_principal_name` is the application id (a UUID), not a display name.",
        "endpoint",
        check=_check_service_principal,
    ),
    Rule(
        "PERMISSION-005",
        "A grant to the `admins` group changes nothing (they inherit CAN_MANAGE everywhere).",
        "endpoint",
        severity="warning",
        check=_check_admins,
    ),
    Rule(
        "PERMISSION-006",
        "A Databricks-provided endpoint (`databricks-*`) has no `permissions`: the project "
        "does not own it, so its grants are not the manifest's to manage.",
        "endpoint",
        check=_check_system_endpoint,
    ),
)

PERMISSION_POLICY_RULES: tuple[Rule, ...] = (
    Rule(
        "POLICY-005",
        "With `policy.permissions.required`, every endpoint declares `permissions` "
        "(Databricks-provided `databricks-*` endpoints excepted).",
        "policy",
        check=_check_required,
    ),
    Rule(
        "POLICY-006",
        "No user is granted more than `policy.permissions.max_user_level` (`CAN_QUERY` "
        "forbids CAN_MANAGE for individual users).",
        "policy",
        check=_check_user_level,
    ),
    Rule(
        "POLICY-007",
        "Every endpoint grants each of `policy.permissions.required_grants` at least its "
        "level.",
        "policy",
        check=_check_required_grants,
    ),
)
