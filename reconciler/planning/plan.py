"""The plan: what ``apply`` will do to each endpoint, as pure, serialisable data.

One ``Plan`` object feeds every renderer (text, JSON, Markdown), is saved by ``plan --out``
and read back by ``apply PLANFILE``. It is built by ``reconciler.planning.planner.build_plan``
and never does anything itself. The JSON form (``schema_version`` 1) is a public contract,
documented in docs/plan-json.md; within one version fields are only ever added, never
renamed. Version 2 replaced version 1's raw HTTP requests (method, path, body) with typed
steps (``reconciler.model.steps``): a step names its operation and endpoint, and only the
registry turns it into a request.

Vocabulary:

* ``EndpointAction.action``: ``create`` | ``update`` | ``recreate`` | ``delete`` | ``no-op``.
  A no-op always carries a ``reason``. A recreate that ``--allow-recreate`` did not allow is a
  ``no-op`` with ``blocked=True`` (and its changes listed), so ``plan`` shows it and ``apply``
  refuses it; see docs/diff.md.
* ``facets``: the independently writable parts of an endpoint, in the fixed order apply uses
  (the facet table, ``reconciler.diff.facets``): ``config`` (step ``update_config``, a new
  config version), ``ai_gateway`` (``put_ai_gateway``), ``tags`` (``patch_tags``),
  ``notifications`` (``patch_notifications``).
* ``steps``: the writes, in order (``reconciler.model.steps``).
* ``FieldChange.impact``: ``in-place`` (tags, gateway, notifications), ``rolling`` (a new config
  version), ``recreate`` (new endpoint id, URL and permissions), ``destroy`` (delete), and
  ``create`` (a field of an endpoint that does not exist yet).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PrivateAttr

from reconciler.diff.changes import FACET_ORDER, Facet, FieldChange, Impact, PlanModel
from reconciler.diff.explain import Explanation
from reconciler.diff.permissions import GrantsRead
from reconciler.model.steps import PlanStep
from reconciler.planning.service_plan import ServiceAction

SCHEMA_VERSION: Literal[2] = 2

ActionKind = Literal["create", "update", "recreate", "delete", "no-op"]

ACTION_KINDS: tuple[ActionKind, ...] = ("create", "update", "recreate", "delete", "no-op")
NOT_SELECTED = "not selected"

__all__ = [
    "ACTION_KINDS", "FACET_ORDER", "NOT_SELECTED", "SCHEMA_VERSION", "ActionKind",
    "EndpointAction", "Facet", "FieldChange", "Impact", "Plan", "PlanStep",
]


class EndpointAction(PlanModel):
    """The one thing the plan does to one endpoint, and the live state it was planned from."""

    name: str
    action: ActionKind
    reason: str = ""
    facets: list[Facet] = Field(default_factory=list)
    changes: list[FieldChange] = Field(default_factory=list)
    # The writes apply makes, in order; each names this action's endpoint. Bodies hold
    # ``*_plaintext`` values as the manifest wrote them (a ``${env.NAME}`` reference, resolved
    # by apply at the last moment); renderers and saved plans mask any literal value.
    steps: list[PlanStep] = Field(default_factory=list)
    # The live active config_version and digest (reconciler.diff.digest.live_digest) this
    # action was computed from; None when the endpoint did not exist.
    live_config_version: int | None = None
    live_digest: str | None = None
    # A config update was in progress when planned (the diff was taken against the pending
    # config): apply waits for it to finish, re-reads, then checks the digest before writing.
    wait_for_update: bool = False
    pending_config_version: int | None = None
    # A change needs a recreate that was not allowed: nothing is done, apply refuses.
    blocked: bool = False
    # Where the manifest came from ("endpoints/chat.yaml:1"), when known.
    source: str | None = None
    # Live-side differences that are not changes (backend defaults, write-only fields), for
    # drift triage; JSON only (reconciler.diff.explain).
    explanations: list[Explanation] = Field(default_factory=list)

    @property
    def has_changes(self) -> bool:
        """True when applying this action would write something, or is blocked from it."""
        return self.action != "no-op" or self.blocked


class Plan(PlanModel):
    """Every endpoint action of one ``plan`` run, in a stable order (by name)."""

    schema_version: Literal[2] = SCHEMA_VERSION
    project: str
    # The project's ownership id (reconciler.yaml ``project_id``); None: a project without one.
    project_id: str | None = None
    target_name: str
    target_host: str | None = None
    # The local registry's SQLite file (as reconciler.yaml writes it) for a local target.
    target_local: str | None = None
    # ISO 8601 UTC, passed in by the caller (planning reads no clock).
    created_at: str | None = None
    # The options the plan was made with, so a saved plan shows how it was made.
    prune: bool = False
    allow_recreate: bool = False
    adopt_legacy_ownership: bool = False
    select: list[str] = Field(default_factory=list)
    actions: list[EndpointAction] = Field(default_factory=list)
    # Unity AI Gateway services (planning/service_plan.py), after the endpoints.
    services: list[ServiceAction] = Field(default_factory=list)
    # Not part of the plan file: the grants planning read (permissions facet), so that apply
    # in the same run can re-plan one endpoint without reading them again.
    _grants_read: GrantsRead | None = PrivateAttr(default=None)

    @property
    def has_changes(self) -> bool:
        return any(a.has_changes for a in self.actions) or \
            any(s.has_changes for s in self.services)

    @property
    def blocked(self) -> list[EndpointAction]:
        return [a for a in self.actions if a.blocked]

    def counts(self) -> dict[str, int]:
        """How many actions of each kind; ``blocked`` and ``not selected`` no-ops are counted
        apart from the others (``no-op`` then means "checked and unchanged")."""
        out: dict[str, int] = {kind: 0 for kind in ACTION_KINDS}
        out["blocked"] = 0
        out["not selected"] = 0
        for action in self.actions:
            if action.blocked:
                out["blocked"] += 1
            elif action.action == "no-op" and action.reason == NOT_SELECTED:
                out["not selected"] += 1
            else:
                out[action.action] += 1
        return out

    def for_apply(self) -> Plan:
        """This plan without its field-by-field changes and explanations.

        Those are for people (the plan shown before apply); apply uses only each action's
        steps, digests and flags. They are also most of a large plan's memory (10,000
        creates: about 100,000 FieldChange objects): a caller done showing the plan keeps
        this copy instead, and apply's own objects reuse the memory they held.
        """
        lean = [a.model_copy(update={"changes": [], "explanations": []}) for a in self.actions]
        return self.model_copy(update={"actions": lean})

    def action_for(self, name: str) -> EndpointAction | None:
        return next((a for a in self.actions if a.name == name), None)
