"""Source positions of loaded values: ``SourceLocation`` and the lazy path -> location map.

Recording a location object for every value of every document would cost more than parsing
them, so documents keep the parser's own marks (0-based ``.line`` and ``.column``) and build
a ``SourceLocation`` only when someone asks, which is when an issue is reported.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from reconciler.model.source import SourceLocation

__all__ = ["FieldPath", "PositionMap", "SourceLocation", "locate"]

FieldPath = tuple[str | int, ...]


class PositionMap(Mapping[FieldPath, SourceLocation]):
    """``path in the document -> SourceLocation`` built on demand from parser marks."""

    __slots__ = ("_file", "_marks")

    def __init__(self, file: str, marks: dict[FieldPath, Any]) -> None:
        self._file = file
        self._marks = marks

    def __getitem__(self, path: FieldPath) -> SourceLocation:
        mark = self._marks[path]
        return SourceLocation(self._file, mark.line + 1, mark.column + 1)

    def __iter__(self) -> Iterator[FieldPath]:
        return iter(self._marks)

    def __len__(self) -> int:
        return len(self._marks)

    def __contains__(self, path: object) -> bool:
        return path in self._marks

    @property
    def file(self) -> str:
        return self._file


def locate(
    positions: Mapping[FieldPath, SourceLocation], path: FieldPath, default: SourceLocation
) -> SourceLocation:
    """The location of ``path``, or of its nearest recorded ancestor, or ``default``.

    Values that came from an alias or a merge key, or fields that are missing, have no
    position of their own; their parent's is the best place to point at.
    """
    probe = path
    while True:
        found = positions.get(probe)
        if found is not None:
            return found
        if not probe:
            return default
        probe = probe[:-1]
