"""Library entry points: load, validate, plan, apply. The CLI is a thin layer over these."""

from reconciler.api.gitops import drift, prepare_import
from reconciler.api.saved_plans import load_saved_plan, planned_requests, save_plan
from reconciler.api.validating import load_project, validate_paths, validate_project
from reconciler.api.workflow import (
    ApplySettings,
    ExportSettings,
    PlanSettings,
    apply,
    export,
    plan,
)
from reconciler.loading.interpolation import resolve_env_refs
from reconciler.loading.project import LoadedEndpoint, Project
from reconciler.model.diagnostics import Issue, ValidationReport

__all__ = [
    "ApplySettings",
    "ExportSettings",
    "Issue",
    "LoadedEndpoint",
    "PlanSettings",
    "Project",
    "ValidationReport",
    "apply",
    "drift",
    "export",
    "load_project",
    "load_saved_plan",
    "plan",
    "planned_requests",
    "prepare_import",
    "resolve_env_refs",
    "save_plan",
    "validate_paths",
    "validate_project",
]
