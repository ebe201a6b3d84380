"""Staged rollouts as text: what ``plan --progressive`` would do, what ``apply`` did.

    chat: staged in 5 config updates
      1. add       a 100 %, b 0 %          gate: b directly, 10 queries
      2. shift 10  a 90 %, b 10 %          gate: endpoint, 10 queries
      ...

Pure: returns strings; values are names and numbers only (nothing to mask).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from reconciler.applying.rollout_report import RolloutReport
from reconciler.planning.rollout import RolloutStep


def routes_text(routes: Mapping[str, int]) -> str:
    return ", ".join(f"{name} {share} %" for name, share in sorted(routes.items()))


def _kind(kind: str, percent: int | None) -> str:
    return f"{kind} {percent}" if kind == "shift" else kind


def preview_lines(name: str, planned: Sequence[RolloutStep] | str, gate_queries: int
                  ) -> list[str]:
    """The steps ``apply --progressive`` would take for one endpoint (or why it would not)."""
    if isinstance(planned, str):
        return [f"  {name}: not staged ({planned}): applied as usual"]
    lines = [f"  {name}: staged in {len(planned)} config updates"]
    for index, step in enumerate(planned, start=1):
        gate = (", ".join(f"{e} directly" for e in step.gate_entities) or "endpoint")
        lines.append(f"    {index}. {_kind(step.kind, step.percent):<9} "
                     f"{routes_text(step.routes):<30} gate: {gate}, {gate_queries} queries")
    return lines


def preview_text(items: Sequence[tuple[str, Sequence[RolloutStep] | str]], steps: Sequence[int],
                 gate_queries: int) -> str:
    head = f"Staged rollouts (--progressive {','.join(map(str, steps))}):"
    if not items:
        return head + "\n  no update writes a config: nothing to stage"
    lines = [head]
    for name, planned in items:
        lines += preview_lines(name, planned, gate_queries)
    return "\n".join(lines)


def report_lines(report: RolloutReport) -> list[str]:
    """One line per step taken, with its gates; then the rollback, if any."""
    lines = []
    for step in report.steps:
        gates = "; ".join(
            f"gate {g.target}: {g.passed}/{g.queries} passed"
            + (f" ({g.failing_answers[0]})" if g.failing_answers else "") for g in step.gates)
        detail = step.error or gates
        lines.append(f"    {step.index}. {_kind(step.kind, step.percent):<9} "
                     f"{routes_text(step.routes)}: {step.result}" + (f" - {detail}"
                                                                     if detail else ""))
    if report.failed_step is not None and report.restored_routes is not None:
        what = "restored" if report.rolled_back else "restore FAILED"
        restored = routes_text(report.restored_routes)
        lines.append(f"    rollback: {what} the live config ({restored})")
    return lines
