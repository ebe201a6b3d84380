"""After-write checks for the facets the API writes last-writer-wins (tags, AI Gateway,
notifications).

Why: apply re-reads an endpoint and refuses a stale action just before writing, but the
API has no compare-and-set for these facets. Two applies that re-read the same endpoint
before either writes would both pass that check, and the second write would silently
replace the first. So after writing, apply reads the endpoint once more and checks that
what it wrote is still there; if another writer's value replaced ours in between, the
endpoint is reported as a conflict (with what to do) instead of "done". Config updates do
not need this: the server refuses a second one with 409 while the first is in progress.

Pure: compares request bodies and write answers with a fresh GET body.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.model.steps import PlanStep


@dataclass(frozen=True)
class Written:
    """One accepted last-writer-wins write: the step, the body sent, the server's answer."""

    step: PlanStep
    body: Mapping[str, Any] | None
    answer: Mapping[str, Any]


def needs_verifying(step: PlanStep) -> bool:
    return step.op in ("patch_tags", "put_ai_gateway", "patch_notifications")


def overwritten(writes: list[Written], fresh: Mapping[str, Any] | None) -> list[str]:
    """The facets (with the tag keys) whose value we wrote is no longer the live one."""
    if fresh is None:
        return ["the endpoint (deleted)"] if writes else []
    lost: list[str] = []
    for write in writes:
        match write.step.op:
            case "patch_tags":
                keys = _lost_tags(write.body or {}, fresh)
                if keys:
                    lost.append("tags " + ", ".join(keys))
            case "put_ai_gateway":
                if write.answer and not _contained(write.answer, fresh.get("ai_gateway")):
                    lost.append("ai_gateway")
            case "patch_notifications":
                if write.answer and not _contained(
                    write.answer.get("email_notifications", write.answer),
                    fresh.get("email_notifications"),
                ):
                    lost.append("email_notifications")
            case _:
                pass  # guarded by the service (409 while an update is in progress)
    return lost


def _lost_tags(body: Mapping[str, Any], fresh: Mapping[str, Any]) -> list[str]:
    live = {t.get("key"): t.get("value") for t in fresh.get("tags") or []
            if isinstance(t, dict)}
    lost = [str(tag.get("key")) for tag in body.get("add_tags") or []
            if isinstance(tag, dict) and live.get(tag.get("key"), _ABSENT) != tag.get("value")]
    lost += [str(key) for key in body.get("delete_tags") or [] if key in live]
    return lost


_ABSENT = object()


def _empty(value: Any) -> bool:
    return value is None or value == [] or value == {}


def _contained(expected: Any, actual: Any) -> bool:
    """``actual`` holds everything ``expected`` does (extra server fields allowed; empty
    values match absent ones, as the API omits empty lists)."""
    if isinstance(expected, Mapping):
        if _empty(actual) and all(_empty(v) for v in expected.values()):
            return True
        if not isinstance(actual, Mapping):
            return False
        return all((_empty(v) and k not in actual) or _contained(v, actual.get(k))
                   for k, v in expected.items())
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return _empty(expected) and _empty(actual)
        remaining = list(actual)
        for item in expected:
            match = next((i for i, a in enumerate(remaining) if _contained(item, a)), None)
            if match is None:
                return False
            remaining.pop(match)
        return True
    return bool(expected == actual)
