"""The library's public surface, ``reconciler.api.__all__``, is pinned: a change is deliberate
(update this list, docs and CHANGELOG together), never a side effect of a refactor."""

from __future__ import annotations

import reconciler.api

PUBLIC_API = [
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


def test_the_public_api_is_pinned_and_sorted() -> None:
    assert reconciler.api.__all__ == PUBLIC_API
    assert sorted(PUBLIC_API) == PUBLIC_API


def test_every_public_name_exists() -> None:
    for name in PUBLIC_API:
        assert getattr(reconciler.api, name) is not None, name
