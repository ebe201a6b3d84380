"""Validation results as text, JSON or GitHub workflow annotations, and the rule list.

Text lines are ``file:line:col: error RULE-ID message`` (what editors and CI log parsers
understand). The JSON document is a contract: ``schema_version`` 1, documented in
docs/manifests.md, changed only by bumping the version.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import click

from reconciler.validation.issues import Issue, ValidationReport
from reconciler.validation.rules import Rule

JSON_SCHEMA_VERSION = 1
_SEVERITY_COLOUR = {"error": "red", "warning": "yellow"}


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary(report: ValidationReport) -> str:
    checked = f"{_plural(len(report.files), 'file')}, {_plural(len(report.endpoints), 'endpoint')}"
    if not report.issues:
        return f"{checked}: no problems"
    counts = f"{_plural(len(report.errors), 'error')}, {_plural(len(report.warnings), 'warning')}"
    strict = " (--strict: warnings fail)" if report.strict and report.warnings else ""
    return f"{checked}: {counts}{strict}"


def text_line(issue: Issue, colour: bool = False) -> str:
    where = str(issue.location) if issue.location is not None else "reconciler"
    severity: str = issue.severity
    if colour:
        severity = click.style(severity, fg=_SEVERITY_COLOUR[severity], bold=True)
        where = click.style(where, bold=True)
    return f"{where}: {severity} {issue.rule} {issue.message}"


def render_text(report: ValidationReport, colour: bool = False) -> str:
    lines = [text_line(issue, colour) for issue in report.issues]
    lines.append(summary(report))
    return "\n".join(lines)


def issue_json(issue: Issue) -> dict[str, Any]:
    loc = issue.location
    return {
        "rule": issue.rule,
        "severity": issue.severity,
        "message": issue.message,
        "file": loc.file if loc else None,
        "line": loc.line if loc else None,
        "column": loc.column if loc else None,
        "path": issue.dotted_path(),
    }


def render_json(report: ValidationReport) -> str:
    document = {
        "schema_version": JSON_SCHEMA_VERSION,
        "ok": report.ok,
        "strict": report.strict,
        "summary": {
            "files": len(report.files),
            "endpoints": len(report.endpoints),
            "errors": len(report.errors),
            "warnings": len(report.warnings),
        },
        "files": list(report.files),
        "endpoints": list(report.endpoints),
        "issues": [issue_json(issue) for issue in report.issues],
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(report: ValidationReport) -> str:
    """``::error file=...,line=...,col=...,title=RULE::message`` workflow commands."""
    lines = []
    for issue in report.issues:
        props = []
        if issue.location is not None:
            loc = issue.location
            props += [f"file={_escape_property(loc.file)}", f"line={loc.line}", f"col={loc.column}"]
        props.append(f"title={_escape_property(issue.rule)}")
        lines.append(f"::{issue.severity} {','.join(props)}::{_escape_data(issue.message)}")
    lines.append(summary(report))
    return "\n".join(lines)


def render(report: ValidationReport, fmt: str, colour: bool = False) -> str:
    if fmt == "json":
        return render_json(report)
    if fmt == "github":
        return render_github(report)
    return render_text(report, colour)


def render_rules(rules: Sequence[Rule], fmt: str) -> str:
    """The rule catalogue: ``ID  severity  layer  title`` lines, or a JSON list."""
    if fmt == "json":
        items = [
            {"id": r.id, "severity": r.severity, "layer": r.layer, "title": r.title} for r in rules
        ]
        return json.dumps({"schema_version": JSON_SCHEMA_VERSION, "rules": items}, indent=2)
    return "\n".join(f"{r.id:<13} {r.severity:<8} {r.layer:<10} {r.title}" for r in rules)
