"""What an apply did: per endpoint done, failed or skipped, and why; the calls it cost.

The report is data (pydantic, JSON-serialisable with ``schema_version``), rendered as text or
JSON by ``reconciler.render.apply_report``. It is built even when endpoints fail: one
failure never hides what the others did.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from reconciler.applying.rollout_report import RolloutReport

# "not-started": apply was stopping before this endpoint wrote anything (it is untouched);
# "interrupted": a second signal stopped it at once, after some of its writes (see requests).
OutcomeStatus = Literal["done", "failed", "skipped", "rolled-back", "not-started", "interrupted"]
# Why apply stopped early: "finish" (a first SIGINT/SIGTERM: endpoints being written were
# finished, no other started) or "now" (a second signal: everything stopped at once).
StopKind = Literal["finish", "now"]
NOT_STARTED_NOTE = "not started: apply is stopping"
# Why an endpoint failed, for scripts that want to react differently (e.g. re-plan on stale).
FailureKind = Literal[
    "stale-plan", "registry", "update-failed", "timeout", "conflict", "not-ours", "internal",
    "smoke", "rolled-back",
]

APPLY_REPORT_SCHEMA_VERSION = 1
SmokeResultKind = Literal["passed", "failed", "skipped"]


class SmokeResult(BaseModel):
    """One smoke query's outcome (one per endpoint, or per served entity)."""

    model_config = ConfigDict(frozen=True)

    name: str
    served_entity: str | None = None  # the entity queried directly (--each-entity)
    result: SmokeResultKind
    task: str | None = None
    request_source: Literal["task", "manifest"] | None = None
    latency_ms: float | None = None
    status_code: int | None = None
    error_code: str | None = None
    message: str | None = None  # why it failed or was skipped (masked)
    answered_by: str | None = None  # the served-model-name header

    def describe(self) -> str:
        """``401 UNAUTHENTICATED: message``: what a failure (or skip) says."""
        head = " ".join(str(p) for p in (self.status_code, self.error_code) if p is not None)
        message = self.message or ""
        return f"{head}: {message}" if head and message else head or message

    @property
    def label(self) -> str:
        return self.name if self.served_entity is None else f"{self.name}/{self.served_entity}"


class EndpointOutcome(BaseModel):
    """What happened to one endpoint."""

    model_config = ConfigDict(frozen=True)

    name: str
    action: str
    status: OutcomeStatus
    facets: list[str] = Field(default_factory=list)
    requests: list[str] = Field(default_factory=list)  # "PATCH /api/2.0/...", as issued
    note: str | None = None
    error: str | None = None
    failure: FailureKind | None = None
    waited_seconds: float | None = None
    smoke: SmokeResult | None = None  # apply --smoke: the smoke query after the change
    rollout: RolloutReport | None = None  # apply --progressive: the steps of a staged rollout


class ApplyReport(BaseModel):
    """The outcome of one ``apply``; ``ok`` is false when any endpoint failed."""

    model_config = ConfigDict(frozen=True)

    schema_version: int = APPLY_REPORT_SCHEMA_VERSION
    project: str
    target_name: str
    outcomes: list[EndpointOutcome] = Field(default_factory=list)
    calls: dict[str, int] = Field(default_factory=dict)  # {"total": n, "GET": n, ...}
    duration_seconds: float = 0.0
    stopped: StopKind | None = None  # apply was asked to stop before it was through

    @property
    def ok(self) -> bool:
        return not self.failed and not self.rolled_back and not self.interrupted

    @property
    def not_started(self) -> list[EndpointOutcome]:
        return [o for o in self.outcomes if o.status == "not-started"]

    @property
    def interrupted(self) -> list[EndpointOutcome]:
        return [o for o in self.outcomes if o.status == "interrupted"]

    @property
    def rolled_back(self) -> list[EndpointOutcome]:
        return [o for o in self.outcomes if o.status == "rolled-back"]

    @property
    def done(self) -> list[EndpointOutcome]:
        return [o for o in self.outcomes if o.status == "done"]

    @property
    def failed(self) -> list[EndpointOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def skipped(self) -> list[EndpointOutcome]:
        return [o for o in self.outcomes if o.status == "skipped"]

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)
