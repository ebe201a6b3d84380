"""Fixtures for the emulator's tests: the app in-process, and the real server."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support.emulator_inprocess import InProcessApi
from support.emulator_server import EmulatorServer


@pytest.fixture
def emulator_server(tmp_path: Path) -> Iterator[EmulatorServer]:
    """A running ``reconciler emulator serve`` with a SQLite file; stopped at teardown."""
    with EmulatorServer.start(db_path=tmp_path / "emulator.db",
                              log_path=tmp_path / "server.log") as server:
        yield server


@pytest.fixture
def start_emulator(tmp_path: Path) -> Iterator[Callable[..., EmulatorServer]]:
    """Start servers with given knobs (``start_emulator(latency_ms=50)``); all stopped after."""
    started: list[EmulatorServer] = []

    def start(**knobs: Any) -> EmulatorServer:
        knobs.setdefault("db_path", tmp_path / f"emulator-{len(started)}.db")
        knobs.setdefault("log_path", tmp_path / f"server-{len(started)}.log")
        server = EmulatorServer.start(**knobs)
        started.append(server)
        return server

    try:
        yield start
    finally:
        for server in started:
            server.stop()


@pytest.fixture
def sdk_env(emulator_server: EmulatorServer, monkeypatch: pytest.MonkeyPatch,
            tmp_path: Path) -> EmulatorServer:
    """Only DATABRICKS_HOST and DATABRICKS_TOKEN point the official clients at the server."""
    for name in list(os.environ):
        if name.startswith("DATABRICKS_") or name.startswith("MLFLOW_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DATABRICKS_HOST", emulator_server.url)
    monkeypatch.setenv("DATABRICKS_TOKEN", emulator_server.token)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.databrickscfg from the machine
    return emulator_server


def make_api(**settings: Any) -> InProcessApi:
    """A synchronous client on a fresh in-process emulator (no auth unless ``token``)."""
    return InProcessApi(**settings)


@pytest.fixture
def api() -> Iterator[InProcessApi]:
    with make_api() as client:
        yield client
