"""Both sides of a diff brought to one comparable shape (the "minimal form").

The manifest's wire body and the live GET body differ in ways that are not changes: lists
come back reordered, the server fills defaults, drops write-only fields and adds its own.
``minimal_form`` turns either body into the same shape:

* keyed lists become dicts: served entities and models by name (the manifest side gets the
  server's derived name when it has none), routes by entity name (either route key), tags by
  key, AI Gateway rate limits by ``key`` or ``key:principal``;
* only fields of the manifest model survive (anything else the server sends is output-only);
  output-only and write-only fields of ``FIELD_RULES`` are dropped;
* a field equal to its backend default is dropped, so absent and default compare equal; so is
  the single 100 % route the server adds to a one-entity config;
* ``None``, empty dicts and empty lists are dropped; lists of plain values are sorted.

Pure functions; no I/O.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from reconciler.diff import fields
from reconciler.diff.fields import FieldClass
from reconciler.model.endpoint import ServingEndpoint
from reconciler.model.gateway import RATE_LIMIT_METRICS, rate_limit_slots
from reconciler.model.live import key_tags as key_tags
from reconciler.model.naming import derived_entity_name

_CAPACITY_FIELDS = (
    "min_provisioned_concurrency",
    "max_provisioned_concurrency",
    "min_provisioned_throughput",
    "max_provisioned_throughput",
    "provisioned_model_units",
)


_PROVISIONED_THROUGHPUT = (
    "min_provisioned_throughput", "max_provisioned_throughput", "provisioned_model_units",
)


def is_custom_model(obj: Mapping[str, Any]) -> bool:
    """A model served on the CPU/GPU workload the manifest sizes: not an external model, not
    a ``system.ai.*`` foundation model, and not provisioned throughput (for which the
    service picks the hardware itself, whatever catalog the model is registered in)."""
    if obj.get("external_model") is not None:
        return False
    if any(obj.get(f) is not None for f in _PROVISIONED_THROUGHPUT):
        return False
    entity = obj.get("entity_name") or obj.get("model_name") or ""
    return not (isinstance(entity, str) and entity.startswith("system.ai."))


def _without_capacity(obj: Mapping[str, Any]) -> bool:
    return not any(obj.get(f) is not None for f in _CAPACITY_FIELDS)


def _entity_count(config: Mapping[str, Any]) -> int:
    return max(len(config.get("served_entities") or ()), len(config.get("served_models") or ()))


# Named predicates on the object that holds a field; FieldRule.when refers to them.
CONDITIONS: dict[str, Callable[[Mapping[str, Any]], bool]] = {
    "custom_model": is_custom_model,
    "not_custom_model": lambda o: not is_custom_model(o),
    "without_capacity": _without_capacity,
    "custom_model_without_capacity": lambda o: is_custom_model(o) and _without_capacity(o),
    "single_entity": lambda c: _entity_count(c) == 1,
    "multi_entity": lambda c: _entity_count(c) > 1,
    "sized_by_workload": lambda o: o.get("workload_size") is not None,
}


def is_pt_endpoint(body: Mapping[str, Any]) -> bool:
    """Every served entity of the endpoint (a wire body or its minimal form) is sized in
    provisioned model units: a provisioned-throughput endpoint of the ``/pt`` routes."""
    config = body.get("config")
    entities = config.get("served_entities") if isinstance(config, Mapping) else None
    items = list(entities.values()) if isinstance(entities, Mapping) else list(entities or ())
    return bool(items) and all(
        isinstance(e, Mapping) and e.get("provisioned_model_units") is not None for e in items)


# Named predicates on the whole endpoint (the side being scoped), for fields whose server
# behaviour depends on the kind of endpoint rather than on the object holding them.
ENDPOINT_CONDITIONS: dict[str, Callable[[Mapping[str, Any]], bool]] = {
    "pt_endpoint": is_pt_endpoint,
}


def condition_holds(rule: fields.FieldRule, parent: Mapping[str, Any],
                    endpoint: Mapping[str, Any] | None = None) -> bool:
    if rule.when is None:
        return True
    if rule.when in ENDPOINT_CONDITIONS:
        return endpoint is not None and ENDPOINT_CONDITIONS[rule.when](endpoint)
    predicate = CONDITIONS.get(rule.when)
    # Conditions that need more than the parent (e.g. "live_set") are the planner's.
    return predicate(parent) if predicate is not None else False


# --- projection onto the manifest model ---------------------------------------------------


_DROP = object()


def project(value: Any, annotation: Any) -> Any:
    """``value`` with every key that is not a field of the model ``annotation`` removed.

    A value of the wrong shape (a list where the model has a block, a block where it has a
    string) is dropped too, so whatever a server sends, later steps see the model's shapes.
    """
    out = _project(value, annotation)
    return None if out is _DROP else out


def _project(value: Any, annotation: Any) -> Any:
    if value is None:
        return _DROP
    origin = get_origin(annotation)
    if origin is Annotated:  # model.base.Int / Bool: the plain type underneath
        annotation = get_args(annotation)[0]
        origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        for arg in get_args(annotation):
            if arg is type(None):
                continue
            out = _project(value, arg)
            if out is not _DROP:
                return out
        return _DROP
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if not isinstance(value, dict):
            return _DROP
        model_fields = annotation.model_fields
        projected = {
            k: _project(v, model_fields[k].annotation)
            for k, v in value.items() if k in model_fields
        }
        return {k: v for k, v in projected.items() if v is not _DROP}
    if origin is list:
        if not isinstance(value, list):
            return _DROP
        (item,) = get_args(annotation) or (Any,)
        items = [_project(v, item) for v in value]
        return [v for v in items if v is not _DROP]
    if origin is dict:
        if not isinstance(value, dict):
            return _DROP
        return {str(k): v for k, v in value.items() if isinstance(v, str | int | float | bool)}
    if origin is Literal:
        return value if isinstance(value, str | int | bool) else _DROP
    if annotation is bool:
        return value if isinstance(value, bool) else _DROP
    if annotation is int:
        return value if isinstance(value, int) and not isinstance(value, bool) else _DROP
    if annotation is float:
        return value if isinstance(value, int | float) and not isinstance(value, bool) else _DROP
    if annotation is str:
        if isinstance(value, str):
            return value
        # A version sent back as a number still means the same version.
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else _DROP
    return value


# --- keyed lists ------------------------------------------------------------------------


def entity_identity(entity: Mapping[str, Any]) -> tuple[Any, ...]:
    """What an entity serves, independent of its name (for matching unnamed entities)."""
    external = entity.get("external_model")
    if isinstance(external, Mapping):
        return ("external", external.get("provider"), external.get("name"))
    return (
        "model",
        entity.get("entity_name") or entity.get("model_name"),
        entity.get("entity_version") or entity.get("model_version"),
    )


def route_target(route: Mapping[str, Any]) -> str | None:
    name = route.get("served_entity_name") or route.get("served_model_name")
    return str(name) if name is not None else None


def rate_limit_key(limit: Mapping[str, Any]) -> str:
    key = str(limit.get("key") or "endpoint")
    principal = limit.get("principal")
    return f"{key}:{principal}" if principal else key


def key_rate_limits(limits: list[Any]) -> dict[str, Any]:
    """Rate limits keyed by slot (``model.gateway.rate_limit_slots``): ``user/calls``,
    ``user_group:data-team/tokens``. One entry with both calls and tokens fills two slots, so
    it compares equal to two entries with one each (the service enforces both either way)."""
    out: dict[str, Any] = {}
    for limit in limits:
        if not isinstance(limit, Mapping):
            continue
        rest = {k: v for k, v in limit.items()
                if k not in ("key", "principal", *RATE_LIMIT_METRICS)}
        slots = rate_limit_slots(limit)
        if not slots:  # neither calls nor tokens: kept whole, under its key
            out[rate_limit_key(limit)] = rest
        for _key, _principal, metric in slots:
            out[f"{rate_limit_key(limit)}/{metric}"] = {**rest, metric: limit[metric]}
    return out


def key_entities(entities: list[Any], names: Mapping[int, str] | None = None) -> dict[str, Any]:
    """Entities keyed by name; ``names`` overrides the name of unnamed ones by index."""
    out: dict[str, Any] = {}
    for index, entity in enumerate(entities):
        if not isinstance(entity, Mapping):
            continue
        name = entity.get("name") or (names or {}).get(index) or derived_entity_name(entity)
        body = {k: v for k, v in entity.items() if k != "name"}
        out[str(name)] = body
    return out


def keyed_wire(body: Mapping[str, Any], names: Mapping[int, str] | None = None) -> dict[str, Any]:
    """A wire body (projected) with its keyed lists turned into dicts."""
    out = dict(body)
    if "tags" in out:
        out["tags"] = key_tags(out["tags"])
    config = out.get("config")
    if isinstance(config, Mapping):
        config = dict(config)
        if isinstance(config.get("served_entities"), list):
            config["served_entities"] = key_entities(config["served_entities"], names)
        if isinstance(config.get("served_models"), list):
            config["served_models"] = key_entities(config["served_models"])
        traffic = config.get("traffic_config")
        if isinstance(traffic, Mapping) and isinstance(traffic.get("routes"), list):
            routes = {}
            for route in traffic["routes"]:
                target = route_target(route) if isinstance(route, Mapping) else None
                if target is not None:
                    routes[target] = {"traffic_percentage": route.get("traffic_percentage")}
            config["traffic_config"] = {**traffic, "routes": routes}
        out["config"] = config
    gateway = out.get("ai_gateway")
    if isinstance(gateway, Mapping) and isinstance(gateway.get("rate_limits"), list):
        out["ai_gateway"] = {**gateway, "rate_limits": key_rate_limits(gateway["rate_limits"])}
    return out


# --- the minimal form -------------------------------------------------------------------


def _child_path(path: str, key: str, in_keyed_list: bool) -> str:
    if in_keyed_list:
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _is_marker(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("<") and value.endswith(">")


def _minimise(value: Any, path: str, keyed: bool, endpoint_name: str) -> Any:
    """``keyed``: ``value`` is a keyed list turned dict (its keys are data, not fields)."""
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for k, v in value.items():
            child = _child_path(path, str(k), keyed)
            if not keyed and _dropped(child, v, value, endpoint_name):
                continue
            child_keyed = not keyed and str(k) in fields.KEYED_LISTS
            reduced = _minimise(v, child, child_keyed, endpoint_name)
            if reduced is not None:
                out[str(k)] = reduced
        return out or None
    if isinstance(value, list):
        items = [_minimise(v, path, False, endpoint_name) for v in value]
        items = [i for i in items if i is not None]
        if not items:
            return None
        if all(isinstance(i, str | int | float | bool) for i in items):
            return sorted(items, key=lambda i: (type(i).__name__, i))
        return items
    if isinstance(value, str) and fields.rules_for(path, FieldClass.CASE_INSENSITIVE):
        return value.lower()
    return value


def _dropped(path: str, value: Any, parent: Mapping[str, Any], endpoint_name: str) -> bool:
    if value is None:
        return True
    for rule in fields.rules_for(path):
        if rule.cls in (FieldClass.OUTPUT_ONLY, FieldClass.WRITE_ONLY):
            return True
        if rule.cls is FieldClass.DEFAULT and condition_holds(rule, parent):
            default = endpoint_name if rule.default == fields.ENDPOINT_NAME else rule.default
            if not _is_marker(default) and value == default:
                return True
    return False


def _drop_default_route(form: dict[str, Any]) -> None:
    config = form.get("config")
    if not isinstance(config, dict):
        return
    entities = config.get("served_entities") or config.get("served_models") or {}
    traffic = config.get("traffic_config") or {}
    if len(entities) == 1 and set(traffic) <= {"routes"}:
        (only,) = entities
        if traffic.get("routes", {}) in ({}, {only: {"traffic_percentage": 100}}):
            config.pop("traffic_config", None)


def minimal_form(
    body: Mapping[str, Any], endpoint_name: str, names: Mapping[int, str] | None = None
) -> dict[str, Any]:
    """The comparable form of a wire body (manifest ``to_wire()`` or a projected GET).

    ``names`` gives served entities without a name the name they were matched to live.
    """
    projected = project(dict(body), ServingEndpoint) or {}
    keyed = keyed_wire(projected, names)
    form = _minimise(keyed, "", False, endpoint_name) or {}
    assert isinstance(form, dict)
    _drop_default_route(form)
    return form


def written_paths(body: Mapping[str, Any], names: Mapping[int, str] | None = None) -> set[str]:
    """Every path the manifest writes (before defaults are dropped), in keyed form."""
    keyed = keyed_wire(project(dict(body), ServingEndpoint) or {}, names)
    out: set[str] = set()

    def walk(value: Any, path: str, in_keyed_list: bool) -> None:
        if isinstance(value, Mapping):
            for k, v in value.items():
                if v is None:
                    continue
                child = _child_path(path, str(k), in_keyed_list)
                out.add(child)
                walk(v, child, not in_keyed_list and str(k) in fields.KEYED_LISTS)

    walk(keyed, "", False)
    return out
