"""build_plan: manifests + live endpoints + options -> Plan. Pure: no I/O, no clock.

One action per endpoint (docs/diff.md "Actions"):

* in a manifest, not live: ``create`` (the create body carries every facet and our
  ownership tag);
* in a manifest and live: ``update`` with the facets that changed, in the fixed order
  config, ai_gateway, tags, notifications; ``recreate`` when a recreate-only field changed
  and ``allow_recreate`` is set, otherwise a blocked ``no-op``; ``no-op`` "up to date";
* live only, carrying our ownership tag: ``delete`` with ``prune``, else a ``no-op`` that
  says ``--prune`` would delete it. Endpoints of other projects or of nobody are not in the
  plan at all; ``databricks-*`` system endpoints are never deleted.

Ownership (docs/ownership.md, ``model.live.ownership``) is decided by the project id when the
project has one: an endpoint of another repository with the same project name is blocked,
never written or pruned; one tagged with our name but no id (written before ids) is blocked
too unless ``adopt_legacy_ownership`` adopts it (a manifest declares it), and is never
pruned. ``prune`` needs a project id of the project's own.

``live`` maps endpoint names to their ``LiveEndpoint`` views (read by the registry: the
planner never parses a body). It must hold every endpoint named in a selected manifest that
exists, and, for prune, every endpoint carrying our ownership tag (a list summary is enough to
find those, but the digest a delete records is only comparable to a later GET body, so pass
views of GET bodies for them too).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from reconciler import errors
from reconciler.diff import desired as desired_bodies
from reconciler.diff import secret_digest
from reconciler.diff.changes import FACET_ORDER, FieldChange
from reconciler.diff.compare import EndpointDiff, compare_endpoint
from reconciler.diff.digest import form_digest, live_digest
from reconciler.diff.facets import FACETS
from reconciler.diff.fields import OWNERSHIP_TAG, SECRETS_TAG
from reconciler.diff.permissions import Grants
from reconciler.model.endpoint import ServingEndpoint
from reconciler.model.live import LiveEndpoint, Owner, Ownership, prune_refusal
from reconciler.model.permissions import Principal
from reconciler.model.pt_route import uses_pt_route
from reconciler.model.steps import CreateStep, DeleteStep, PlanStep
from reconciler.model.vocabulary import PROJECT_ID_TAG, is_system_endpoint
from reconciler.planning import marking, reserved_tags
from reconciler.planning import permissions as permission_parts
from reconciler.planning.creation import creation_changes
from reconciler.planning.plan import NOT_SELECTED, EndpointAction, Plan
from reconciler.redaction import MASK

__all__ = [
    "OWNERSHIP_TAG", "DesiredEndpoint", "PlanOptions", "assemble", "build_plan", "plan_endpoint",
    "plan_orphan",
]


@dataclass(frozen=True)
class DesiredEndpoint:
    """One endpoint as the manifests declare it (after loading and validation)."""

    endpoint: ServingEndpoint
    # "endpoints/chat.yaml:3" for messages; None when not from a file.
    source: str | None = None
    # The live ``reconciler-secrets`` digest against the resolved ``*_plaintext`` values
    # (computed by the caller: the planner never sees a secret). None: no plaintext, or not
    # checked — then a rotation cannot be seen and the tag is left alone on updates.
    secrets: secret_digest.SecretsStatus | None = None


@dataclass(frozen=True)
class PlanOptions:
    project: str
    target_name: str
    target_host: str | None = None
    prune: bool = False
    select: tuple[str, ...] = ()  # empty: every endpoint
    allow_recreate: bool = False
    created_at: str | None = None  # ISO 8601, passed in (planning reads no clock)
    # Who runs the reconciler (SCIM Me), read once per run when some manifest declares
    # permissions: it keeps its CAN_MANAGE (docs/permissions.md). None: not known.
    caller: Principal | None = None
    # reconciler.yaml's project_id (None: a project without one, owning by name alone).
    project_id: str | None = None
    # Adopt the declared endpoints tagged with our project name but no id (docs/ownership.md).
    adopt_legacy_ownership: bool = False

    @property
    def owner(self) -> Owner:
        return Owner(self.project, self.project_id)

    def ownership(self, live: LiveEndpoint) -> Ownership:
        return live.ownership(self.project, self.project_id)

    def may_write(self, live: LiveEndpoint) -> bool:
        """True when a manifest of this project may write the live endpoint: ours, nobody's,
        or tagged with our name only and adopted."""
        found = self.ownership(live)
        return found in ("ours", "unowned") or (found == "legacy" and
                                               self.adopt_legacy_ownership)


def build_plan(
    desired: Sequence[DesiredEndpoint],
    live: Mapping[str, LiveEndpoint],
    options: PlanOptions,
    grants: Mapping[str, Grants] | None = None,
) -> Plan:
    """The plan that makes ``live`` match ``desired``; see docs/diff.md. Pure.

    ``grants``: the live direct grants of each existing endpoint whose manifest declares
    ``permissions`` (docs/permissions.md); the others' are not managed and need not be read.

    Raises ``errors.PlanError`` for two manifests with one name, a ``select`` name that
    matches neither a manifest nor a live endpoint, grants that were needed and not read, or
    ``prune`` without a project id of the project's own.
    """
    refusal = prune_refusal(options.project_id) if options.prune else None
    if refusal is not None:
        raise errors.PlanError(refusal)
    by_name: dict[str, DesiredEndpoint] = {}
    for item in desired:
        name = item.endpoint.name
        if name in by_name:
            where = " and ".join(s for s in (by_name[name].source, item.source) if s)
            raise errors.PlanError(
                f"endpoint {name!r} is declared twice" + (f" ({where})" if where else "")
            )
        by_name[name] = item
    # A dotted name is a Unity AI Gateway service (catalog.schema.id; endpoint names hold no
    # dot): the service planner checks it (api/service_workflow.py).
    unknown = [n for n in options.select
               if n not in by_name and n not in live and "." not in n]
    if unknown:
        raise errors.PlanError(
            "--select names no manifest or live endpoint: " + ", ".join(sorted(unknown))
        )

    actions = [plan_endpoint(item, live.get(name), options, grants)
               for name, item in by_name.items()]
    for name, view in live.items():
        if name in by_name or not _selected(name, options):
            continue
        found = options.ownership(view)
        if found == "ours":
            actions.append(plan_orphan(name, view, options))
        elif found == "legacy":
            actions.append(_legacy_orphan(name, view, options))
    return assemble(actions, options)


def plan_endpoint(
    item: DesiredEndpoint, live: LiveEndpoint | None, options: PlanOptions,
    grants: Mapping[str, Grants] | None = None,
) -> EndpointAction:
    """The action for one manifest against its live endpoint (None: not in the workspace).
    Pure.

    The one way to plan an endpoint: the whole plan (``build_plan``), the streaming plan and
    apply's re-plan after waiting all call it.
    """
    if not _selected(item.endpoint.name, options):
        return EndpointAction(name=item.endpoint.name, action="no-op", reason=NOT_SELECTED,
                              source=item.source)
    return marking.finish_action(_plan_endpoint(item, live, options, grants), item.endpoint,
                                 live)


def assemble(actions: Sequence[EndpointAction], options: PlanOptions) -> Plan:
    """The plan of these actions under the options' header, in the stable order (by name)."""
    return Plan(
        project=options.project,
        project_id=options.project_id,
        adopt_legacy_ownership=options.adopt_legacy_ownership,
        target_name=options.target_name,
        target_host=options.target_host,
        created_at=options.created_at,
        prune=options.prune,
        allow_recreate=options.allow_recreate,
        select=list(options.select),
        actions=sorted(actions, key=lambda a: a.name),
    )


def _selected(name: str, options: PlanOptions) -> bool:
    return not options.select or name in options.select


def plan_orphan(name: str, live: LiveEndpoint, options: PlanOptions) -> EndpointAction:
    """The action for a live endpoint of this project that no manifest declares. Pure."""
    common: dict[str, Any] = {
        "name": name,
        "live_config_version": live.config_version,
        "live_digest": live_digest(live),
    }
    if is_system_endpoint(name):
        return EndpointAction(action="no-op", reason="Databricks system endpoint: never deleted",
                              **common)
    if not options.prune:
        return EndpointAction(
            action="no-op",
            reason=f"owned by project {options.project!r} but in no manifest; "
            "`--prune` would delete it",
            **common,
        )
    return EndpointAction(
        action="delete",
        reason=f"owned by project {options.project!r} and in no manifest (--prune)",
        changes=[FieldChange(path="name", old=name, new=None, impact="destroy")],
        steps=[DeleteStep(endpoint=name)],
        **common,
    )


def _legacy_orphan(name: str, live: LiveEndpoint, options: PlanOptions) -> EndpointAction:
    """A live endpoint tagged with our project name but no id, that no manifest declares:
    it may be another repository's of the same name, so it is never pruned."""
    return EndpointAction(
        name=name, action="no-op", live_config_version=live.config_version,
        live_digest=live_digest(live),
        reason=f"tagged {OWNERSHIP_TAG}={options.project!r} without {PROJECT_ID_TAG} (written "
        "before project ids; another repository of this name may own it): never pruned — to "
        "keep it, declare it and apply with --adopt-legacy-ownership; if it is this "
        "repository's and unwanted, delete it by hand",
    )


def _create_step(endpoint: ServingEndpoint, owner: Owner) -> CreateStep:
    body = desired_bodies.desired_body(endpoint, owner)
    step = CreateStep(endpoint=endpoint.name, body=body)
    plaintext = secret_digest.plaintext_fields(body)
    if plaintext:
        # The digest of the keys sent, computed by apply from the values it resolves.
        step = reserved_tags.create_with_tag(step, SECRETS_TAG,
                                             secret_digest.digest_marker(plaintext))
    if uses_pt_route(endpoint):
        step = CreateStep(endpoint=endpoint.name, body=desired_bodies.pt_create_body(step.body),
                          route="provisioned_throughput")
    return step


def _with_secret_change(item: DesiredEndpoint, diff: EndpointDiff) -> EndpointDiff:
    """The diff plus one change when the plaintext keys differ from those last written.

    Plaintext is write-only, so a rotated key can only be sent again with a config PUT
    (rolling); the change shows the field masked, never the value.
    """
    if item.secrets not in ("rotated", "untracked"):
        return diff
    paths = sorted(secret_digest.plaintext_fields(
        desired_bodies.desired_body(item.endpoint, "")))
    if not paths:
        return diff
    why = ("rotated: differs from the value last applied" if item.secrets == "rotated"
           else f"not tracked yet (no {SECRETS_TAG} tag): sent again")
    if len(paths) > 1:
        kind = ("plaintext" if all(p.endswith(secret_digest.PLAINTEXT_SUFFIX) for p in paths)
                else "write-only")
        why += f" ({len(paths)} {kind} fields)"
    change = FieldChange(path=secret_digest.change_path(paths), old=MASK, new=MASK,
                         impact="rolling", facet="config", origin=why)
    changes = sorted(
        [*diff.changes, change],
        key=lambda c: (FACET_ORDER.index(c.facet) + 1 if c.facet else 0, c.path),
    )
    return replace(diff, changes=tuple(changes))


def _plan_endpoint(
    item: DesiredEndpoint, live: LiveEndpoint | None, options: PlanOptions,
    grants: Mapping[str, Grants] | None = None,
) -> EndpointAction:
    endpoint = item.endpoint
    if live is None:
        perms = permission_parts.for_create(endpoint, options.caller)
        return EndpointAction(
            name=endpoint.name, action="create", reason="not in the workspace",
            facets=[], changes=[*creation_changes(endpoint, options.owner), *perms.changes],
            steps=[_create_step(endpoint, options.owner), *perms.steps], source=item.source,
        )
    diff = _with_secret_change(item, compare_endpoint(endpoint, live, options.owner))
    found = options.ownership(live)
    refusal = _not_ours(live, found, options)
    if refusal is not None:
        perms = permission_parts.NONE  # not ours: its grants are not read or shown
    elif diff.recreate_changes:
        perms = permission_parts.for_recreate(endpoint, grants, options.caller)
    else:
        perms = permission_parts.for_update(endpoint, grants, options.caller)
    in_progress = live.updating
    pending_version = live.pending_config_version if in_progress else None
    common: dict[str, Any] = {
        "name": endpoint.name,
        "changes": [*diff.changes, *perms.changes],
        "live_config_version": live.config_version,
        "live_digest": form_digest(diff.live_form),
        "pending_config_version": pending_version,
        "source": item.source,
    }
    progress = (
        f"config update to version {pending_version} in progress" if pending_version
        else "config update in progress"
    )
    if refusal is not None:
        return EndpointAction(action="no-op", blocked=True, reason=refusal, **common)
    if not diff.changes and not perms.changes:
        reason = "up to date" + (f" ({progress}; apply waits for it)" if in_progress else "")
        return EndpointAction(action="no-op", reason=reason, **common)
    if diff.recreate_changes:
        return _plan_recreate(endpoint, diff, options, in_progress, common, perms.steps)
    reason = ("adopt: exists without the ownership tag" if found == "unowned" else
              f"adopt: tagged with the project name only; {PROJECT_ID_TAG} is added "
              "(--adopt-legacy-ownership)" if found == "legacy" else "")
    if in_progress:
        reason = "; ".join(r for r in (reason, f"{progress}: apply waits for it first") if r)
    facets = [*diff.facets, *(["permissions"] if perms.changes else [])]
    return EndpointAction(
        action="update", reason=reason, facets=facets,
        steps=[*_update_steps(endpoint, diff, live, options.owner, item.secrets),
               *perms.steps],
        wait_for_update=in_progress, **common,
    )


def _not_ours(view: LiveEndpoint, found: Ownership, options: PlanOptions) -> str | None:
    """Why a declared live endpoint is not written (None: it may be)."""
    if found == "foreign" and view.owner_id is None:
        return (f"owned by project {view.owner!r} (tag {OWNERSHIP_TAG}); not taken over — "
                "remove the manifest, or that project's tag first")
    if found == "foreign":
        ours = options.project_id or "not set"
        return (f"owned by another repository: {view.owner_text()} (tag {PROJECT_ID_TAG}; "
                f"this project's id: {ours}); not taken over — remove the manifest, or that "
                "repository's tags first")
    if found == "legacy" and not options.adopt_legacy_ownership:
        return (f"tagged {OWNERSHIP_TAG}={options.project!r} without {PROJECT_ID_TAG} "
                "(written before project ids; another repository of this name may own it): "
                "not changed — if it is this repository's, plan and apply with "
                "--adopt-legacy-ownership (docs/ownership.md)")
    return None


def _plan_recreate(
    endpoint: ServingEndpoint, diff: EndpointDiff, options: PlanOptions, in_progress: bool,
    common: dict[str, Any], permission_steps: Sequence[PlanStep] = (),
) -> EndpointAction:
    fields_ = ", ".join(sorted({c.path for c in diff.recreate_changes}))
    if is_system_endpoint(endpoint.name):
        return EndpointAction(
            action="no-op", blocked=True, **common,
            reason=f"needs recreate ({fields_}) but Databricks system endpoints are never "
            "deleted",
        )
    if not options.allow_recreate:
        return EndpointAction(
            action="no-op", blocked=True, **common,
            reason=f"needs recreate ({fields_}): pass --allow-recreate to delete and create "
            "it (new id, URL and permissions), or revert the change",
        )
    return EndpointAction(
        action="recreate",
        reason=f"recreate-only change: {fields_}",
        facets=diff.facets,
        # The new endpoint has a new id: its grants are written again (never lost).
        steps=[DeleteStep(endpoint=endpoint.name), _create_step(endpoint, options.owner),
               *permission_steps],
        wait_for_update=in_progress,
        **common,
    )


def _update_steps(
    endpoint: ServingEndpoint, diff: EndpointDiff, live: LiveEndpoint, owner: Owner,
    secrets: secret_digest.SecretsStatus | None = None,
) -> list[PlanStep]:
    """The steps of each changed facet, in the facet table's order, plus the secrets tag."""
    changed = set(diff.facets)
    steps = [step for spec in FACETS if spec.name in changed and spec.steps is not None
             for step in spec.steps(endpoint, diff, live, owner)]
    marker = _secrets_marker(endpoint, diff, secrets)
    if marker is not None:
        steps = reserved_tags.with_secrets_tag(steps, endpoint.name, marker)
    return steps


def _secrets_marker(
    endpoint: ServingEndpoint, diff: EndpointDiff, secrets: secret_digest.SecretsStatus | None
) -> dict[str, Any] | None:
    """The ``SECRETS_TAG`` marker when a config step sends keys whose digest the live tag
    does not hold, else None. A tag left over after the plaintext fields are gone is harmless
    (nothing compares it) and, like every reserved tag, is not removed."""
    if "config" not in diff.facets or secrets not in ("rotated", "untracked"):
        return None
    plaintext = secret_digest.plaintext_fields(desired_bodies.config_body(endpoint))
    return secret_digest.digest_marker(plaintext) if plaintext else None
