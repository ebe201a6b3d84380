"""Our RegistryClient on a private in-process emulator, with instant retries and fast waits.

    async with emulator_registry(tmp_path, ready_after=0.2) as emu:
        await emu.registry.list_endpoints()
        emu.requests()          # the emulator's request log: [{"method", "path", "status"}, ...]

The emulator is the real app (``create_app``) reached over ``httpx.ASGITransport``, the same
path as the ``local`` target; only sleeping is faked, so retries cost no wall time.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import shutil
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from reconciler.applying.waiting import WaitSettings
from reconciler.emulator.app import EmulatorApp, EmulatorSettings, create_app
from reconciler.registry import RegistryClient, RetryPolicy

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
FAST_WAITS = WaitSettings(timeout=30.0, min_interval=0.02, max_interval=0.1)


async def no_sleep(_seconds: float) -> None:
    return None


@dataclass
class EmulatorHarness:
    app: EmulatorApp
    registry: RegistryClient
    log_path: Path

    def requests(self) -> list[dict[str, Any]]:
        """The request log so far, API calls only (no /_emulator/ controls)."""
        if not self.log_path.exists():
            return []
        rows = [json.loads(line) for line in self.log_path.read_text().splitlines() if line]
        return [r for r in rows if not r["path"].startswith("/_emulator/")]

    def writes(self) -> list[tuple[str, str]]:
        return [(r["method"], r["path"]) for r in self.requests() if r["method"] != "GET"]

    async def control(self, path: str, body: dict[str, Any]) -> None:
        response = await self.registry._http.post(f"/_emulator/{path}", json=body)
        response.raise_for_status()


@contextlib.asynccontextmanager
async def emulator_registry(
    tmp_path: Path,
    *,
    transport_wrapper: Callable[[httpx.AsyncBaseTransport], httpx.AsyncBaseTransport]
    | None = None,
    **settings: Any,
) -> AsyncIterator[EmulatorHarness]:
    """A RegistryClient on a fresh emulator whose store and request log live in tmp_path."""
    log_path = tmp_path / "requests.jsonl"
    settings.setdefault("db_path", tmp_path / "emulator.db")
    app = create_app(EmulatorSettings(request_log=log_path, **settings))
    transport: httpx.AsyncBaseTransport = httpx.ASGITransport(app=app)
    if transport_wrapper is not None:
        transport = transport_wrapper(transport)
    http = httpx.AsyncClient(transport=transport, base_url="http://emulator")
    registry = RegistryClient(http, retry=RetryPolicy(sleep=no_sleep))
    try:
        yield EmulatorHarness(app, registry, log_path)
    finally:
        await registry.aclose()
        app.close()


def copy_project(source: Path, destination: Path, *, own_id: bool = True) -> Path:
    """A private copy of an example project (without its local database). ``own_id``: the
    copy gets a project id of its own in place of the examples' placeholder, as a copy
    should (docs/ownership.md), so ``--prune`` works on it."""
    shutil.copytree(source, destination, ignore=shutil.ignore_patterns(".reconciler", "invalid"))
    if own_id:
        set_project_id(destination, secrets.token_hex(8))
    return destination


def set_project_id(root: Path, project_id: str | None) -> None:
    """Set (None: remove) ``project_id`` in ``root/reconciler.yaml``: the examples' line
    replaced, or one added after ``project:``."""
    path = root / "reconciler.yaml"
    lines = [line for line in path.read_text().splitlines(keepends=True)
             if not line.startswith("project_id:")]
    if project_id is not None:
        at = next(i for i, line in enumerate(lines) if line.startswith("project:")) + 1
        # Quoted: an id of 16 decimal digits (1 in 1,845 of token_hex(8)) is a number in YAML.
        lines.insert(at, f"project_id: '{project_id}'\n")
    path.write_text("".join(lines))


def add_target(root: Path, name: str, host: str, token_env: str) -> None:
    """Declare a workspace target in the project's reconciler.yaml (``targets:`` block)."""
    path = root / "reconciler.yaml"
    text = path.read_text()
    line = f"  {name}: {{host: '{host}', token_env: {token_env}}}\n"
    assert "\ntargets:\n" in text, "the project file has a targets block"
    path.write_text(text.replace("\ntargets:\n", "\ntargets:\n" + line, 1))
