"""The apply report as terminal text or JSON.

    + chat-endpoint: created (waited 5.2s)
    ~ embeddings: updated tags
    ! other: FAILED (stale-plan): stale plan: 'other' changed since the plan was made; ...

    Apply finished: 2 done, 1 failed, 13 unchanged; 21 API calls in 2.3s.

After a stop request (SIGINT, SIGTERM) the endpoints apply did not start are listed too:

      slow-one: not started (update config, tags): apply was stopping; left untouched
    Apply stopped: 1 done, 2 not started, 0 unchanged; 7 API calls in 0.4s.

Errors are masked again here (reconciler.redaction) although the executor already did: the
report may have been built by other code. Pure: returns a string.
"""

from __future__ import annotations

import json

import click

from reconciler.applying.report import ApplyReport, EndpointOutcome
from reconciler.planning.plan import NOT_SELECTED
from reconciler.redaction import redact_data, redact_text
from reconciler.render import rollout

VERBS = {"create": "created", "update": "updated", "recreate": "recreated",
         "delete": "deleted", "no-op": "unchanged"}
SIGNS = {"create": "+", "update": "~", "recreate": "-/+", "delete": "-", "no-op": "="}
COLOURS = {"+": "green", "~": "yellow", "-/+": "magenta", "-": "red", "!": "red"}


def _style(text: str, sign: str, colour: bool) -> str:
    fg = COLOURS.get(sign)
    return click.style(text, fg=fg) if colour and fg else text


def outcome_line(outcome: EndpointOutcome, *, colour: bool = False) -> str:
    text = _outcome_line(outcome, colour=colour)
    if outcome.rollout is not None:
        text = "\n".join([text, *rollout.report_lines(outcome.rollout)])
    return text


def _outcome_line(outcome: EndpointOutcome, *, colour: bool = False) -> str:
    if outcome.status == "rolled-back":
        text = f"! {outcome.name}: ROLLED BACK: {redact_text(outcome.error or '')}"
        return _style(text, "!", colour)
    if outcome.status == "interrupted":
        sent = "; ".join(outcome.requests) or "nothing"
        text = f"! {outcome.name}: INTERRUPTED: {outcome.note or 'stopped at once'} (sent: {sent})"
        return _style(text, "!", colour)
    if outcome.status == "not-started":
        what = outcome.action + (f" {', '.join(outcome.facets)}" if outcome.facets else "")
        return f"  {outcome.name}: not started ({what}): apply was stopping; left untouched"
    if outcome.status == "failed":
        kind = f" ({outcome.failure})" if outcome.failure else ""
        text = f"! {outcome.name}: FAILED{kind}: {redact_text(outcome.error or 'unknown error')}"
        return _style(text, "!", colour)
    sign = SIGNS.get(outcome.action, "~")
    what = VERBS.get(outcome.action, outcome.action)
    if outcome.action == "update" and outcome.facets:
        what += " " + ", ".join(outcome.facets)
    extras = []
    if outcome.waited_seconds is not None:
        extras.append(f"waited {outcome.waited_seconds:.1f}s")
    if outcome.note:
        extras.append(outcome.note)
    if outcome.status == "skipped" and outcome.action != "no-op":
        what = "nothing to do"
    suffix = f" ({'; '.join(extras)})" if extras else ""
    return _style(f"{sign} {outcome.name}: {what}{suffix}", sign, colour)


def summary_line(report: ApplyReport) -> str:
    parts = [f"{len(report.done)} done"]
    if report.failed:
        parts.append(f"{len(report.failed)} failed")
    if report.rolled_back:
        parts.append(f"{len(report.rolled_back)} rolled back")
    if report.interrupted:
        parts.append(f"{len(report.interrupted)} interrupted")
    if report.not_started:
        parts.append(f"{len(report.not_started)} not started")
    # Endpoints left out by --select were not checked: they are not "unchanged".
    not_selected = sum(1 for o in report.skipped if o.note == NOT_SELECTED)
    parts.append(f"{len(report.skipped) - not_selected} unchanged")
    if not_selected:
        parts.append(f"{not_selected} not selected")
    calls = report.calls.get("total", 0)
    if report.stopped is not None:
        head = "Apply stopped at once" if report.stopped == "now" else "Apply stopped"
    else:
        head = "Apply finished" if report.ok else "Apply finished with errors"
    return (f"{head}: {', '.join(parts)}; {calls} API call{'s' if calls != 1 else ''} "
            f"in {report.duration_seconds:.1f}s.")


def render_apply_text(report: ApplyReport, *, colour: bool = False) -> str:
    """Every endpoint that was written or failed, one line each, then the summary."""
    lines = [outcome_line(o, colour=colour) for o in report.outcomes
             if o.status != "skipped" or o.action != "no-op"]
    if report.failed or report.rolled_back or report.interrupted or report.not_started:
        lines += ["", "Run `reconciler plan` to see what is left; `reconciler apply` again "
                  "converges what failed or was not done."]
    return "\n".join([*lines, *([""] if lines else []), summary_line(report)])


def render_apply_json(report: ApplyReport) -> str:
    """The report as JSON (``schema_version`` 1), secrets masked; ``ok`` added for scripts."""
    data = {**report.model_dump(mode="json"), "ok": report.ok}
    return json.dumps(redact_data(data), indent=2) + "\n"
