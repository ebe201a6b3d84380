"""Where a value came from: file, line and column, as a user's editor counts them.

Lives in ``model`` (the bottom layer) because loading produces locations and validation
attaches them to issues, and validation must not import loading.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SourceLocation:
    """A 1-based line and column in a file, shown as ``file:line:col``."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"
