"""What a staged rollout did, step by step: part of the apply report (JSON: ``rollout``).

Documented in docs/apply.md (Staged rollouts). Only ever extended, like the report.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class GateResult(BaseModel):
    """The gate queries after one step, to one target (``endpoint`` or an entity's name)."""

    model_config = ConfigDict(frozen=True)

    target: str
    queries: int
    passed: int
    required_ratio: float
    failing_answers: list[str] = Field(default_factory=list)  # the first few, masked

    @property
    def ratio(self) -> float:
        return self.passed / self.queries if self.queries else 1.0

    @property
    def ok(self) -> bool:
        return self.ratio >= self.required_ratio


class RolloutStepReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    index: int
    kind: Literal["add", "shift", "final"]
    percent: int | None
    routes: dict[str, int]
    result: Literal["passed", "failed"]
    gates: list[GateResult] = Field(default_factory=list)
    error: str | None = None  # the update failed or timed out (not a gate)


class RolloutReport(BaseModel):
    """Every step taken; on a rollback, the step that failed and the routes restored."""

    model_config = ConfigDict(frozen=True)

    steps: list[RolloutStepReport] = Field(default_factory=list)
    planned_steps: int = 0
    rolled_back: bool = False
    failed_step: int | None = None
    restored_routes: dict[str, int] | None = None
    rollback_error: str | None = None
