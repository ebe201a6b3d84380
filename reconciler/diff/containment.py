"""Is what a write set still live? Comparisons for the last-writer-wins facets. Pure.

Used after writing (``reconciler.applying.verification`` through the facet table): the API has
no compare-and-set for these facets, so apply reads the endpoint once more and checks that what
it wrote is still there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_ABSENT = object()


def lost_tags(body: Mapping[str, Any], fresh: Mapping[str, Any]) -> list[str]:
    """Keys of a tags PATCH ``body`` whose effect is no longer live in ``fresh``."""
    live = {t.get("key"): t.get("value") for t in fresh.get("tags") or []
            if isinstance(t, dict)}
    lost = [str(tag.get("key")) for tag in body.get("add_tags") or []
            if isinstance(tag, dict) and live.get(tag.get("key"), _ABSENT) != tag.get("value")]
    lost += [str(key) for key in body.get("delete_tags") or [] if key in live]
    return lost


def _empty(value: Any) -> bool:
    return value is None or value == [] or value == {}


def contained(expected: Any, actual: Any) -> bool:
    """``actual`` holds everything ``expected`` does (extra server fields allowed; empty
    values match absent ones, as the API omits empty lists)."""
    if isinstance(expected, Mapping):
        if _empty(actual) and all(_empty(v) for v in expected.values()):
            return True
        if not isinstance(actual, Mapping):
            return False
        return all((_empty(v) and k not in actual) or contained(v, actual.get(k))
                   for k, v in expected.items())
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return _empty(expected) and _empty(actual)
        remaining = list(actual)
        for item in expected:
            match = next((i for i, a in enumerate(remaining) if contained(item, a)), None)
            if match is None:
                return False
            remaining.pop(match)
        return True
    return bool(expected == actual)
