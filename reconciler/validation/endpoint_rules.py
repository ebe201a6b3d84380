"""Rules about one endpoint: its name, its served entities (names, kinds, scaling) and traffic.

The limits mirror what the service answers with 400 INVALID_PARAMETER_VALUE (API reference
sections 2 and 3), so a manifest that passes here is not refused at apply time. The rest of
an endpoint (rate limits, tags, tables ...) is checked by ``settings_rules``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Sequence

from reconciler.model.diagnostics import FieldPath
from reconciler.model.endpoint import (
    MAX_SERVED_ENTITIES,
    WORKLOAD_TYPES,
    ServedEntity,
    ServedModel,
    ServingEndpoint,
)
from reconciler.model.naming import derived_entity_name
from reconciler.validation.rules import Finding, Rule, ValidationContext

NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]+$")
MAX_NAME_LENGTH = 64
MAX_GATEWAY_RATE_LIMITS = 20
NOT_WITH_EXTERNAL = (
    "entity_name",
    "entity_version",
    "workload_size",
    "workload_type",
    "scale_to_zero_enabled",
    "min_provisioned_concurrency",
    "max_provisioned_concurrency",
    "min_provisioned_throughput",
    "max_provisioned_throughput",
    "provisioned_model_units",
    "burst_scaling_enabled",
)
PROVISIONED = (
    "min_provisioned_throughput",
    "max_provisioned_throughput",
    "provisioned_model_units",
)
CONFIG: FieldPath = ("config",)


def _name_problem(name: str) -> str | None:
    if not name:
        return "must not be empty"
    if len(name) > MAX_NAME_LENGTH:
        return f"is longer than {MAX_NAME_LENGTH} characters"
    if not NAME_PATTERN.match(name):
        return "may contain only letters, digits, dashes and underscores"
    return None


def _entities(ep: ServingEndpoint) -> list[tuple[FieldPath, ServedEntity | ServedModel]]:
    """Served entities, or legacy served models, with their document paths.

    With both lists given (ENDPOINT-003), only ``served_entities`` count, so the one real
    error is not joined by others about an endpoint nobody meant (routes, names, counts).
    """
    if ep.config is None:
        return []
    out: list[tuple[FieldPath, ServedEntity | ServedModel]] = []
    keys = ("served_entities",) if ep.config.served_entities else ("served_models",)
    for key in keys:
        items: Sequence[ServedEntity | ServedModel] = getattr(ep.config, key) or []
        out.extend(((*CONFIG, key, i), item) for i, item in enumerate(items))
    return out


def effective_name(entity: ServedEntity | ServedModel) -> str | None:
    """The entity's name, or the one the service generates when it is omitted."""
    if entity.name:
        return entity.name
    return derived_entity_name(entity.to_wire())


def _check_endpoint_name(ep: ServingEndpoint, _ctx: ValidationContext) -> Iterator[Finding]:
    problem = _name_problem(ep.name)
    if problem:
        yield ("name",), f"endpoint name '{ep.name}' {problem}"
    if ep.config is not None and ep.config.name is not None and ep.config.name != ep.name:
        yield (*CONFIG, "name"), (
            f"config.name '{ep.config.name}' differs from the endpoint name '{ep.name}' (the "
            "SDK writes the endpoint name there; leave it out or make it equal)"
        )


def _check_entity_names(ep: ServingEndpoint, _ctx: ValidationContext) -> Iterator[Finding]:
    seen: dict[str, FieldPath] = {}
    for path, entity in _entities(ep):
        if entity.name is not None:
            problem = _name_problem(entity.name)
            if problem:
                yield (*path, "name"), f"served entity name '{entity.name}' {problem}"
        name = effective_name(entity)
        if name is None:
            continue
        if name in seen:
            first = seen[name]
            derived = "" if entity.name else (
                " (the name the service derives for an unnamed entity: the last part of its "
                "model name and its version); give one of them a 'name'"
            )
            yield (
                (*path, "name"),
                f"served entity name '{name}' is already used by "
                f"config.{first[1]}[{first[2]}]{derived}",
            )
        else:
            seen[name] = path


def _check_entity_set(ep: ServingEndpoint, _ctx: ValidationContext) -> Iterator[Finding]:
    config = ep.config
    if config is None:
        return
    if config.served_entities and config.served_models:
        yield (*CONFIG, "served_models"), "give served_entities or served_models, not both"
    items = config.served_entities or config.served_models or []
    if not items:
        yield CONFIG, "config needs at least one served entity"
    if len(items) > MAX_SERVED_ENTITIES:
        key = "served_entities" if config.served_entities else "served_models"
        yield (
            (*CONFIG, key, MAX_SERVED_ENTITIES),
            (f"at most {MAX_SERVED_ENTITIES} served entities per endpoint, got {len(items)}"),
        )


def _check_kinds(ep: ServingEndpoint, _ctx: ValidationContext) -> Iterator[Finding]:
    entities = ep.served_entities()
    external = [e for e in entities if e.external_model is not None]
    if external and len(external) != len(entities):
        first_other = next(i for i, e in enumerate(entities) if e.external_model is None)
        yield (
            (*CONFIG, "served_entities", first_other),
            ("external models cannot be mixed with custom or foundation models in one endpoint"),
        )
    tasks: dict[str, int] = {}
    for i, entity in enumerate(entities):
        task = entity.external_model.task if entity.external_model else None
        if task and tasks and task not in tasks:
            first = next(iter(tasks))
            yield (
                (*CONFIG, "served_entities", i, "external_model", "task"),
                (
                    f"task '{task}' differs from '{first}' of served_entities[{tasks[first]}]; all "
                    "external models of an endpoint share one task"
                ),
            )
        if task:
            tasks.setdefault(task, i)


def _check_external_entity(ep: ServingEndpoint, _ctx: ValidationContext) -> Iterator[Finding]:
    for i, entity in enumerate(ep.served_entities()):
        if entity.external_model is None:
            continue
        for field in NOT_WITH_EXTERNAL:
            if getattr(entity, field) is not None:
                yield (
                    (*CONFIG, "served_entities", i, field),
                    (f"'{field}' cannot be set on an external model (the provider serves it)"),
                )


def _check_model_entity(ep: ServingEndpoint, _ctx: ValidationContext) -> Iterator[Finding]:
    for path, entity in _entities(ep):
        if isinstance(entity, ServedModel):
            for field in ("model_name", "model_version"):
                if not getattr(entity, field):
                    yield path, f"a served model needs '{field}'"
        elif entity.external_model is None and not entity.entity_name:
            yield path, "a served entity needs 'external_model' or 'entity_name'"


def _check_scaling(ep: ServingEndpoint, _ctx: ValidationContext) -> Iterator[Finding]:
    for path, entity in _entities(ep):
        if isinstance(entity, ServedEntity) and entity.external_model is not None:
            continue
        low = getattr(entity, "min_provisioned_concurrency", None)
        high = getattr(entity, "max_provisioned_concurrency", None)
        if entity.workload_size is not None and (low is not None or high is not None):
            yield (
                (*path, "workload_size"),
                ("workload_size cannot be combined with min/max_provisioned_concurrency"),
            )
        if low is not None and high is not None and low > high:
            yield (
                (*path, "min_provisioned_concurrency"),
                (f"min_provisioned_concurrency {low} is above max_provisioned_concurrency {high}"),
            )
        provisioned = any(getattr(entity, f, None) is not None for f in PROVISIONED)
        if entity.scale_to_zero_enabled is None and not provisioned:
            yield path, "set scale_to_zero_enabled to true or false (the service requires it)"
        if entity.workload_type is not None and entity.workload_type not in WORKLOAD_TYPES:
            yield (
                (*path, "workload_type"),
                f"workload_type '{entity.workload_type}' is not one of "
                + ", ".join(WORKLOAD_TYPES),
            )


def _check_routes(ep: ServingEndpoint, _ctx: ValidationContext) -> Iterator[Finding]:
    config = ep.config
    if config is None:
        return
    names = {effective_name(e) for _p, e in _entities(ep)}
    traffic = config.traffic_config
    if traffic is None or traffic.routes is None:
        if len(_entities(ep)) > 1:
            yield CONFIG, "more than one served entity needs a traffic_config"
        return
    seen: set[str] = set()
    total = 0
    for i, route in enumerate(traffic.routes):
        where = (*CONFIG, "traffic_config", "routes", i)
        entity, model = route.served_entity_name, route.served_model_name
        if entity and model and entity != model:
            yield where, "served_entity_name and served_model_name differ"
        target = entity or model
        if route.traffic_percentage is None:
            yield where, "a route needs 'traffic_percentage'"
        elif not 0 <= route.traffic_percentage <= 100:
            yield (*where, "traffic_percentage"), "traffic_percentage is between 0 and 100"
        else:
            total += route.traffic_percentage
        if not target:
            yield where, "a route needs 'served_entity_name'"
        elif target not in names:
            known = ", ".join(sorted(n for n in names if n)) or "none"
            key = "served_entity_name" if entity else "served_model_name"
            close = difflib.get_close_matches(target, [n for n in names if n], n=1)
            hint = f"; did you mean '{close[0]}'?" if close else f" (entities: {known})"
            yield (*where, key), f"no served entity is named '{target}'{hint}"
        elif target in seen:
            yield where, f"more than one route for '{target}'"
        if target:
            seen.add(target)
    if (
        traffic.routes
        and total != 100
        and all(r.traffic_percentage is not None for r in traffic.routes)
    ):
        yield (
            (*CONFIG, "traffic_config", "routes"),
            (f"traffic percentages add up to {total}, not 100"),
        )


ENDPOINT_RULES: tuple[Rule, ...] = (
    Rule(
        "ENDPOINT-001",
        "Endpoint names use letters, digits, `-` and `_`, at most 64; `config.name`, "
        "when given, is the endpoint's name.",
        "endpoint",
        check=_check_endpoint_name,
    ),
    Rule(
        "ENDPOINT-002",
        "Served entity names are valid and unique in the endpoint (omitted "
        "names count as the name the service generates).",
        "endpoint",
        check=_check_entity_names,
    ),
    Rule(
        "ENDPOINT-003",
        "A config has 1 to 15 served entities, and not both `served_entities` and `served_models`.",
        "endpoint",
        check=_check_entity_set,
    ),
    Rule(
        "ENDPOINT-004",
        "External models are not mixed with other entities, and all share one task.",
        "endpoint",
        check=_check_kinds,
    ),
    Rule(
        "ENDPOINT-005",
        "An external-model entity sets no entity, workload, scaling or "
        "provisioned-throughput fields.",
        "endpoint",
        check=_check_external_entity,
    ),
    Rule(
        "ENDPOINT-006",
        "A non-external entity names its model (`entity_name`; legacy "
        "`model_name` and `model_version`).",
        "endpoint",
        check=_check_model_entity,
    ),
    Rule(
        "ENDPOINT-007",
        "Scaling: `workload_size` or a concurrency range (min <= max), "
        "`scale_to_zero_enabled` given, a known `workload_type`.",
        "endpoint",
        check=_check_scaling,
    ),
    Rule(
        "ENDPOINT-008",
        "Traffic routes name existing entities once each and add up to 100; "
        "several entities need a traffic_config.",
        "endpoint",
        check=_check_routes,
    ),
)
