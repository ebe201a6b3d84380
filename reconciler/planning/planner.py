"""build_plan: manifests + live endpoints + options -> Plan. Pure: no I/O, no clock."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.model.endpoint import ServingEndpoint
from reconciler.planning.plan import Plan

OWNERSHIP_TAG = "reconciler-project"


@dataclass(frozen=True)
class DesiredEndpoint:
    """One endpoint as the manifests declare it (after loading and validation)."""

    endpoint: ServingEndpoint
    # "endpoints/chat.yaml:3" for messages; None when not from a file.
    source: str | None = None


@dataclass(frozen=True)
class PlanOptions:
    project: str
    target_name: str
    target_host: str | None = None
    prune: bool = False
    select: tuple[str, ...] = ()          # empty: every endpoint
    allow_recreate: bool = False
    created_at: str | None = None        # ISO 8601, passed in (planning reads no clock)


def build_plan(
    desired: Sequence[DesiredEndpoint],
    live: Mapping[str, dict[str, Any]],
    options: PlanOptions,
) -> Plan:
    """The plan that makes ``live`` match ``desired``; see docs/diff.md. Pure."""
    raise NotImplementedError("being written")
