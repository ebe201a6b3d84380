"""``plan --format markdown``: a pull-request comment.

A heading with project and target, one summary table (endpoint, action, facets, impact,
reason), then one collapsed ``<details>`` block per changed endpoint holding a ``diff``
code block (GitHub colours its ``+`` and ``-`` lines; an in-place change is shown as a
``-`` line and a ``+`` line). Values are masked (reconciler.render.redact). Pure.
"""

from __future__ import annotations

import re

from reconciler.planning.plan import EndpointAction, Plan
from reconciler.render.plan_lines import ChangeLine, change_lines
from reconciler.render.plan_text import MAX_NAMES_LISTED, header_line, summary_line
from reconciler.render.redact import safe_text


def _cell(text: str) -> str:
    return safe_text(text).replace("|", "\\|").replace("\n", " ")


def _impacts(action: EndpointAction) -> str:
    seen: list[str] = []
    for change in action.changes:
        if change.impact not in seen:
            seen.append(change.impact)
    return ", ".join(seen)


def _diff_lines(line: ChangeLine) -> list[str]:
    note = f"  # {line.note}" if line.note else ""
    if line.sign == "~":
        return [f"- {line.path} = {line.old}{note}", f"+ {line.path} = {line.new}{note}"]
    value = line.new if line.sign == "+" else line.old
    return [f"{line.sign} {line.path} = {value}{note}"]


def _fence(body: str) -> str:
    """A code fence longer than any run of backticks inside the block."""
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    return "`" * max(3, longest + 1)


def _details(action: EndpointAction) -> list[str]:
    body_lines: list[str] = []
    if action.action == "delete":
        body_lines.append(f"- {action.name}  # destroy")
    for change in action.changes:
        for line in change_lines(change, with_impact=action.action != "create"):
            body_lines.extend(_diff_lines(line))
    body = safe_text("\n".join(body_lines))
    fence = _fence(body)
    kind = "blocked" if action.blocked else action.action
    summary = f"{action.name}: {kind}"
    if action.facets and action.action == "update":
        summary += f" ({', '.join(action.facets)})"
    return [
        "<details>",
        f"<summary>{_cell(summary)}</summary>",
        "",
        f"{fence}diff",
        body,
        fence,
        "",
        "</details>",
        "",
    ]


def render_plan_markdown(plan: Plan) -> str:
    out = [f"### {header_line(plan)}", "", f"**{summary_line(plan)}**", ""]
    changed = [a for a in plan.actions if a.has_changes]
    if not changed:
        out.append("No changes. The workspace matches the manifests.")
        return "\n".join(out) + "\n"
    out.extend([
        "| endpoint | action | facets | impact | reason |",
        "|---|---|---|---|---|",
    ])
    for action in changed:
        kind = "**blocked**" if action.blocked else action.action
        out.append(
            f"| `{_cell(action.name)}` | {kind} | {', '.join(action.facets)} | "
            f"{_impacts(action)} | {_cell(action.reason)} |"
        )
    out.append("")
    for action in changed:
        out.extend(_details(action))
    unchanged = [a.name for a in plan.actions if not a.has_changes]
    if unchanged:
        names = ", ".join(f"`{n}`" for n in unchanged)
        if len(unchanged) <= MAX_NAMES_LISTED:
            out.append(f"{len(unchanged)} unchanged: {names}")
        else:
            out.extend([f"<details><summary>{len(unchanged)} unchanged</summary>", "",
                         names, "", "</details>"])
    return "\n".join(out).rstrip("\n") + "\n"
