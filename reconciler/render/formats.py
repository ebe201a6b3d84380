"""One format table per report: ``--format NAME`` -> the renderer, for every command.

Each table maps a format name to a ``Format``: a renderer with one signature,
``(report, RenderOptions) -> str``, and whether the command adds a final newline (the text
forms do; JSON and Markdown documents end themselves). A command builds its ``--format``
choice from the table's keys (``choices``, in table order) and renders through the CLI's one
helper (``cli.options.echo_report``), so a new format is one renderer and one line here, and
no command holds an if/elif over format names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from reconciler.applying.report import ApplyReport
from reconciler.applying.smoke import SmokeReport
from reconciler.model.diagnostics import RuleSpec, ValidationReport
from reconciler.planning.drift import DriftReport
from reconciler.planning.plan import Plan
from reconciler.render import (
    apply_report,
    drift,
    issues,
    plan_json,
    plan_markdown,
    plan_text,
    smoke_report,
)

R = TypeVar("R")


@dataclass(frozen=True)
class RenderOptions:
    """What a renderer may be told besides the report: whether to colour (a terminal)."""

    colour: bool = False


@dataclass(frozen=True)
class Format(Generic[R]):
    render: Callable[[R, RenderOptions], str]
    newline: bool = False  # the command ends the output with a newline (the text forms)


def choices(table: Mapping[str, Format[R]]) -> list[str]:
    """The ``--format`` names of a table, in its order (the first is the default)."""
    return list(table)


PLAN: Mapping[str, Format[Plan]] = {
    "text": Format(lambda plan, o: plan_text.render_plan_text(plan, color=o.colour), True),
    "json": Format(lambda plan, _o: plan_json.render_plan_json(plan)),
    "markdown": Format(lambda plan, _o: plan_markdown.render_plan_markdown(plan)),
}

APPLY: Mapping[str, Format[ApplyReport]] = {
    "text": Format(lambda report, o: apply_report.render_apply_text(report, colour=o.colour),
                   True),
    "json": Format(lambda report, _o: apply_report.render_apply_json(report)),
}

DRIFT: Mapping[str, Format[DriftReport]] = {
    "text": Format(lambda report, _o: drift.render_drift_text(report)),
    "json": Format(lambda report, _o: drift.render_drift_json(report)),
    "markdown": Format(lambda report, _o: drift.render_drift_markdown(report)),
}

ISSUES: Mapping[str, Format[ValidationReport]] = {
    "text": Format(lambda report, o: issues.render_text(report, o.colour), True),
    "json": Format(lambda report, _o: issues.render_json(report), True),
    "github": Format(lambda report, _o: issues.render_github(report), True),
    "markdown": Format(lambda report, _o: issues.render_markdown(report), True),
}

# ``validate --list-rules`` takes validate's --format; GitHub annotations have no rule-list
# form, so that name lists the rules as text.
RULES: Mapping[str, Format[Sequence[RuleSpec]]] = {
    "text": Format(lambda rules, _o: issues.render_rules_text(rules), True),
    "json": Format(lambda rules, _o: issues.render_rules_json(rules), True),
    "github": Format(lambda rules, _o: issues.render_rules_text(rules), True),
    "markdown": Format(lambda rules, _o: issues.render_rules_markdown(rules), True),
}

SMOKE: Mapping[str, Format[SmokeReport]] = {
    "text": Format(lambda report, o: smoke_report.render_smoke_text(report, colour=o.colour),
                   True),
    "json": Format(lambda report, _o: smoke_report.render_smoke_json(report)),
    "markdown": Format(lambda report, _o: smoke_report.render_smoke_markdown(report)),
}
