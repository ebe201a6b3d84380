"""Which files a list of manifest entries means: files, folders (recursively) and globs.

Paths are resolved against a base folder (the project folder, or the current one for paths
given on the command line) and shown to the user relative to the current folder, so that
``file:line:col`` is clickable in a terminal and valid in a GitHub annotation.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable
from pathlib import Path

YAML_SUFFIXES = (".yaml", ".yml")
_GLOB_CHARS = frozenset("*?[")


def shown(path: Path) -> str:
    """``path`` as the user should see it: relative to the current folder when below it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # pragma: no cover - another drive on Windows
        return str(path)
    return str(path) if rel.startswith("..") else rel


def expand(entry: str, base: Path) -> list[Path] | None:
    """The YAML files ``entry`` names (sorted), ``[]`` for none, ``None`` if it does not exist."""
    if _GLOB_CHARS & set(entry):
        pattern = entry if os.path.isabs(entry) else str(base / entry)
        matches = sorted(Path(p) for p in glob.glob(pattern, recursive=True))
        found: list[Path] = []
        for match in matches:
            found.extend(_yaml_files(match) if match.is_dir() else [match])
        return found
    path = Path(entry) if os.path.isabs(entry) else base / entry
    if path.is_dir():
        return _yaml_files(path)
    if path.exists() or path.is_symlink():
        return [path]
    return None


def _yaml_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix in YAML_SUFFIXES and p.is_file())


def unique(paths: Iterable[Path]) -> list[Path]:
    """Each file once, in first-seen order (entries may overlap: a folder and a glob)."""
    seen: set[Path] = set()
    out: list[Path] = []
    for path in paths:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            out.append(path)
    return out
