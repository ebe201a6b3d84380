"""Where ``export --out`` and ``import`` write manifests: ``FOLDER/NAME.yaml``, nothing else.

The name comes from the registry (export) or the command line (import), so it is untrusted:
``../x``, an absolute path, a slash or a NUL byte would write outside the folder or crash.
Only valid endpoint names (the API's own pattern) become file names, and the resolved path
is checked to sit directly in the folder. An existing file is a hand-written manifest
(comments, ``${var.*}`` references): it is overwritten only with ``--force``. Every name and
file is checked before the first write, so a refused run leaves the folder as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from reconciler import errors
from reconciler.validation.endpoint_rules import MAX_NAME_LENGTH, NAME_PATTERN


@dataclass(frozen=True)
class ManifestFile:
    name: str
    path: Path
    exists: bool


def check_endpoint_name(name: str, origin: str) -> None:
    """Refuse a name that cannot be an endpoint's (and so must not become a file name)."""
    if not name or len(name) > MAX_NAME_LENGTH or not NAME_PATTERN.fullmatch(name):
        raise errors.PlanError(
            f"{origin} {name!r} is not a valid endpoint name (1 to {MAX_NAME_LENGTH} letters, "
            "digits, dashes and underscores); nothing was written"
        )


def manifest_files(
    folder: Path, names: Sequence[str], *, force: bool, origin: str,
    check: Callable[[str, str], None] = check_endpoint_name,
) -> list[ManifestFile]:
    """``FOLDER/NAME.yaml`` for each name, after every check (names, existing files).
    ``check`` refuses a name that must not become a file name (endpoint names by default;
    Unity AI Gateway services pass ``service_gitops.check_service_name``)."""
    for name in names:
        check(name, origin)
    out: list[ManifestFile] = []
    base = folder.resolve()
    for name in names:
        path = folder / f"{name}.yaml"
        if path.resolve().parent != base:  # a symlinked NAME.yaml pointing elsewhere
            raise errors.PlanError(f"{path} points outside {folder}; nothing was written")
        exists = path.exists() or path.is_symlink()
        if exists and not force:
            raise errors.PlanError(
                f"{path} already exists (it may hold comments and ${{var.*}} references); "
                "pass --force to overwrite it; nothing was written"
            )
        out.append(ManifestFile(name, path, exists))
    return out


def write_manifest(file: ManifestFile, text: str) -> None:
    try:
        file.path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise errors.ReconcilerError(f"cannot write {file.path}: {exc.strerror}") from exc
