"""After-write checks for the facets the API writes last-writer-wins (tags, AI Gateway,
notifications, permissions).

Why: apply re-reads an endpoint and refuses a stale action just before writing, but the
API has no compare-and-set for these facets. Two applies that re-read the same endpoint
before either writes would both pass that check, and the second write would silently
replace the first. So after writing, apply reads the endpoint once more and checks that
what it wrote is still there; if another writer's value replaced ours in between, the
endpoint is reported as a conflict (with what to do) instead of "done". Config updates do
not need this: the server refuses a second one with 409 while the first is in progress.

Which facets need this, and how each is compared, is the facet table's (``guarded``,
``lost`` in ``reconciler.diff.facets``). ``read_back`` makes the fresh view: the endpoint's
GET body, plus, for a facet read apart (permissions: its own API keyed by the endpoint's id),
the GET of that facet under its key. ``overwritten`` compares it with what was written (pure).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.diff.facets import facet_of_step
from reconciler.model.steps import PlanStep
from reconciler.registry.client import RegistryClient


@dataclass(frozen=True)
class Written:
    """One accepted last-writer-wins write: the step, the body sent, the server's answer."""

    step: PlanStep
    body: Mapping[str, Any] | None
    answer: Mapping[str, Any]


def needs_verifying(step: PlanStep) -> bool:
    """The step writes a facet the table says to read back (last-writer-wins)."""
    spec = facet_of_step(step)
    return spec is not None and spec.verified


def overwritten(writes: list[Written], fresh: Mapping[str, Any] | None) -> list[str]:
    """The facets (with the tag keys) whose value we wrote is no longer the live one."""
    if fresh is None:
        return ["the endpoint (deleted)"] if writes else []
    lost: list[str] = []
    for write in writes:
        spec = facet_of_step(write.step)
        if spec is not None:
            lost.extend(spec.lost(write.body, write.answer, fresh))
    return lost


async def read_back(registry: RegistryClient, name: str,
                    writes: list[Written]) -> dict[str, Any] | None:
    """The fresh view ``overwritten`` compares with: the endpoint's GET body (None: deleted)
    and, for each facet written that is read apart, its own read under its key. The id is
    the endpoint's as read now: an endpoint replaced meanwhile shows the new one's state."""
    view = await registry.read_endpoint(name)
    if view is None:
        return None
    fresh = dict(view.raw)
    endpoint_id = view.id
    if not endpoint_id:
        return fresh
    for write in writes:
        spec = facet_of_step(write.step)
        if spec is not None and spec.read_apart:  # never the GET body's: always read
            fresh[spec.key] = await registry.read_back(write.step, endpoint_id)
    return fresh
