"""The ``reconciler test`` report as terminal text, JSON or Markdown.

    ok   chat-endpoint            llm/v1/chat         42 ms
    FAIL embeddings               llm/v1/embeddings   12 ms  401 UNAUTHENTICATED: ...
    skip custom-model             a custom-model endpoint needs smoke_test.request ...

    3 endpoints: 1 passed, 1 failed, 1 skipped in 0.1s.

Messages are masked again here (reconciler.redaction), as every renderer does. Pure.
"""

from __future__ import annotations

import json

import click

from reconciler.applying.report import SmokeResult
from reconciler.applying.smoke import SmokeReport
from reconciler.redaction import redact_data, redact_text

MARKS = {"passed": "ok", "failed": "FAIL", "skipped": "skip"}
COLOURS = {"passed": "green", "failed": "red", "skipped": "yellow"}


def failure_text(result: SmokeResult) -> str:
    """``401 UNAUTHENTICATED: message`` (what a failure shows, masked)."""
    return redact_text(result.describe())


def _latency(result: SmokeResult) -> str:
    return "" if result.latency_ms is None else f"{result.latency_ms:.0f} ms"


def summary(report: SmokeReport) -> str:
    total = len(report.results)
    noun = "query" if total == 1 else "queries"
    return (f"{total} smoke {noun}: {report.count('passed')} passed, "
            f"{report.count('failed')} failed, {report.count('skipped')} skipped "
            f"in {report.duration_seconds:.1f}s.")


def render_smoke_text(report: SmokeReport, *, colour: bool = False) -> str:
    width = max((len(r.label) for r in report.results), default=0)
    lines = []
    for result in report.results:
        mark = MARKS[result.result]
        detail = (redact_text(result.message or "") if result.result == "skipped"
                  else failure_text(result) if result.result == "failed" else "")
        line = (f"{mark:<4} {result.label:<{width}}  {result.task or '-':<18} "
                f"{_latency(result):>8}  {detail}").rstrip()
        lines.append(click.style(line, fg=COLOURS[result.result]) if colour else line)
    if not report.results:
        lines.append("No endpoints selected.")
    lines.append("")
    lines.append(summary(report))
    return "\n".join(lines)


def render_smoke_json(report: SmokeReport) -> str:
    data = {**report.model_dump(mode="json"), "ok": report.ok,
            "passed": report.count("passed"), "failed": report.count("failed"),
            "skipped": report.count("skipped")}
    return json.dumps(redact_data(data), indent=2) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_smoke_markdown(report: SmokeReport) -> str:
    verdict = "passed" if report.ok else "failed"
    lines = [f"### Smoke test of `{report.target_name}`: {verdict}", "",
             "| endpoint | result | task | latency | detail |", "|---|---|---|---|---|"]
    for result in report.results:
        detail = failure_text(result) if result.result == "failed" else redact_text(
            result.message or "")
        lines.append(f"| `{_cell(result.label)}` | {result.result} | {result.task or '-'} | "
                     f"{_latency(result)} | {_cell(detail)} |")
    lines += ["", summary(report), ""]
    return "\n".join(lines)
