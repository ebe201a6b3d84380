"""The permissions facet, pure: live grants, one change per principal, and the one write.

Semantics (docs/permissions.md):

* Only **direct** grants are managed. Inherited entries (the workspace ``admins``, anything
  from a parent object) are never written, never removed and never shown as changes.
* When a manifest has ``permissions``, it is authoritative for the direct grants: a live
  grant it does not list is removed, a different level is changed. Without ``permissions``
  nothing here runs (the grants are not managed).
* The identity running the reconciler (SCIM ``Me``, resolved once per run) keeps its
  CAN_MANAGE: unless the manifest names it, it is part of the wanted grants at CAN_MANAGE, so
  no write ever takes the reconciler's own access away behind the user's back. A manifest that
  names it explicitly decides its level, lower ones included.
* One write per endpoint: ``PATCH`` with only the added or raised grants when nothing is
  removed or lowered (it cannot disturb grants made meanwhile by others); otherwise ``PUT`` of
  the whole wanted list, the only call that can remove a grant.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from reconciler.diff.changes import FieldChange
from reconciler.model.permissions import (
    APPLICATION_ID,
    LEVEL_RANK,
    PRINCIPAL_FIELDS,
    PermissionEntry,
    Principal,
    direct_grants,
)
from reconciler.model.steps import GrantWrite

Grants = dict[Principal, str]
"""principal -> permission level."""

CALLER_NOTE = "the identity running the reconciler keeps CAN_MANAGE"
CALLER_LOWERED_NOTE = "the identity running the reconciler: named in the manifest"


class PermissionsShapeError(ValueError):
    """A permissions answer that is not the documented shape (the registry reports it)."""


def live_direct_grants(answer: Mapping[str, Any]) -> Grants:
    """The direct grants of a ``GET .../permissions/serving-endpoints/{id}`` answer.

    A principal with several direct levels (not expected, but the list allows it) counts at
    its highest. Entries whose levels are all inherited are left out.
    """
    acl = answer.get("access_control_list") or []
    if not isinstance(acl, list):
        raise PermissionsShapeError("'access_control_list' is not a list")
    grants: Grants = {}
    for entry in acl:
        if not isinstance(entry, Mapping):
            raise PermissionsShapeError("an access_control_list entry is not an object")
        principal = _principal(entry)
        levels = entry.get("all_permissions") or []
        if not isinstance(levels, list):
            raise PermissionsShapeError("'all_permissions' is not a list")
        for grant in levels:
            if not isinstance(grant, Mapping):
                raise PermissionsShapeError("an all_permissions entry is not an object")
            if grant.get("inherited"):
                continue
            level = grant.get("permission_level")
            if not isinstance(level, str) or principal is None:
                raise PermissionsShapeError("a direct grant without a principal or a level")
            if principal not in grants or LEVEL_RANK.get(level, -1) > LEVEL_RANK.get(
                    grants[principal], -1):
                grants[principal] = level
    return grants


def _principal(entry: Mapping[str, Any]) -> Principal | None:
    for member in PRINCIPAL_FIELDS:
        name = entry.get(member)
        if isinstance(name, str) and name:
            return Principal(member, name)
    return None


def caller_principal(me: Mapping[str, Any]) -> Principal | None:
    """The principal a SCIM ``Me`` answer stands for: a service principal's ``userName`` is
    its application id (a UUID), anyone else's is their user name."""
    name = me.get("userName")
    if not isinstance(name, str) or not name:
        return None
    member: Literal["user_name", "service_principal_name"] = (
        "service_principal_name" if APPLICATION_ID.match(name) else "user_name")
    return Principal(member, name)


def wanted_grants(entries: list[PermissionEntry], caller: Principal | None) -> Grants:
    """The direct grants the manifest wants, the caller's CAN_MANAGE added unless named."""
    wanted: Grants = dict(direct_grants(entries))
    if caller is not None and caller.identity not in {p.identity for p in wanted}:
        wanted[caller] = "CAN_MANAGE"
    return wanted


@dataclass(frozen=True)
class PermissionsWrite:
    """The one request that makes the direct grants what the manifest wants."""

    method: Literal["PUT", "PATCH"]
    access_control_list: list[dict[str, str]]

    def body(self) -> dict[str, Any]:
        return {"access_control_list": [dict(e) for e in self.access_control_list]}


@dataclass(frozen=True)
class PermissionsDiff:
    changes: list[FieldChange]
    write: PermissionsWrite | None


def change_path(principal: Principal) -> str:
    """``permissions[group:data-science]``: one plan line per principal, keyed by it."""
    return f"permissions[{principal.key}]"


def diff_permissions(
    entries: list[PermissionEntry], live: Grants, caller: Principal | None, *,
    impact: Literal["in-place", "create"] = "in-place",
) -> PermissionsDiff:
    """One change per principal whose direct grant differs, and the write that fixes them.

    For an endpoint about to be created (``impact="create"``) ``live`` is ignored: its only
    direct grant will be the one the service gives its creator, the caller, at CAN_MANAGE.
    """
    if impact == "create":
        live = {caller: "CAN_MANAGE"} if caller is not None else {}
    wanted = wanted_grants(entries, caller)
    live_by_identity = {p.identity: (p, level) for p, level in live.items()}
    wanted_ids = {p.identity for p in wanted}
    changes: list[FieldChange] = []
    shrinks = False
    grows: list[dict[str, str]] = []
    named_caller = caller is not None and caller.identity in {
        p.identity for p in direct_grants(entries)}
    for principal, level in sorted(wanted.items()):
        have = live_by_identity.get(principal.identity)
        old = None if have is None else have[1]
        if old == level:
            continue
        if old is not None and LEVEL_RANK.get(level, 0) < LEVEL_RANK.get(old, 0):
            shrinks = True
        else:
            grows.append(principal.entry(level))
        origin = None
        if caller is not None and principal.identity == caller.identity:
            origin = CALLER_LOWERED_NOTE if named_caller else CALLER_NOTE
        changes.append(FieldChange(path=change_path(principal), old=old, new=level,
                                   impact=impact, facet="permissions",
                                   origin=origin))
    for principal, level in sorted(live.items()):
        if principal.identity in wanted_ids:
            continue
        shrinks = True
        changes.append(FieldChange(path=change_path(principal), old=level, new=None,
                                   impact=impact, facet="permissions"))
    changes.sort(key=lambda c: c.path)
    if not changes:
        return PermissionsDiff([], None)
    if shrinks:
        full = [p.entry(level) for p, level in sorted(wanted.items())]
        return PermissionsDiff(changes, PermissionsWrite("PUT", full))
    return PermissionsDiff(changes, PermissionsWrite("PATCH", grows))


def written_grants(entries: list[Any]) -> Grants:
    """The grants of a request's ``access_control_list`` (the body of a PUT or PATCH)."""
    grants: Grants = {}
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        principal = _principal(entry)
        level = entry.get("permission_level")
        if principal is not None and isinstance(level, str):
            grants[principal] = level
    return grants


def lost_grants(body: Mapping[str, Any] | None, answer: Mapping[str, Any],
                fresh: Mapping[str, Any] | None) -> list[str]:
    """What of a permissions write is no longer live when read back, one item per principal.

    Grants are last-writer-wins: another writer's PUT or PATCH between ours and the read-back
    silently replaces ours. The write's answer is the ACL our write left (for a PUT the whole
    wanted list; for a PATCH the merge, so a grant someone made before it stays, as the PATCH
    promises); the read-back ``fresh`` (the ACL GET) must have exactly those direct grants.
    When the answer carries no ACL, the grants sent must at least still be live.
    """
    if fresh is None:
        return ["permissions (not read back)"]
    try:
        live = {p.identity: (p, level) for p, level in live_direct_grants(fresh).items()}
        left = live_direct_grants(answer) if "access_control_list" in answer else None
    except PermissionsShapeError as exc:
        return [f"permissions (the read-back is not a permissions answer: {exc})"]
    # The answer is what our write left (the grants sent included); without one, what we sent.
    wanted = left if left is not None else written_grants(
        list((body or {}).get("access_control_list") or []))
    expected = {p.identity: (p, level) for p, level in wanted.items()}
    lost: list[str] = []
    for identity, (principal, level) in sorted(expected.items()):
        have = live.get(identity)
        if have is None:
            lost.append(f"{change_path(principal)} (removed; this apply left {level})")
        elif have[1] != level:
            lost.append(f"{change_path(principal)} (now {have[1]}; this apply left {level})")
    if left is not None:
        for identity, (principal, level) in sorted(live.items()):
            if identity not in expected:
                lost.append(f"{change_path(principal)} (granted {level} by someone else)")
    return lost


def grants_manifest(grants: Grants) -> list[dict[str, str]]:
    """A manifest's ``permissions:`` list for ``grants`` (export and import), groups first,
    then service principals, then users, each by name."""
    order = {"group_name": 0, "service_principal_name": 1, "user_name": 2}
    return [p.entry(level) for p, level in
            sorted(grants.items(), key=lambda item: (order[item[0].field], item[0].name))]


@dataclass(frozen=True)
class GrantsRead:
    """What a plan read of the permissions facet's live side: who runs it, and the direct
    grants of each endpoint whose manifest declares ``permissions``."""

    caller: Principal | None = None
    grants: Mapping[str, Grants] = field(default_factory=dict)


def grants_moved(planned_on: Sequence[GrantWrite], answer: Mapping[str, Any]) -> list[str]:
    """Each principal whose direct grant in the ACL ``answer`` is not the one in
    ``planned_on`` (the grants a planned PUT was made against: ``SetPermissionsStep.seen``)."""
    entries = [g.model_dump(exclude_none=True) for g in planned_on]
    seen = {p.identity: (p, level) for p, level in written_grants(entries).items()}
    live = {p.identity: (p, level) for p, level in live_direct_grants(answer).items()}
    moved: list[str] = []
    for ident in sorted(set(seen) | set(live)):
        match seen.get(ident), live.get(ident):
            case None, (principal, level):
                moved.append(f"{change_path(principal)} granted {level} since")
            case (principal, level), None:
                moved.append(f"{change_path(principal)} removed since (was {level})")
            case (principal, was), (_, now) if was != now:
                moved.append(f"{change_path(principal)} now {now} (the plan saw {was})")
    return moved
