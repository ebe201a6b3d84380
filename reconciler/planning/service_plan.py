"""Planning of the Unity AI Gateway securables (model provider services, model services):
manifests + live JSON -> one ``ServiceAction`` each, as pure, serialisable data.

- create: ``POST .../{kind}?parent=schemas/c.s&{kind}_id=id`` with ``comment`` and ``config``;
- update: one ``PATCH ...?update_mask=&etag=`` with the smallest mask that covers the change
  (granular paths, never ``config`` as a whole) and the etag of the read the plan came from;
- delete: only with prune, only services carrying this project's ownership marker (with its
  project id: the same name with another id, or none, is never deleted);
- grants: ``PATCH permissions/...`` for the principals the manifest names.

These securables carry no tags, so ownership (project name and id) and the digest of plaintext
secrets live in a marker at the end of ``comment`` (docs/unity-gateway.md); whose a marker
makes a service is decided as for endpoints (``model.live.ownership``, docs/ownership.md).
Pure: no I/O, no clock.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from pydantic import Field

from reconciler import errors
from reconciler.diff.changes import PlanModel
from reconciler.diff.service_fields import (
    align,
    get_path,
    normal_destinations,
    put_path,
    strip_output,
)
from reconciler.model.live import Owner, Ownership, as_owner, ownership, prune_refusal
from reconciler.model.steps import (
    SERVICE_MASKS,
    CreateServiceStep,
    DeleteServiceStep,
    GrantServiceStep,
    ServiceGrantChange,
    ServiceStep,
    UpdateServiceStep,
)
from reconciler.model.unity import (
    PROVIDER_BLOCKS,
    McpService,
    ModelProviderService,
    UnitySecurable,
)

ServiceKind = Literal["ModelProviderService", "ModelService", "McpService"]
ServiceActionKind = Literal["create", "update", "delete", "no-op"]
COLLECTIONS: dict[str, str] = {"ModelProviderService": "model-provider-services",
                               "ModelService": "model-services",
                               "McpService": "mcp-services"}
KIND_OF: dict[str, ServiceKind] = {"model-provider-services": "ModelProviderService",
                                   "model-services": "ModelService",
                                   "mcp-services": "McpService"}
MARKER = re.compile(r"(?:\n\n)?\[managed by serving-reconciler: project=([^;\]\s]+)"
                    r"(?:; id=([a-z0-9-]+))?(?:; secrets=([0-9a-f.]+))?\]$")
# The config paths compared one by one, from the service facet table (model/steps.py);
# ``comment`` and ``config.provider`` are compared apart.
_OWN = ("comment", "config.provider")
MODEL_SERVICE_PATHS = tuple(p for p in SERVICE_MASKS["model-services"] if p not in _OWN)
MCP_PATHS = tuple(p for p in SERVICE_MASKS["mcp-services"] if p not in _OWN)
PROVIDER_PATHS = tuple(p for p in SERVICE_MASKS["model-provider-services"] if p not in _OWN)
SENSITIVE = "(sensitive)"


ServiceCause = Literal["repository", "drift", "unknown"]


class ServiceChange(PlanModel):
    path: str
    before: Any = None
    after: Any = None
    # Which side moved (an existing service only; ``attribute``): ``repository`` (the last
    # write was this reconciler's identity, or the environment's key changed), ``drift``
    # (someone else wrote it last), ``unknown`` (no marker of this project, or no identity).
    cause: ServiceCause | None = None


class ServiceAction(PlanModel):
    """What apply does to one service: its typed ``steps`` (model/steps.py), of which only
    the registry makes requests; ``changes`` are for people."""

    kind: ServiceKind
    name: str  # catalog.schema.id
    action: ServiceActionKind
    reason: str = ""
    changes: list[ServiceChange] = Field(default_factory=list)
    steps: list[ServiceStep] = Field(default_factory=list)
    blocked: bool = False
    source: str | None = None

    @property
    def collection(self) -> str:
        return COLLECTIONS[self.kind]

    @property
    def has_changes(self) -> bool:
        return self.action != "no-op" or bool(self.steps) or self.blocked

    @property
    def mask(self) -> list[str]:
        """The update mask of the action's PATCH (empty when it sends none)."""
        return next((list(s.update_mask) for s in self.steps
                     if isinstance(s, UpdateServiceStep)), [])

    @property
    def body(self) -> dict[str, Any] | None:
        """The body of the create or update request, as planned."""
        return next((s.wire_body() for s in self.steps
                     if isinstance(s, CreateServiceStep | UpdateServiceStep)), None)

    @property
    def etag(self) -> str | None:
        """The etag of the read the update or delete is conditional on."""
        return next((s.etag for s in self.steps
                     if isinstance(s, UpdateServiceStep | DeleteServiceStep)), None)

    @property
    def grant_changes(self) -> list[dict[str, Any]]:
        return [c.model_dump(exclude_defaults=True) | {"principal": c.principal}
                for s in self.steps if isinstance(s, GrantServiceStep) for c in s.changes]


@dataclass(frozen=True)
class DesiredService:
    securable: UnitySecurable
    source: str | None = None
    secrets_digest: str | None = None  # of the resolved plaintext values (api layer)


@dataclass(frozen=True)
class LiveService:
    body: dict[str, Any]
    grants: dict[str, list[str]] | None = None


def marker(owner: Owner | str, digest: str | None) -> str:
    owner = as_owner(owner)
    ident = f"; id={owner.project_id}" if owner.project_id else ""
    secrets = f"; secrets={digest}" if digest else ""
    return f"[managed by serving-reconciler: project={owner.project}{ident}{secrets}]"


class Marker(NamedTuple):
    """What a live service's comment marker records (None: not recorded)."""

    project: str | None
    secrets: str | None
    project_id: str | None = None

    def ownership(self, owner: Owner) -> Ownership:
        return ownership(self.project, self.project_id, owner.project, owner.project_id)

    def text(self) -> str:
        return f"project {self.project!r}" + (f", id {self.project_id}"
                                               if self.project_id else "")


def owner_of(live: Mapping[str, Any]) -> Marker:
    """(project, secrets digest, project id) from a live service's comment marker."""
    match = MARKER.search(str(live.get("comment") or ""))
    if match is None:
        return Marker(None, None)
    return Marker(match.group(1), match.group(3), match.group(2))


def desired_comment(service: UnitySecurable, owner: Owner | str, digest: str | None) -> str:
    mark = marker(owner, digest)
    return f"{service.comment}\n\n{mark}" if service.comment else mark


def _compare(paths: Sequence[str], desired: dict[str, Any], live: dict[str, Any],
             ) -> list[ServiceChange]:
    changes: list[ServiceChange] = []
    for path in paths:
        want, have = get_path(desired, path), get_path(live, path)
        if want is not None:
            have = align(want, have)
        if path == "config.routing.destinations":
            want, have = normal_destinations(want), normal_destinations(have)
        if want in ([], {}):
            want = None
        if have in ([], {}):
            have = None
        if want != have:
            changes.append(ServiceChange(path=path, before=have, after=want))
    return changes


def _provider_changes(service: ModelProviderService, desired: dict[str, Any],
                      live: dict[str, Any], digests: tuple[str | None, str | None],
                      ) -> tuple[list[ServiceChange], str | None]:
    """Changes of a provider service and, if any, why it cannot be updated in place."""
    block = PROVIDER_BLOCKS[service.config.provider_type]
    live_type = get_path(live, "config.provider_type")
    if live_type != service.config.provider_type:
        return [ServiceChange(path="config.provider_type", before=live_type,
                              after=service.config.provider_type)], (
            "config.provider_type is immutable: delete the service and create it again")
    changes = [ServiceChange(path="config.provider", before=c.before, after=c.after)
               for c in _compare([f"config.{block}"], desired, live)]
    live_digest, want_digest = digests
    if live_digest != want_digest and not changes:
        changes.append(ServiceChange(path="config.provider", before=SENSITIVE,
                                     after=SENSITIVE))
    return changes + _compare(PROVIDER_PATHS, desired, live), None


def _immutable_table(desired: dict[str, Any], live: dict[str, Any]) -> str | None:
    want = get_path(desired, "config.inference_table")
    have = get_path(live, "config.inference_table")
    if not (isinstance(want, dict) and isinstance(have, dict)):
        return None
    for field in ("parent", "table_name_prefix"):
        if field in want and want.get(field) != have.get(field):
            return f"config.inference_table.{field} cannot change once the table exists"
    return None


def _grant_records(service: UnitySecurable, held: Mapping[str, Sequence[str]] | None,
                   ) -> list[ServiceChange]:
    """For people and drift: ``grants[principal]`` held -> wanted, where they differ."""
    out = []
    for principal, privileges in sorted((service.grants or {}).items()):
        have = sorted((held or {}).get(principal, []))
        if set(have) != set(privileges):
            out.append(ServiceChange(path=f"grants[{principal}]", before=have,
                                     after=sorted(privileges)))
    return out


def _grant_steps(service: UnitySecurable, held: Mapping[str, Sequence[str]] | None,
                 ) -> list[ServiceStep]:
    """One grants step for the principals the manifest names (others are left alone), or
    none when they already hold exactly their privileges."""
    changes: list[ServiceGrantChange] = []
    for principal, privileges in sorted((service.grants or {}).items()):
        have = set((held or {}).get(principal, []))
        add, remove = sorted(set(privileges) - have), sorted(have - set(privileges))
        if add or remove:
            changes.append(ServiceGrantChange.model_validate(
                {"principal": principal, "add": add, "remove": remove}))
    if not changes:
        return []
    return [GrantServiceStep(service=service.name, collection=service.collection,
                             changes=changes)]


def plan_service(item: DesiredService, live: LiveService | None, owner: Owner | str,
                 adopt_legacy_ownership: bool = False) -> ServiceAction:
    owner = as_owner(owner)
    service = item.securable
    kind: ServiceKind = service.kind
    comment = desired_comment(service, owner, item.secrets_digest)
    body = {"comment": comment, **service.to_wire()}
    body["comment"] = comment
    base = {"kind": kind, "name": service.name, "source": item.source}
    target = {"service": service.name, "collection": service.collection}
    if live is None:
        create = CreateServiceStep(**target, comment=comment, config=body["config"])
        return ServiceAction(**base, action="create", steps=[create, *_grant_steps(service, {})],
                             changes=[ServiceChange(path=f"config.{key}", after=value)
                                      for key, value in strip_output(body["config"]).items()])
    held = owner_of(live.body)
    live_digest = held.secrets
    found = held.ownership(owner)
    if found == "foreign":
        return ServiceAction(**base, action="no-op", blocked=True,
                             reason=f"owned by {held.text()}; not changed")
    if found == "legacy" and not adopt_legacy_ownership:
        return ServiceAction(
            **base, action="no-op", blocked=True,
            reason=f"marked project={owner.project} without an id (written before project "
            "ids; another repository of this name may own it): not changed — if it is this "
            "repository's, plan and apply with --adopt-legacy-ownership")
    desired = strip_output(body)
    current = strip_output(live.body)
    changes = _compare(["comment"], desired, current)
    if isinstance(service, ModelProviderService):
        more, refusal = _provider_changes(service, desired, current,
                                          (live_digest, item.secrets_digest))
    elif isinstance(service, McpService):
        more, refusal = _compare(MCP_PATHS, desired, current), None
    else:
        more, refusal = _compare(MODEL_SERVICE_PATHS, desired, current), None
    changes += more
    refusal = refusal or _immutable_table(desired, current)
    grants = _grant_steps(service, live.grants)
    etag = str(live.body.get("etag") or "")
    if changes and not etag:
        refusal = refusal or "the workspace's read carried no etag: not updated unconditionally"
    if refusal:
        return ServiceAction(**base, action="no-op", blocked=True, reason=refusal,
                             changes=changes)
    granted = _grant_records(service, live.grants)
    if not changes:
        return ServiceAction(**base, action="no-op", reason="up to date", steps=grants,
                             changes=granted)
    mask = list(dict.fromkeys(c.path for c in changes))
    patch: dict[str, Any] = {}
    for path in mask:
        if path == "config.provider":
            block = PROVIDER_BLOCKS[str(service.config.provider_type)]  # type: ignore[union-attr]
            put_path(patch, f"config.{block}", get_path(body, f"config.{block}"))
            put_path(patch, "config.provider_type", get_path(body, "config.provider_type"))
        elif path == "comment":
            patch["comment"] = comment
        else:
            value = get_path(body, path)
            if value is not None:
                put_path(patch, path, value)
    update = UpdateServiceStep(**target, update_mask=mask, etag=etag,
                               comment=comment if "comment" in mask else None,
                               config=patch.get("config", {}))
    return ServiceAction(**base, action="update", changes=changes + granted,
                         steps=[update, *grants])


def plan_services(desired: Sequence[DesiredService],
                  live: Mapping[tuple[str, str], LiveService],
                  owner: Owner | str, *, prune: bool, select: Sequence[str] = (),
                  adopt_legacy_ownership: bool = False) -> list[ServiceAction]:
    """One action per service, provider services before the model services that use them;
    deletes (prune) at the end, model services before provider services. Prune needs a
    project id of the project's own (``errors.PlanError`` otherwise)."""
    owner = as_owner(owner)
    refusal = prune_refusal(owner.project_id) if prune else None
    if refusal is not None:
        raise errors.PlanError(refusal)
    wanted = {(d.securable.kind, d.securable.name): d for d in desired}
    actions: list[ServiceAction] = []
    for kind in ("ModelProviderService", "ModelService", "McpService"):
        for (k, name), item in sorted(wanted.items()):
            if k != kind or (select and name not in select):
                continue
            actions.append(plan_service(item, live.get((k, name)), owner,
                                        adopt_legacy_ownership))
    if prune:
        for gone in ("McpService", "ModelService", "ModelProviderService"):
            for (live_kind, name), current in sorted(live.items()):
                if live_kind != gone or (live_kind, name) in wanted or \
                        (select and name not in select):
                    continue
                if owner_of(current.body).ownership(owner) != "ours":
                    continue
                kind = KIND_OF[COLLECTIONS[live_kind]]
                etag = str(current.body.get("etag") or "")
                if not etag:
                    actions.append(ServiceAction(
                        kind=kind, name=name, action="no-op", blocked=True,
                        reason="the workspace's read carried no etag: not deleted "
                               "unconditionally"))
                    continue
                actions.append(ServiceAction(
                    kind=kind, name=name, action="delete",
                    reason="no manifest; owned by this project",
                    steps=[DeleteServiceStep(service=name, collection=COLLECTIONS[kind],
                                             etag=etag)]))
    return actions


def attribute(action: ServiceAction, live: Mapping[str, Any] | None,
              caller: str | None) -> ServiceAction:
    """``action`` with each change's ``cause``. These securables carry no tags for an
    applied mark, but every read names its last writer (``updated_by``): a difference on a
    service someone other than ``caller`` (the identity planning, the one that applies)
    wrote last was made outside the repository; one on a service ``caller`` wrote last is a
    repository change waiting to be applied. A changed plaintext key (its digest) comes from
    the environment: ``repository``."""
    if live is None or not action.changes or action.action in ("create", "delete"):
        return action
    owner = owner_of(live)[0]
    writer = str(live.get("updated_by") or "")

    def cause(change: ServiceChange) -> ServiceCause:
        if change.before == SENSITIVE:
            return "repository"
        if owner is None:
            return "unknown"
        if change.path.startswith("grants["):
            return "drift"  # UC grants record no author: any difference is reported
        if not writer or not caller:
            return "unknown"
        return "repository" if writer == caller else "drift"

    changes = [c.model_copy(update={"cause": cause(c)}) for c in action.changes]
    return action.model_copy(update={"changes": changes})
