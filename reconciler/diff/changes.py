"""FieldChange: one difference, in our own vocabulary (deepdiff stays inside reconciler.diff).

It lives in the diff layer because the diff produces it; ``reconciler.planning.plan``
re-exports it as part of the Plan.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from reconciler.model.vocabulary import FACET_ORDER, Facet

__all__ = ["FACET_ORDER", "Cause", "Facet", "FieldChange", "Impact", "PlanModel"]

Impact = Literal["in-place", "rolling", "recreate", "destroy", "create"]
# Which side moved (reconciler.diff.applied_marks): the manifest ("repository"), the live
# endpoint behind the repository's back ("drift"), or no record to tell ("unknown").
Cause = Literal["repository", "drift", "unknown"]


class PlanModel(BaseModel):
    """Frozen and strict: a plan read from a file is exactly what was written."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class FieldChange(PlanModel):
    """One difference between the manifest and the live endpoint.

    ``path`` uses keys, not indexes, for matched lists:
    ``config.served_entities[openai-chat].external_model.name``, ``tags[team]``,
    ``config.traffic_config.routes[openai-chat].traffic_percentage``,
    ``ai_gateway.rate_limits[user_group:data-team/calls].calls``. ``old`` is ``None`` for an
    addition, ``new`` is ``None`` for a removal. Values are normalised (defaults filled,
    server-only fields dropped); ``*_plaintext`` values never appear (they are write-only).
    """

    path: str
    old: Any = None
    new: Any = None
    impact: Impact
    facet: Facet | None = None
    # A short note when the change is not self-explanatory, e.g. "legacy rate_limits".
    origin: str | None = None
    # Set by the planner for changes to an existing endpoint; None for creates and deletes.
    cause: Cause | None = None
