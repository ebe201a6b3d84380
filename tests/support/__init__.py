"""Helpers shared by test packages (import as ``support.<module>``)."""
