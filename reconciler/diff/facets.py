"""The facet table: everything the reconciler knows about each independently written part of
an endpoint, as data. Planning, applying, marking, verification, rendering and export read it;
nothing else lists facets by name.

A facet is a top-level block of the endpoint that the API writes with its own call. Per
facet the table says:

* ``key``: its top-level key in the manifest, the create body, a GET body and the minimal
  form (``diff.normalise``); the diff's field rules (``diff.fields.FIELD_RULES``) for the
  fields under it apply as usual;
* ``impact``: the impact of a change to it (``rolling``: a new config version; ``in-place``);
* ``op`` and ``steps``: the plan step that writes it and the function that builds the steps
  of an update (``reconciler.model.steps``; the registry routes them);
* ``guarded``: the service refuses a second write while one is in progress (409), so apply
  waits it out and re-plans; otherwise the API is last-writer-wins, and apply reads the
  endpoint again after writing and reports a conflict when another writer replaced the value
  (``lost``, used by ``applying.verification``);
* ``read_apart``: its live state is not in the endpoint's GET body; the read-back after
  writing GETs the facet's own write route (permissions: the endpoint's ACL, keyed by its id)
  and ``lost`` finds that answer under ``key`` in the fresh view;
* ``starts_update``: writing it starts a config update that apply waits for;
* ``mark``: its letter in the applied-marks tag (``diff.applied_marks``) and ``mark_form``,
  what of it the mark hashes (None: the block itself, and only when the manifest writes it);
* ``on_system_endpoint``: whether a Databricks-provided (``databricks-*``) endpoint accepts it.

The order of ``FACETS`` is the order apply writes facets in (``FACET_ORDER``). Adding a facet:
docs/architecture.md "How to add a facet".

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reconciler.diff import desired as desired_bodies
from reconciler.diff.changes import Facet, Impact
from reconciler.diff.containment import contained, lost_tags
from reconciler.diff.permissions import lost_grants
from reconciler.model.endpoint import ServingEndpoint
from reconciler.model.live import LiveEndpoint, Owner
from reconciler.model.pt_route import uses_pt_route
from reconciler.model.steps import (
    PatchNotificationsStep,
    PatchTagsStep,
    PatchTelemetryConfigStep,
    PlanStep,
    PutAiGatewayStep,
    StepOp,
    UpdateConfigStep,
)
from reconciler.model.vocabulary import FACET_ORDER, is_reserved_tag

if TYPE_CHECKING:
    from reconciler.diff.compare import EndpointDiff

StepBuilder = Callable[[ServingEndpoint, "EndpointDiff", LiveEndpoint, Owner | str],
                       list[PlanStep]]
"""(manifest, its diff, the live endpoint, owner) -> the steps that write the facet."""
LostCheck = Callable[["Mapping[str, Any] | None", Mapping[str, Any], Mapping[str, Any]],
                     list[str]]
"""(body sent, the write's answer, a fresh GET body) -> what of ours was replaced."""


@dataclass(frozen=True)
class FacetSpec:
    name: Facet
    key: str
    impact: Impact
    op: StepOp
    # None: the facet's live state is not in the GET body and its steps are planned by its
    # own module (permissions: planning/permissions.py, keyed by the endpoint id).
    steps: StepBuilder | None
    guarded: bool
    # Read back after writing (a last-writer-wins facet): ``lost`` says what was replaced.
    verified: bool
    starts_update: bool
    lost: LostCheck
    mark: str
    mark_form: Callable[[Any], Any] | None
    on_system_endpoint: bool
    read_apart: bool = False


# -- step builders ---------------------------------------------------------------------------


def _config_steps(endpoint: ServingEndpoint, _diff: EndpointDiff, _live: LiveEndpoint,
                  _owner: Owner | str) -> list[PlanStep]:
    route = "provisioned_throughput" if uses_pt_route(endpoint) else "classic"
    return [UpdateConfigStep(endpoint=endpoint.name, route=route,
                             body=desired_bodies.config_body(endpoint))]


_TABLE = "ai_gateway.inference_table_config"
_TABLE_LOCATION = tuple(
    f"{_TABLE}.{f}" for f in ("catalog_name", "schema_name", "table_name_prefix")
)


def _gateway_steps(endpoint: ServingEndpoint, diff: EndpointDiff, live: LiveEndpoint,
                   _owner: Owner | str) -> list[PlanStep]:
    gateway = live.raw.get("ai_gateway")
    live_gateway = gateway if isinstance(gateway, Mapping) else None
    body = desired_bodies.gateway_body(endpoint, live_gateway)
    steps: list[PlanStep] = []
    if _moves_enabled_inference_table(diff, body):
        # The service refuses to move enabled inference tables ("disable them first"): one
        # PUT disables them, the next sets the new location.
        live_table = dict((live_gateway or {}).get("inference_table_config") or {})
        disabled = {**body, "inference_table_config": {**live_table, "enabled": False}}
        steps.append(PutAiGatewayStep(endpoint=endpoint.name, body=disabled))
    steps.append(PutAiGatewayStep(endpoint=endpoint.name, body=body))
    return steps


def _moves_enabled_inference_table(diff: EndpointDiff, body: Mapping[str, Any]) -> bool:
    """True when inference tables stay enabled but their catalog, schema or prefix change."""
    live_table = (diff.live_form.get("ai_gateway") or {}).get("inference_table_config") or {}
    wanted = body.get("inference_table_config") or {}
    if not (live_table.get("enabled") and wanted.get("enabled")):
        return False
    return any(c.path in _TABLE_LOCATION and c.old is not None for c in diff.changes)


def _telemetry_steps(endpoint: ServingEndpoint, _diff: EndpointDiff,
                     _live: LiveEndpoint, _owner: Owner | str) -> list[PlanStep]:
    return [PatchTelemetryConfigStep(endpoint=endpoint.name,
                                     body=desired_bodies.telemetry_body(endpoint))]


def _tags_steps(endpoint: ServingEndpoint, _diff: EndpointDiff, live: LiveEndpoint,
                owner: Owner | str) -> list[PlanStep]:
    """Add what differs, remove user tags no longer declared; reserved tags are left alone
    (``planning.reserved_tags`` adds the ones apply writes)."""
    wanted = desired_bodies.desired_tags(endpoint, owner)
    current = live.tags
    return [PatchTagsStep(
        endpoint=endpoint.name,
        add_tags=[{"key": k, "value": v} for k, v in wanted.items() if current.get(k) != v],
        delete_tags=[k for k in current if k not in wanted and not is_reserved_tag(k)],
    )]


def _notifications_steps(endpoint: ServingEndpoint, _diff: EndpointDiff,
                         _live: LiveEndpoint, _owner: Owner | str) -> list[PlanStep]:
    return [PatchNotificationsStep(endpoint=endpoint.name,
                                   body=desired_bodies.notifications_body(endpoint))]


# -- after-write checks (last-writer-wins facets) -------------------------------------------


def _never_lost(_body: Mapping[str, Any] | None, _answer: Mapping[str, Any],
                _fresh: Mapping[str, Any]) -> list[str]:
    return []  # guarded: the service refused any concurrent write


def _lost_block(key: str) -> LostCheck:
    """The block the write answered is still contained in the live block ``key``."""
    def lost(_body: Mapping[str, Any] | None, answer: Mapping[str, Any],
             fresh: Mapping[str, Any]) -> list[str]:
        if answer and not contained(answer.get(key, answer), fresh.get(key)):
            return [key]
        return []
    return lost


def _lost_tags(body: Mapping[str, Any] | None, _answer: Mapping[str, Any],
               fresh: Mapping[str, Any]) -> list[str]:
    keys = lost_tags(body or {}, fresh)
    return ["tags " + ", ".join(keys)] if keys else []


def _lost_grants(body: Mapping[str, Any] | None, answer: Mapping[str, Any],
                 fresh: Mapping[str, Any]) -> list[str]:
    acl = fresh.get("permissions")
    return lost_grants(body, answer, acl if isinstance(acl, Mapping) else None)


def _user_tags(value: Any) -> dict[str, Any]:
    """Tags are always managed (the manifest's tags are authoritative); reserved tags are
    written by apply itself and left out of the mark."""
    tags = value if isinstance(value, Mapping) else {}
    return {k: v for k, v in tags.items() if not is_reserved_tag(k)}


FACETS: tuple[FacetSpec, ...] = (
    FacetSpec(name="config", key="config", impact="rolling", op="update_config",
              steps=_config_steps, guarded=True, verified=False, starts_update=True,
              lost=_never_lost,
              mark="c", mark_form=None, on_system_endpoint=False),
    FacetSpec(name="ai_gateway", key="ai_gateway", impact="in-place", op="put_ai_gateway",
              steps=_gateway_steps, guarded=False, verified=True, starts_update=False,
              lost=_lost_block("ai_gateway"), mark="g", mark_form=None,
              on_system_endpoint=True),
    # Not read back after writing (as when it was added, issue 12): a PATCH of the whole block.
    FacetSpec(name="telemetry", key="telemetry_config", impact="in-place",
              op="patch_telemetry_config", steps=_telemetry_steps, guarded=False,
              verified=False, starts_update=False, lost=_never_lost, mark="m",
              mark_form=None, on_system_endpoint=False),
    FacetSpec(name="tags", key="tags", impact="in-place", op="patch_tags",
              steps=_tags_steps, guarded=False, verified=True, starts_update=False,
              lost=_lost_tags,
              mark="t", mark_form=_user_tags, on_system_endpoint=True),
    FacetSpec(name="notifications", key="email_notifications", impact="in-place",
              op="patch_notifications", steps=_notifications_steps, guarded=False,
              verified=True, starts_update=False, lost=_lost_block("email_notifications"), mark="n",
              mark_form=None, on_system_endpoint=False),
    # Grants: their own API keyed by the endpoint id, read apart from the GET; one PUT or
    # PATCH per endpoint (diff/permissions.py), written last, after a create too. Last writer
    # wins: read back (the ACL GET) after writing, another writer's grant in between is a
    # conflict naming the principal (diff.permissions.lost_grants).
    # The mark hashes the manifest's grants (applied_marks.manifest_marks).
    FacetSpec(name="permissions", key="permissions", impact="in-place", op="set_permissions",
              steps=None, guarded=False, verified=True, starts_update=False,
              lost=_lost_grants, mark="p", mark_form=None, on_system_endpoint=False,
              read_apart=True),
)

FACET_BY_NAME: dict[str, FacetSpec] = {spec.name: spec for spec in FACETS}
FACET_BY_KEY: dict[str, FacetSpec] = {spec.key: spec for spec in FACETS}
FACET_BY_OP: dict[str, FacetSpec] = {spec.op: spec for spec in FACETS}
assert tuple(FACET_BY_NAME) == FACET_ORDER, "FACETS must list every Facet, in FACET_ORDER"


def facet_of_key(key: str) -> Facet | None:
    """The facet a top-level key belongs to (``email_notifications`` -> ``notifications``);
    None for endpoint-level fields (name, description, route_optimized)."""
    spec = FACET_BY_KEY.get(key)
    return None if spec is None else spec.name


def facet_of_step(step: PlanStep) -> FacetSpec | None:
    """The facet a step writes; None for a create or a delete (the whole endpoint)."""
    return FACET_BY_OP.get(step.op)
