"""``plan --format markdown``: a pull-request comment, of bounded size.

A heading with project and target, one summary table (endpoint, action, facets, impact,
reason), then one collapsed ``<details>`` block per changed endpoint holding a ``diff``
code block (GitHub colours its ``+`` and ``-`` lines; an in-place change is shown as a
``-`` line and a ``+`` line). Values are masked (reconciler.render.redact). Pure.

GitHub refuses a comment over 65,536 characters, and a plan of 400 creates is about 260,000.
So the rendering never exceeds ``limit`` characters: endpoints are listed in a fixed order
(blocked, delete, recreate, update, create; by name within each), the table keeps as many
rows as fit in three quarters of the room, the details blocks as many of those rows as still
fit, and each cut says how many endpoints were left out and where they are (the full plan,
``plan --out FILE``). The same plan always gives the same text.
"""

from __future__ import annotations

import re

from reconciler.planning.plan import EndpointAction, Plan
from reconciler.render import service_plan
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


# GitHub's limit for a comment body is 65,536 characters; the default leaves room for what
# a CI wrapper adds around the plan (a marker, the commit, a run link, an error).
GITHUB_COMMENT_LIMIT = 65_536
DEFAULT_LIMIT = 60_000
# The table stops at this share of the room, so the diffs of the first (most consequential)
# endpoints are still shown when thousands change.
TABLE_SHARE = 0.75
FULL_PLAN = "see the full plan in the artifact (`reconciler plan --out FILE`)"
# Most consequential first: these are kept when a large plan is cut.
_RANK = {"delete": 1, "recreate": 2, "update": 3, "create": 4, "no-op": 5}


def _order(action: EndpointAction) -> tuple[int, str]:
    return (0 if action.blocked else _RANK[action.action], action.name)


def _row(action: EndpointAction) -> str:
    kind = "**blocked**" if action.blocked else action.action
    return (f"| `{_cell(action.name)}` | {kind} | {', '.join(action.facets)} | "
            f"{_impacts(action)} | {_cell(action.reason)} |")


def _endpoints(count: int) -> str:
    return f"{count} more endpoint{'s' if count != 1 else ''}"


def _size(lines: list[str]) -> int:
    return sum(len(line) + 1 for line in lines)


def _unchanged(plan: Plan, room: int) -> list[str]:
    names = sorted(a.name for a in plan.actions if not a.has_changes)
    if not names:
        return []
    listed = ", ".join(f"`{n}`" for n in names)
    if len(names) <= MAX_NAMES_LISTED:
        lines = [f"{len(names)} unchanged: {listed}"]
    else:
        lines = [f"<details><summary>{len(names)} unchanged</summary>", "", listed, "",
                 "</details>"]
    return lines if _size(lines) <= room else [f"{len(names)} unchanged."]


def render_plan_markdown(plan: Plan, *, limit: int = DEFAULT_LIMIT) -> str:
    """The plan as Markdown of at most ``limit`` characters (see the module doc)."""
    out = [f"### {header_line(plan)}", "", f"**{summary_line(plan)}**", ""]
    if plan.services:
        out.extend(service_plan.markdown_lines(plan.services))
    changed = sorted((a for a in plan.actions if a.has_changes), key=_order)
    if not changed:
        if not plan.has_changes:
            out.append("No changes. The workspace matches the manifests.")
        return "\n".join(out) + "\n"
    # Kept free for the cut notes and the unchanged count, whatever is cut.
    reserve = 400
    table = ["| endpoint | action | facets | impact | reason |", "|---|---|---|---|---|"]
    budget = limit - _size(out) - reserve
    used = _size(table)
    rows = 0
    for action in changed:
        row = _row(action)
        if used + len(row) + 1 > budget * TABLE_SHARE:
            break
        table.append(row)
        used += len(row) + 1
        rows += 1
    out.extend([*table, ""])
    if rows < len(changed):
        out.extend([f"**{_endpoints(len(changed) - rows)}: {FULL_PLAN}.**", ""])
    detailed = 0
    for action in changed[:rows]:
        block = _details(action)
        if used + _size(block) > budget:
            break
        out.extend(block)
        used += _size(block)
        detailed += 1
    if detailed < rows:
        out.extend([f"Details of {_endpoints(rows - detailed)}: {FULL_PLAN}.", ""])
    out.extend(_unchanged(plan, limit - _size(out) - 1))
    return "\n".join(out).rstrip("\n") + "\n"
