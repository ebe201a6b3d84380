"""Library entry points: load, validate, plan, apply. The CLI is a thin layer over these."""

from reconciler.api.validating import validate_paths, validate_project
from reconciler.loading.interpolation import resolve_env_refs
from reconciler.loading.project import LoadedEndpoint, Project, load_project
from reconciler.validation.issues import Issue, ValidationReport

__all__ = [
    "Issue",
    "LoadedEndpoint",
    "Project",
    "ValidationReport",
    "load_project",
    "resolve_env_refs",
    "validate_paths",
    "validate_project",
]
