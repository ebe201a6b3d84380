"""The embedded ``local`` target: the emulator app in-process, its store in a SQLite file.

The same ``RegistryClient`` code path as a real workspace, only the transport differs
(``httpx.ASGITransport``): whatever works locally goes through the same request building,
error mapping and retries. No token, no socket.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx

from reconciler import errors

LOCAL_BASE_URL = "http://local-registry"


def local_db_path(root: Path, local: str) -> Path:
    """The SQLite file of a local target, relative to the project folder; folders created."""
    path = Path(local).expanduser()
    if not path.is_absolute():
        path = root / path
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

    app = create_app(EmulatorSettings(db_path=db_path))
    http = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=LOCAL_BASE_URL, timeout=timeout
    )
    return http, app.close
