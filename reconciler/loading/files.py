"""Which files a list of manifest entries means: files, folders (recursively) and globs.

Paths are resolved against a base folder (the project folder, or the current one for paths
given on the command line) and shown to the user relative to the current folder, so that
``file:line:col`` is clickable in a terminal and valid in a GitHub annotation.
"""

from __future__ import annotations

import glob
import os
import stat
from collections.abc import Iterable
from pathlib import Path

YAML_SUFFIXES = (".yaml", ".yml")
_GLOB_CHARS = frozenset("*?[")


def shown(path: Path, cwd: str | None = None) -> str:
    """``path`` as the user should see it: relative to the current folder when below it.

    ``cwd`` (``os.getcwd()``) may be passed in by callers showing many paths.
    """
    cwd = os.getcwd() if cwd is None else cwd
    absolute = os.path.normpath(os.path.join(cwd, path))
    prefix = cwd.rstrip(os.sep) + os.sep
    return absolute[len(prefix) :] if absolute.startswith(prefix) else str(path)


def expand(entry: str | Path, base: Path) -> list[Path] | None:
    """The YAML files ``entry`` names (sorted), ``[]`` for none, ``None`` if it does not exist."""
    if isinstance(entry, str) and _GLOB_CHARS & set(entry):
        pattern = entry if os.path.isabs(entry) else str(base / entry)
        matches = sorted(Path(p) for p in glob.glob(pattern, recursive=True))
        found: list[Path] = []
        for match in matches:
            found.extend(_yaml_files(match) if match.is_dir() else [match])
        return found
    path = Path(entry) if os.path.isabs(entry) or str(base) == "." else base / entry
    try:
        mode = path.stat().st_mode
    except OSError:
        # A dangling symlink is still "there": reading it reports the real problem.
        return [path] if path.is_symlink() else None
    return _yaml_files(path) if stat.S_ISDIR(mode) else [path]


def _yaml_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix in YAML_SUFFIXES and p.is_file())


def within(path: Path, root: Path, *, resolve: bool = False) -> bool:
    """``path`` is ``root`` or below it: lexically (``..`` and absolute paths), or, with
    ``resolve``, after following symlinks (one ``realpath`` per file, paid only for
    project manifests)."""
    if resolve:
        target, top = os.path.realpath(path), os.path.realpath(root)
    else:
        target, top = os.path.normpath(os.path.abspath(path)), os.path.abspath(root)
    return target == top or target.startswith(top.rstrip(os.sep) + os.sep)


def identity(path: Path) -> str:
    """A cheap identity for de-duplication: the absolute, normalised path.

    ``Path.resolve`` would also merge symlinks, at the price of a system call per path
    component, which costs more than parsing a small manifest.
    """
    return os.path.abspath(path)


def unique(paths: Iterable[Path]) -> list[Path]:
    """Each file once, in first-seen order (entries may overlap: a folder and a glob)."""
    seen: set[str] = set()
    out: list[Path] = []
    for path in paths:
        key = identity(path)
        if key not in seen:
            seen.add(key)
            out.append(path)
    return out
