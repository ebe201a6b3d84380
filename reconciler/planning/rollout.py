"""Staged traffic rollouts (``apply --progressive 10,50,100``): the config updates, pure.

For an update whose desired config routes traffic to a served entity that the live config
does not have (a new entity, by name), the rollout is:

1. ``add``: the union of the live and desired entities, the new ones at 0 % and the live
   routes unchanged (entities the manifest keeps are sent as the manifest has them);
2. one ``shift`` per step percentage: each route moves that share of the way from its live
   to its desired percentage (whole percentages adding up to 100, largest remainder);
3. ``final``: exactly the manifest's config (entities it removed go here, last), unless the
   last shift already is that config.

``rollback_body`` is the live config from before the rollout, entities and routes, as one
``PUT .../config`` body. An update that does not move traffic to a new entity is not staged
(``staged_rollout`` returns the reason) and applies as usual.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from reconciler.diff.changes import PlanModel
from reconciler.diff.normalise import project
from reconciler.model.endpoint import ServedEntity

StepKind = Literal["add", "shift", "final"]
CONFIG_KEYS = ("served_entities", "traffic_config", "auto_capture_config")


class RolloutStep(PlanModel):
    """One config update of a staged rollout and the gate that follows it."""

    kind: StepKind
    percent: int | None = None  # how far traffic has moved toward the manifest's split
    routes: dict[str, int]  # served entity -> traffic percentage after this update
    body: dict[str, Any]  # the PUT /config body
    # Who the gate queries: the new entities directly (add), else the endpoint.
    gate_entities: list[str] = []


def parse_steps(text: str) -> list[int]:
    """``"10,50,100"`` -> ``[10, 50, 100]``: increasing whole percentages ending at 100."""
    try:
        steps = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ValueError(f"expected percentages like 10,50,100, got {text!r}") from None
    if not steps or steps[-1] != 100 or any(not 0 < s <= 100 for s in steps) or any(
            b <= a for a, b in itertools.pairwise(steps)):
        raise ValueError(f"steps must be increasing percentages from 1 to 100 ending at 100, "
                         f"got {text!r}")
    return steps


def _entities(config: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(e["name"]): dict(e) for e in config.get("served_entities") or []
            if isinstance(e, Mapping) and e.get("name")}


def _routes(config: Mapping[str, Any], names: Sequence[str]) -> dict[str, int]:
    routes = (config.get("traffic_config") or {}).get("routes") or []
    out = {str(r.get("served_entity_name") or r.get("served_model_name")):
           int(r.get("traffic_percentage") or 0) for r in routes if isinstance(r, Mapping)}
    if not out and len(names) == 1:
        out = {names[0]: 100}  # one entity without traffic_config takes it all
    return out


def _has_plaintext(value: Any) -> bool:
    if isinstance(value, Mapping):
        return any(str(k).endswith("_plaintext") or _has_plaintext(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_plaintext(v) for v in value)
    return False


def blend(live: Mapping[str, int], desired: Mapping[str, int], percent: int) -> dict[str, int]:
    """Routes ``percent`` % of the way from ``live`` to ``desired``, whole, adding up to 100."""
    names = sorted(set(live) | set(desired))
    exact = {n: (live.get(n, 0) * (100 - percent) + desired.get(n, 0) * percent) / 100
             for n in names}
    whole = {n: int(v) for n, v in exact.items()}
    short = 100 - sum(whole.values())
    for name in sorted(names, key=lambda n: (-(exact[n] - whole[n]), n))[:short]:
        whole[name] += 1
    return whole


def _body(entities: Mapping[str, Mapping[str, Any]], routes: Mapping[str, int],
          extra: Mapping[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {k: v for k, v in extra.items() if k == "auto_capture_config"}
    body["served_entities"] = [dict(entities[n]) for n in sorted(entities)]
    body["traffic_config"] = {"routes": [
        {"served_entity_name": n, "traffic_percentage": routes.get(n, 0)}
        for n in sorted(entities)]}
    return body


def _live_input(entity: Mapping[str, Any]) -> dict[str, Any]:
    """A live (GET) entity as a PUT would send it: output-only members dropped."""
    return dict(project(dict(entity), ServedEntity) or {})


def rollback_body(live: Mapping[str, Any]) -> dict[str, Any]:
    """The pre-rollout live config (entities and routes) as one ``PUT .../config`` body."""
    config = live.get("config") or {}
    entities = {n: _live_input(e) for n, e in _entities(config).items()}
    return _body(entities, _routes(config, sorted(entities)), config)


def staged_rollout(live: Mapping[str, Any], desired: Mapping[str, Any],
                   steps: Sequence[int]) -> list[RolloutStep] | str:
    """The staged config updates from ``live`` (a GET body) to ``desired`` (the planned
    ``PUT .../config`` body), or why this update is applied as usual."""
    config = live.get("config") or {}
    if not config:
        return "the endpoint has no active config to roll out from"
    if config.get("served_models") or desired.get("served_models"):
        return "legacy served_models are not staged"
    live_entities = {n: _live_input(e) for n, e in _entities(config).items()}
    wanted = _entities(desired)
    if len(wanted) != len(desired.get("served_entities") or []):
        return "a served entity without a name cannot be staged: name it"
    live_routes = _routes(config, sorted(live_entities))
    desired_routes = _routes(desired, sorted(wanted))
    new = sorted(n for n in wanted if n not in live_entities and desired_routes.get(n, 0) > 0)
    if not new:
        return "no traffic moves to a new served entity"
    if _has_plaintext(desired):
        return ("a *_plaintext key is write-only and could not be restored by a rollback: "
                "use a secret reference to stage this endpoint")
    union = {**live_entities, **wanted}  # kept entities as the manifest has them
    if len(union) > 10:
        return "the live and new entities together exceed 10 served entities"
    plan = [RolloutStep(kind="add", percent=0, routes={**live_routes, **{n: 0 for n in new}},
                        body=_body(union, {**live_routes, **{n: 0 for n in new}}, desired),
                        gate_entities=new)]
    for percent in steps:
        routes = blend(live_routes, desired_routes, percent)
        plan.append(RolloutStep(kind="shift", percent=percent, routes=routes,
                                body=_body(union, routes, desired)))
    final_routes = {n: desired_routes.get(n, 0) for n in wanted}
    if set(union) != set(wanted):
        plan.append(RolloutStep(kind="final", percent=100, routes=final_routes,
                                body=dict(desired)))
    else:  # nothing to remove: the last shift sends the manifest's config itself
        plan[-1] = plan[-1].model_copy(update={"body": dict(desired)})
    return plan
