"""Differences on the live side that are not changes, explained (for drift triage). Pure.

When someone compares the workspace with the repository by eye, two kinds of difference are
not drift, and a plan says why it ignores them:

* ``backend default``: the live endpoint holds a value the manifest does not write, and it is
  what the server fills in by itself (``workload_size: Small``, ``route_optimized: false``,
  the single 100 % route, ...). Absent and the default mean the same.
* ``write-only``: the manifest writes a field that GET never returns (``*_plaintext`` keys,
  ``burst_scaling_enabled``, ``budget_policy_id``): it cannot be compared, so a change made
  to it in the workspace cannot be seen (a rotated plaintext key is covered by the
  secret-digest tag).

Only blocks the manifest manages are looked at, like the diff itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from reconciler.diff import fields, normalise
from reconciler.diff.changes import PlanModel
from reconciler.diff.compare import match_entity_names
from reconciler.diff.desired import desired_body
from reconciler.diff.fields import FieldClass
from reconciler.model.endpoint import ServingEndpoint
from reconciler.model.live import LiveEndpoint

ExplanationKind = Literal["backend default", "write-only", "unmanaged", "normalised"]
WRITE_ONLY_NOTE = "GET never returns it: not comparable, a change in the workspace is not seen"
DEFAULT_NOTE = "the server fills this value in by itself: the same as absent"
NORMALISED_NOTE = ("the service keeps this value whatever is sent (recorded at the last "
                   "apply); not planned again while the manifest is unchanged")
UNMANAGED_NOTE = ("changed outside the repository, not managed by the manifest; apply "
                  "leaves it")
# Blocks someone may switch on in the workspace behind a manifest that does not write them.
# ``config`` is not among them: a manifest without it (a Databricks-provided endpoint)
# leaves the whole config to the service.
UNMANAGED_BLOCKS = ("ai_gateway", "email_notifications", "telemetry_config")


class Explanation(PlanModel):
    """A live-side difference that is not a change, and why."""

    path: str
    kind: ExplanationKind
    value: Any = None  # the live value (backend default); None for write-only fields
    note: str = ""


def _entities(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    config = body.get("config")
    if not isinstance(config, Mapping):
        return []
    return [e for e in config.get("served_entities") or () if isinstance(e, Mapping)]


def _walk(value: Any, path: str, keyed: bool, out: dict[str, tuple[Any, Mapping[str, Any]]],
          parent: Mapping[str, Any]) -> None:
    if isinstance(value, Mapping):
        for k, v in value.items():
            child = f"{path}[{k}]" if keyed else (f"{path}.{k}" if path else str(k))
            out[child] = (v, value)
            _walk(v, child, not keyed and str(k) in fields.KEYED_LISTS, out, value)


def _manages(endpoint: ServingEndpoint, block: str) -> bool:
    if block == "ai_gateway":
        return endpoint.ai_gateway is not None or endpoint.rate_limits is not None
    return getattr(endpoint, block, None) is not None


def unmanaged(endpoint: ServingEndpoint, live: LiveEndpoint) -> list[Explanation]:
    """Live settings (not defaults) of blocks the manifest does not write, one per leaf.

    The diff leaves such blocks alone, so ``apply`` never touches them; an endpoint the
    project created had none, so these were set outside the repository. Cheap when the live
    body has none of ``UNMANAGED_BLOCKS`` (the usual case).
    """
    blocks = {b: live.raw[b] for b in UNMANAGED_BLOCKS
              if live.raw.get(b) and not _manages(endpoint, b)}
    if not blocks:
        return []
    form = normalise.minimal_form({"name": endpoint.name, **blocks}, endpoint.name)
    leaves: dict[str, tuple[Any, Mapping[str, Any]]] = {}
    _walk({k: v for k, v in form.items() if k in blocks}, "", False, leaves, {})
    return [
        Explanation(path=path, kind="unmanaged", value=value, note=UNMANAGED_NOTE)
        for path, (value, _parent) in sorted(leaves.items())
        if not isinstance(value, Mapping)
    ]


def explain(endpoint: ServingEndpoint, live: LiveEndpoint) -> list[Explanation]:
    """Backend defaults held live in managed blocks, and write-only fields the manifest sets."""
    body = desired_body(endpoint, "")
    live_body = normalise.project(live.effective_raw(), ServingEndpoint) or {}
    names = match_entity_names(_entities(body), _entities(live_body))
    written = normalise.written_paths(body, names)
    managed = {p.split(".", 1)[0].split("[", 1)[0] for p in written}
    out: list[Explanation] = []
    desired_leaves: dict[str, tuple[Any, Mapping[str, Any]]] = {}
    _walk(normalise.keyed_wire(normalise.project(body, ServingEndpoint) or {}, names), "",
          False, desired_leaves, {})
    for path in sorted(desired_leaves):
        if fields.has_class(path, FieldClass.WRITE_ONLY) and desired_leaves[path][0] is not None:
            out.append(Explanation(path=path, kind="write-only", note=WRITE_ONLY_NOTE))
    live_leaves: dict[str, tuple[Any, Mapping[str, Any]]] = {}
    _walk(normalise.keyed_wire(live_body), "", False, live_leaves, {})
    for path in sorted(live_leaves):
        value, parent = live_leaves[path]
        top = path.split(".", 1)[0].split("[", 1)[0]
        if path in written or top not in managed or isinstance(value, Mapping | list):
            continue
        for rule in fields.rules_for(path, FieldClass.DEFAULT):
            default = endpoint.name if rule.default == fields.ENDPOINT_NAME else rule.default
            if value == default and normalise.condition_holds(rule, parent):
                out.append(Explanation(path=path, kind="backend default", value=value,
                                       note=DEFAULT_NOTE))
                break
    return out + unmanaged(endpoint, live)
