"""Text and Markdown lines for the Unity AI Gateway part of a plan (``Plan.services``).

Values go through the same masking as endpoint changes; a secret's digest change is shown
as ``(sensitive)`` only. Pure: returns strings.
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.planning.service_plan import ServiceAction
from reconciler.redaction import redact_data
from reconciler.render.redact import safe_text

SIGNS = {"create": "+", "update": "~", "delete": "-", "no-op": "="}


def _value(value: Any) -> str:
    if value is None:
        return "(none)"
    return safe_text(json.dumps(redact_data(value), ensure_ascii=False, sort_keys=True))


def heading(action: ServiceAction) -> str:
    label = f"{action.kind} {action.name}"
    if action.blocked:
        return f"! blocked {label}: {safe_text(action.reason)}"
    text = f"{SIGNS[action.action]} {action.action} {label}"
    if action.mask:
        text += f" (update_mask: {','.join(action.mask)})"
    if action.reason and action.action not in ("create", "no-op"):
        text += f": {safe_text(action.reason)}"
    if action.source and action.action == "create":
        text += f"  ({action.source})"
    return text


def detail_lines(action: ServiceAction) -> list[str]:
    lines = []
    for change in action.changes:
        if action.action == "create":
            lines.append(f"+ {change.path} = {_value(change.after)}")
        else:
            outside = "  (changed outside the repository)" if change.cause == "drift" else ""
            lines.append(f"~ {change.path}: {_value(change.before)} -> {_value(change.after)}"
                         f"{outside}")
    # An existing service's grant differences are among its changes (grants[principal]).
    for grant in action.grant_changes if action.action == "create" else []:
        for verb, sign in (("add", "+"), ("remove", "-")):
            if grant.get(verb):
                lines.append(f"{sign} grants.{grant['principal']}: {', '.join(grant[verb])}")
    return lines


def text_lines(actions: list[ServiceAction]) -> list[str]:
    out: list[str] = []
    unchanged = [a.name for a in actions if not a.has_changes]
    for action in actions:
        if action.has_changes:
            out.append(heading(action))
            out.extend("    " + line for line in detail_lines(action))
            out.append("")
    if unchanged:
        out.extend([f"= {len(unchanged)} services unchanged: {', '.join(unchanged)}", ""])
    return out


def summary(actions: list[ServiceAction]) -> str:
    counts = {k: sum(1 for a in actions if a.action == k and not a.blocked)
              for k in SIGNS}
    blocked = sum(1 for a in actions if a.blocked)
    grants = sum(1 for a in actions if a.action == "no-op" and a.grant_changes)
    line = (f"Services: {counts['create']} to create, {counts['update']} to update, "
            f"{counts['delete']} to delete, {counts['no-op'] - grants} unchanged")
    if grants:
        line += f", {grants} with grant changes only"
    if blocked:
        line += f", {blocked} blocked"
    return line + "."


def markdown_lines(actions: list[ServiceAction]) -> list[str]:
    out = ["#### Unity AI Gateway services", "", f"**{summary(actions)}**", ""]
    changed = [a for a in actions if a.has_changes]
    if changed:
        out.extend(["```diff", *(line for a in changed for line in
                                 [heading(a), *("  " + d for d in detail_lines(a))]), "```", ""])
    return out
