"""The embedded ``local`` target: the emulator app in-process, its store in a SQLite file.

The same ``RegistryClient`` code path as a real workspace, only the transport differs
(``httpx.ASGITransport``): whatever works locally goes through the same request building,
error mapping and retries. No token, no socket.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import httpx

from reconciler import errors

LOCAL_BASE_URL = "http://local-registry"


def local_db_path(root: Path, local: str) -> Path:
    """The SQLite file of a local target, relative to the project folder; folders created.

    A relative path must stay in the project, links followed (a pull request can add a
    link or a ``../``): plan would create folders there, and apply write its tables into
    whatever file it names. An absolute path (or ``~/...``) is one the user typed on
    purpose and is taken as it is.
    """
    typed = Path(local).expanduser()
    path = typed if typed.is_absolute() else root / typed
    if not typed.is_absolute():
        top = os.path.realpath(root)
        real = os.path.realpath(path)
        if real != top and not real.startswith(top.rstrip(os.sep) + os.sep):
            raise errors.ProjectError(
                f"the local registry `local: {local}` is outside the project folder {root} "
                f"(it resolves to {real}); keep it inside the project, or write an absolute "
                "path to use a file elsewhere on purpose")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise errors.ProjectError(
            f"cannot create the folder of the local registry {path}: {exc}"
        ) from exc
    return path


def local_http_client(
    db_path: Path, timeout: httpx.Timeout
) -> tuple[httpx.AsyncClient, Callable[[], None]]:
    """An httpx client on a fresh emulator app over the file, and the app's close function."""
    # Imported here: a remote target never loads the emulator (starlette, sqlite).
    from reconciler.emulator.app import EmulatorSettings, create_app
    from reconciler.emulator.store import StoreError

    try:
        app = create_app(EmulatorSettings(db_path=db_path))
    except StoreError as exc:
        raise errors.ProjectError(
            f"cannot use the local registry file: {exc}. If it is the local registry's own "
            f"file, delete it (its endpoints are lost; the next apply creates them again); "
            "otherwise point the target's `local:` at another file") from exc
    http = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=LOCAL_BASE_URL, timeout=timeout
    )
    return http, app.close
