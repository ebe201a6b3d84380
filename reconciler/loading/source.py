"""Source positions of loaded values: ``SourceLocation`` and the lazy path -> location map.

Recording a location object for every value of every document would cost more than parsing
them, so a ``SourceLocation`` is built only when someone asks, which is when an issue is
reported. Until then a document's positions are kept compact: the parser's marks (objects
with a ``__dict__``, about 130 bytes each) are packed into one integer array, and the path
-> index table is shared by every document with the same layout (the same paths in the same
order), which is most documents of a large project. At 10,000 endpoints this is about 5 MB
instead of 55 MB of marks, path tuples and dictionaries held for the whole run.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Mapping
from typing import Any

from reconciler.model.source import SourceLocation

__all__ = ["FieldPath", "PositionMap", "SourceLocation", "locate"]

FieldPath = tuple[str | int, ...]


_COLUMN_BITS = 32
_COLUMN_MASK = (1 << _COLUMN_BITS) - 1
# Layouts seen so far: the tuple of a document's paths -> {path: index}. The dictionary is
# shared, so equal layouts cost one table for all their documents. A long-running process
# (``reconcile``) that meets many layouts starts the cache over past _MAX_LAYOUTS.
_LAYOUTS: dict[tuple[FieldPath, ...], dict[FieldPath, int]] = {}
_MAX_LAYOUTS = 4096


def _layout(paths: tuple[FieldPath, ...]) -> dict[FieldPath, int]:
    table = _LAYOUTS.get(paths)
    if table is None:
        if len(_LAYOUTS) >= _MAX_LAYOUTS:
            _LAYOUTS.clear()
        table = {path: index for index, path in enumerate(paths)}
        _LAYOUTS[paths] = table
    return table


class PositionMap(Mapping[FieldPath, SourceLocation]):
    """``path in the document -> SourceLocation``, from parser marks packed into integers."""

    __slots__ = ("_file", "_index", "_packed")

    def __init__(self, file: str, marks: Mapping[FieldPath, Any]) -> None:
        """``marks``: path -> parser mark (0-based ``.line`` and ``.column``); not kept."""
        self._file = file
        self._index = _layout(tuple(marks))
        self._packed = array("Q", [(m.line << _COLUMN_BITS) | m.column for m in marks.values()])

    def __getitem__(self, path: FieldPath) -> SourceLocation:
        packed = self._packed[self._index[path]]
        return SourceLocation(self._file, (packed >> _COLUMN_BITS) + 1,
                              (packed & _COLUMN_MASK) + 1)

    def __iter__(self) -> Iterator[FieldPath]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)

    def __contains__(self, path: object) -> bool:
        return path in self._index

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
