"""compare_endpoint: one manifest against one live endpoint -> FieldChanges. Pure.

Both sides are brought to the minimal form (``normalise``); the live side is then *scoped*
to what the manifest manages (docs/diff.md "What is compared"):

* ``name`` and ``tags`` always (tags not in the manifest are removed, except reserved
  ``reconciler-*`` tags other than the ownership tag);
* ``config``, ``ai_gateway``, ``email_notifications``, ``description``, ``route_optimized``
  only when the manifest writes them; a written block is compared whole, because the API
  replaces it whole;
* legacy ``rate_limits`` manage only ``ai_gateway.rate_limits``;
* server-chosen fields only when the manifest writes them, and a secret reference only when
  the manifest does not use its ``*_plaintext`` twin.

deepdiff finds the differences; nothing outside this module sees its types.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from deepdiff import DeepDiff

from reconciler.diff import fields, normalise
from reconciler.diff.changes import FACET_ORDER, Facet, FieldChange, Impact
from reconciler.diff.desired import desired_body, uses_legacy_rate_limits
from reconciler.diff.facets import FACET_BY_KEY
from reconciler.diff.fields import FieldClass
from reconciler.model.endpoint import ServingEndpoint
from reconciler.model.live import LiveEndpoint, Owner
from reconciler.model.naming import derived_entity_name

KIND_CHANGE_NOTE = "external and non-external entities cannot be swapped in place"


@dataclass(frozen=True)
class EndpointDiff:
    """The differences between one manifest and its live endpoint."""

    name: str
    changes: tuple[FieldChange, ...]
    # The comparable forms, for callers that show or digest them.
    desired_form: Mapping[str, Any]
    live_form: Mapping[str, Any]

    @property
    def facets(self) -> list[Facet]:
        present = {c.facet for c in self.changes if c.facet is not None}
        return [f for f in FACET_ORDER if f in present]

    @property
    def recreate_changes(self) -> list[FieldChange]:
        return [c for c in self.changes if c.impact == "recreate"]


def match_entity_names(
    desired_entities: list[Mapping[str, Any]], live_entities: list[Mapping[str, Any]]
) -> dict[int, str]:
    """Names for the manifest's unnamed entities: the derived name, or the live entity
    serving the same model when the derivation does not match one (our rule may differ
    from the server's for unusual names)."""
    live_names = {str(e.get("name")) for e in live_entities if e.get("name")}
    taken = {str(e["name"]) for e in desired_entities if e.get("name")}
    names: dict[int, str] = {}
    for index, entity in enumerate(desired_entities):
        if entity.get("name"):
            continue
        derived = derived_entity_name(entity)
        if derived is not None and derived in live_names:
            names[index] = derived
            taken.add(derived)
            continue
        same = [
            str(e.get("name"))
            for e in live_entities
            if e.get("name") and str(e.get("name")) not in taken
            and normalise.entity_identity(e) == normalise.entity_identity(entity)
        ]
        if len(same) == 1:
            names[index] = same[0]
            taken.add(same[0])
        elif derived is not None:
            names[index] = derived
    return names


def _entities(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    config = body.get("config")
    if not isinstance(config, Mapping):
        return []
    return [e for e in config.get("served_entities") or () if isinstance(e, Mapping)]


def _scope_live(
    live_form: dict[str, Any],
    written: set[str],
    desired_form: Mapping[str, Any],
    legacy_limits: bool,
) -> dict[str, Any]:
    scoped = {k: v for k, v in live_form.items() if k in written or k in ("name", "tags")}
    if legacy_limits:
        gateway = live_form.get("ai_gateway") or {}
        scoped.pop("ai_gateway", None)
        if "rate_limits" in gateway:
            scoped["ai_gateway"] = {"rate_limits": gateway["rate_limits"]}
    tags = scoped.get("tags")
    if isinstance(tags, dict):
        wanted = desired_form.get("tags") or {}
        scoped["tags"] = {
            k: v for k, v in tags.items() if not fields.is_reserved_tag(k) or k in wanted
        }
        if not scoped["tags"]:
            del scoped["tags"]
    _drop_unwritten(scoped, "", False, written, live_form)
    return scoped


def _drop_unwritten(node: dict[str, Any], path: str, keyed: bool, written: set[str],
                    endpoint: Mapping[str, Any]) -> None:
    """Remove server-chosen fields (and secret references whose plaintext twin the manifest
    uses) that the manifest does not write."""
    for key in list(node):
        child = f"{path}[{key}]" if keyed else (f"{path}.{key}" if path else key)
        if not keyed and child not in written:
            server_chosen = any(
                normalise.condition_holds(rule, node, endpoint)
                for rule in fields.rules_for(child, FieldClass.SERVER_CHOSEN)
            )
            if server_chosen or f"{child}_plaintext" in written:
                del node[key]
                continue
        value = node[key]
        if isinstance(value, dict):
            _drop_unwritten(value, child, not keyed and key in fields.KEYED_LISTS, written,
                            endpoint)
            if not value:
                del node[key]


def _get(data: Any, segments: list[Any]) -> Any:
    for seg in segments:
        if not isinstance(data, Mapping) or seg not in data:
            return None
        data = data[seg]
    return data


RawChange = tuple[list[str], Any, Any]


def _raw_changes(
    old: Mapping[str, Any], new: Mapping[str, Any], prefix: tuple[str, ...] = ()
) -> list[RawChange]:
    """(segments, old, new) for every difference; a changed list is reported whole."""
    if old == new:
        return []
    if not old or not new:
        return _split(old, new, prefix)
    # ignore_private_variables: deepdiff skips keys starting with "__" by default (a tag
    # key may well start so).
    diff = DeepDiff(old, new, view="tree", verbose_level=2, ignore_private_variables=False)
    seen: set[tuple[str, ...]] = set()
    out: list[RawChange] = []
    for report_type in sorted(diff.keys()):
        for level in diff[report_type]:
            segments = level.path(output_format="list")
            cut = next((i for i, s in enumerate(segments) if isinstance(s, int)), None)
            if cut is not None:
                segments = segments[:cut]
            key = tuple(str(s) for s in segments)
            if key in seen:
                continue
            seen.add(key)
            before, after = _get(old, list(key)), _get(new, list(key))
            if isinstance(before, Mapping) and isinstance(after, Mapping):
                out.extend(_split(before, after, (*prefix, *key)))
            else:
                out.append(([*prefix, *key], before, after))
    out.sort(key=lambda item: item[0])
    return out


def _split(
    old: Mapping[str, Any], new: Mapping[str, Any], prefix: tuple[str, ...]
) -> list[RawChange]:
    """Key by key: deepdiff reports two dicts with no key in common (or an empty one) as a
    single change of the whole value; we want one change per key."""
    out: list[RawChange] = []
    for key in sorted(old.keys() | new.keys()):
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        if isinstance(before, Mapping) and isinstance(after, Mapping):
            out.extend(_raw_changes(before, after, (*prefix, key)))
        else:
            out.append(([*prefix, key], before, after))
    return out


def _default_for(path: str, parent: Any, endpoint_name: str) -> Any:
    if not isinstance(parent, Mapping):
        return None
    for rule in fields.rules_for(path, FieldClass.DEFAULT):
        if normalise.condition_holds(rule, parent):
            default = endpoint_name if rule.default == fields.ENDPOINT_NAME else rule.default
            if not (isinstance(default, str) and default.startswith("<")):
                return default
    return None


def _field_change(
    segments: list[str], old: Any, new: Any, live_form: Mapping[str, Any],
    desired_form: Mapping[str, Any], endpoint_name: str,
) -> FieldChange:
    path = fields.render_path(segments)
    spec = FACET_BY_KEY.get(segments[0])
    facet = None if spec is None else spec.name
    impact: Impact = "recreate" if spec is None else spec.impact
    origin = None
    # A side that is absent because it equals the server default shows the default; whether
    # a conditional default applies is judged on that side's holder (its entity, its block).
    if old is None or new is None:
        parent = _get(live_form if old is None else desired_form, segments[:-1])
        other_parent = _get(desired_form if old is None else live_form, segments[:-1])
        default = _default_for(path, parent if parent is not None else other_parent,
                               endpoint_name)
        if default is not None:
            origin = "server default"
            old, new = (default, new) if old is None else (old, default)
    for rule in fields.rules_for(path, FieldClass.RECREATE_ONLY):
        if rule.when != "live_set" or old is not None:
            impact = "recreate"
            origin = rule.why
    return FieldChange(path=path, old=old, new=new, impact=impact, facet=facet, origin=origin)


def _kind(entities: Mapping[str, Any]) -> str | None:
    if not entities:
        return None
    external = [isinstance(e, Mapping) and "external_model" in e for e in entities.values()]
    return "external" if all(external) else "model" if not any(external) else "mixed"


def compare_endpoint(
    endpoint: ServingEndpoint, live: LiveEndpoint, owner: Owner | str
) -> EndpointDiff:
    """The differences that matter between a manifest and its live endpoint (``owner``: the
    project whose ownership tags the endpoint should carry). Pure.

    The live side is the view's ``effective_raw()``: with a config update in flight, the
    pending config (what the endpoint will run; comparing the old active config would plan
    the same update a second time)."""
    body = desired_body(endpoint, owner)
    live_body = normalise.project(live.effective_raw(), ServingEndpoint) or {}
    live_body.pop("smoke_test", None)  # ours alone: a server that sends one is ignored
    names = match_entity_names(_entities(body), _entities(live_body))
    desired_form = normalise.minimal_form(body, endpoint.name, names)
    live_form = normalise.minimal_form(live_body, endpoint.name)
    written = normalise.written_paths(body, names)
    scoped = _scope_live(
        copy.deepcopy(live_form), written, desired_form, uses_legacy_rate_limits(endpoint)
    )
    changes = [
        _field_change(segments, old, new, scoped, desired_form, endpoint.name)
        for segments, old, new in _raw_changes(scoped, desired_form)
    ]
    # A side dropped as a default shows the default: when that equals the other side (a
    # conditional default judged differently on the two sides, e.g. workload_size "Small"
    # beside a concurrency range the service echoes), there is nothing to change.
    changes = [c for c in changes if c.old != c.new]
    changes = _mark_kind_change(changes, scoped, desired_form)
    # Recreate-only top-level fields first, then facet by facet in apply order.
    changes.sort(key=lambda c: (FACET_ORDER.index(c.facet) + 1 if c.facet else 0, c.path))
    return EndpointDiff(endpoint.name, tuple(changes), desired_form, live_form)


def _mark_kind_change(
    changes: list[FieldChange], live_form: Mapping[str, Any], desired_form: Mapping[str, Any]
) -> list[FieldChange]:
    live_kind = _kind(_get(live_form, ["config", "served_entities"]) or {})
    desired_kind = _kind(_get(desired_form, ["config", "served_entities"]) or {})
    if live_kind is None or desired_kind is None or live_kind == desired_kind:
        return changes
    prefix = "config.served_entities"
    return [
        c.model_copy(update={"impact": "recreate", "origin": KIND_CHANGE_NOTE})
        if c.path == prefix or c.path.startswith(prefix + "[")
        else c
        for c in changes
    ]
