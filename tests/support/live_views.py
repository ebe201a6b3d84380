"""Live endpoints from recorded JSON, as the registry hands them to the planner and the diff.

Library code gets ``LiveEndpoint`` views from ``RegistryClient.read_endpoint(s)``; tests that
start from recorded GET bodies (golden cases, fuzzed shapes, emulator dumps) build the same
views here, at their edge, with the registry's one parse.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from reconciler.model.live import LiveEndpoint


def view(body: Mapping[str, Any]) -> LiveEndpoint:
    """One GET body as the registry's view of it."""
    return LiveEndpoint.of(body)


def views(bodies: Mapping[str, Mapping[str, Any]] | Iterable[Mapping[str, Any]],
          ) -> dict[str, LiveEndpoint]:
    """``{name: view}`` from ``{name: body}`` or from a list of bodies (keyed by their name)."""
    if isinstance(bodies, Mapping):
        return {name: LiveEndpoint.of(body) for name, body in bodies.items()}
    return {str(body["name"]): LiveEndpoint.of(body) for body in bodies}
