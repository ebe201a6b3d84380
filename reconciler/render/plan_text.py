"""The plan as terminal text, in the shape Terraform users read every day.

    Plan for project acme-genai, target prod (https://dbc-456.cloud.databricks.com)

    + create chat-endpoint  (endpoints/chat.yaml:1)
        + config.served_entities[gpt-4o].external_model.name = "gpt-4o"
    ~ update embeddings (config, tags)
        ~ config.served_entities[e5].workload_size: "Small" -> "Medium"  (rolling)
    -/+ recreate legacy: recreate-only change: route_optimized
    - delete old-endpoint: owned by project 'acme-genai' and in no manifest (--prune)
    ! blocked other: needs recreate (route_optimized): pass --allow-recreate ...

    = 5 unchanged: a, b, c, d, e

    Plan: 1 to create, 1 to update, 1 to recreate, 1 to delete, 5 unchanged, 1 blocked.

Colour (click.style) only when the caller asks for it; the CLI decides from the terminal
and NO_COLOR. Values are masked (reconciler.render.redact). Pure: returns a string.
"""

from __future__ import annotations

import click

from reconciler.planning.plan import EndpointAction, Plan
from reconciler.render import service_plan
from reconciler.render.plan_lines import change_lines, format_line
from reconciler.render.redact import safe_text

SIGNS = {"create": "+", "update": "~", "recreate": "-/+", "delete": "-", "no-op": "="}
COLOURS = {"+": "green", "~": "yellow", "-/+": "magenta", "-": "red", "!": "red", "=": None}
# No-op reasons too ordinary to list one by one: they are only counted.
QUIET_REASONS = ("up to date", "not selected")
# Beyond this many, unchanged endpoints are only counted.
MAX_NAMES_LISTED = 8


def _style(text: str, sign: str, color: bool, bold: bool = False) -> str:
    colour = COLOURS.get(sign)
    if not color or colour is None:
        return text
    return click.style(text, fg=colour, bold=bold)


def summary_line(plan: Plan) -> str:
    counts = plan.counts()
    line = (
        f"Plan: {counts['create']} to create, {counts['update']} to update, "
        f"{counts['recreate']} to recreate, {counts['delete']} to delete, "
        f"{counts['no-op']} unchanged"
    )
    if counts["not selected"]:
        line += f", {counts['not selected']} not selected"
    if counts["blocked"]:
        line += f", {counts['blocked']} blocked"
    return line + "."


def header_line(plan: Plan) -> str:
    if plan.target_host:
        where = f" ({plan.target_host})"
    elif plan.target_local:
        where = f" (local registry {plan.target_local})"
    else:
        where = ""
    return f"Plan for project {plan.project}, target {plan.target_name}{where}"


def _is_quiet(action: EndpointAction) -> bool:
    return (
        action.action == "no-op" and not action.blocked
        and action.reason.startswith(QUIET_REASONS) and not action.pending_config_version
    )


def _action_heading(action: EndpointAction) -> tuple[str, str]:
    if action.blocked:
        return "!", f"! blocked {action.name}: {safe_text(action.reason)}"
    sign = SIGNS[action.action]
    text = f"{sign} {action.action} {action.name}"
    if action.facets and action.action == "update":
        text += f" ({', '.join(action.facets)})"
    if action.reason and action.action != "create":
        text += f": {safe_text(action.reason)}"
    if action.source and action.action == "create":
        text += f"  ({action.source})"
    return sign, text


def render_action(action: EndpointAction, *, color: bool = False) -> list[str]:
    sign, heading = _action_heading(action)
    lines = [_style(heading, sign, color, bold=True)]
    if action.action == "delete":
        return lines
    with_impact = action.action != "create"
    for change in action.changes:
        for line in change_lines(change, with_impact=with_impact):
            lines.append("    " + _style(format_line(line), line.sign, color))
    return lines


def render_plan_text(plan: Plan, *, color: bool = False) -> str:
    """The whole plan as text, ending with the summary line and a newline."""
    out = [header_line(plan), ""]
    for action in plan.actions:
        if not _is_quiet(action):
            out.extend(render_action(action, color=color))
            out.append("")
    quiet = [a for a in plan.actions if _is_quiet(a)]
    for label, group in (
        ("unchanged", [a.name for a in quiet if a.reason != "not selected"]),
        ("not selected", [a.name for a in quiet if a.reason == "not selected"]),
    ):
        if group:
            names = f": {', '.join(group)}" if len(group) <= MAX_NAMES_LISTED else ""
            out.append(f"= {len(group)} {label}{names}")
    if quiet:
        out.append("")
    if plan.services:
        out.extend(service_plan.text_lines(plan.services))
    if not plan.has_changes:
        out.append("No changes. The workspace matches the manifests.")
    out.append(summary_line(plan))
    if plan.services:
        out.append(service_plan.summary(plan.services))
    return "\n".join(out) + "\n"
