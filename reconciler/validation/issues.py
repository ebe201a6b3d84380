"""Older import path of the diagnostics types, which live in ``reconciler.model.diagnostics``."""

from __future__ import annotations

from reconciler.model.diagnostics import (
    MAX_MESSAGE,
    FieldPath,
    Issue,
    Severity,
    ValidationReport,
)

__all__ = ["MAX_MESSAGE", "FieldPath", "Issue", "Severity", "ValidationReport"]
