"""Which files a list of manifest entries means: files, folders (recursively) and globs.

Paths are resolved against a base folder (the project folder, or the current one for paths
given on the command line) and shown to the user relative to the current folder, so that
``file:line:col`` is clickable in a terminal and valid in a GitHub annotation.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import stat
from collections.abc import Iterable, Iterator
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
        found: list[Path] = []
        for match in _glob(pattern):
            found.extend(_yaml_files(match) if match.is_dir() else [match])
        return sorted(unique(found))
    path = Path(entry) if os.path.isabs(entry) or str(base) == "." else base / entry
    try:
        mode = path.stat().st_mode
    except OSError:
        # A dangling symlink is still "there": reading it reports the real problem.
        return [path] if path.is_symlink() else None
    return _yaml_files(path) if stat.S_ISDIR(mode) else [path]


def _yaml_files(folder: Path) -> list[Path]:
    return sorted(p for p in _walk_once(folder) if p.suffix in YAML_SUFFIXES and p.is_file())


def _walk_once(top: Path, seen: set[tuple[int, int]] | None = None) -> Iterator[Path]:
    """Every file below ``top``, following folder links but entering each real folder once.

    ``Path.rglob`` and ``glob(recursive=True)`` follow links without remembering where they
    have been: two links to ``.`` make the walk exponential (a pull request can add them).
    Folders are known by (device, inode), so a link to a folder already walked, or to a
    parent, costs one ``stat``. Links leaving the project are reported by the caller
    (LOAD-008) on the files they reach.
    """
    seen = set() if seen is None else seen
    stack = [top]
    while stack:
        folder = stack.pop()
        try:
            info = folder.stat()
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        key = (info.st_dev, info.st_ino)
        if key in seen:
            continue
        seen.add(key)
        for item in entries:
            path = folder / item.name
            try:
                is_dir = item.is_dir()  # follows a link, as the walk should
            except OSError:
                is_dir = False
            if is_dir:
                stack.append(path)
            else:
                yield path


def _glob(pattern: str) -> list[Path]:
    """``glob.glob(pattern, recursive=True)``, with ``**`` walked by ``_walk_once``."""
    parts = Path(pattern).parts
    fixed = next((i for i, p in enumerate(parts) if _GLOB_CHARS & set(p)), len(parts))
    if "**" not in parts[fixed:]:
        return sorted(Path(p) for p in glob.glob(pattern))  # no recursion: bounded
    top, rest = Path(*parts[:fixed]), parts[fixed:]
    if not top.is_dir():
        return []
    matched: list[Path] = []
    for path in _walk_once(top):
        rel = path.relative_to(top).parts
        if _matches(rel, rest):
            matched.append(path)
        # A folder the pattern names brings its YAML files (as a glob match of a folder
        # does); its files are all walked here once, so match their folders instead.
        for depth in range(1, len(rel)):
            if _matches(rel[:depth], rest):
                if path.suffix in YAML_SUFFIXES:
                    matched.append(path)
                break
    return sorted(matched)


def _matches(parts: tuple[str, ...], pattern: tuple[str, ...]) -> bool:
    """Whether path components match glob components (``**`` = any number of folders;
    wildcards do not match names starting with ``.``, as in ``glob``)."""
    states = _closure({0}, pattern)
    for part in parts:
        step: set[int] = set()
        for i in states:
            if i == len(pattern):
                continue
            if pattern[i] == "**":
                if not part.startswith("."):
                    step.add(i)
            elif _component(part, pattern[i]):
                step.add(i + 1)
        states = _closure(step, pattern)
        if not states:
            return False
    return len(pattern) in states


def _closure(states: set[int], pattern: tuple[str, ...]) -> set[int]:
    out, todo = set(states), list(states)
    while todo:  # ``**`` may also match no folder at all
        i = todo.pop()
        if i < len(pattern) and pattern[i] == "**" and i + 1 not in out:
            out.add(i + 1)
            todo.append(i + 1)
    return out


def _component(name: str, pattern: str) -> bool:
    if name.startswith(".") and not pattern.startswith(".") and _GLOB_CHARS & set(pattern):
        return False
    return fnmatch.fnmatchcase(name, pattern)


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
