"""Diff: field classes, normalisation of both sides, keyed list matching -> FieldChanges."""
