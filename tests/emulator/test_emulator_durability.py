"""Storage: acknowledged writes survive SIGKILL, and concurrent writers lose nothing."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from support.emulator_server import EmulatorServer

# servers killed and restarted as subprocesses: seconds each
pytestmark = [pytest.mark.e2e, pytest.mark.slow]

BASE = "/api/2.0/serving-endpoints"
ENTITY = {"name": "gpt", "external_model": {
    "name": "gpt-4o-mini", "provider": "openai", "task": "llm/v1/chat",
    "openai_config": {"openai_api_key": "{{secrets/s/k}}"}}}


def client(server: EmulatorServer) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=10,
                        headers={"Authorization": f"Bearer {server.token}"})


def test_sigkill_during_writes_loses_no_acknowledged_write(
    start_emulator: Callable[..., EmulatorServer], tmp_path: Path,
) -> None:
    server = start_emulator(db_path=tmp_path / "kill.db")
    acknowledged: list[str] = []
    lock = threading.Lock()
    enough = threading.Event()

    def writer(worker: int) -> None:
        with client(server) as http:
            for index in range(10_000):
                name = f"w{worker}-{index}"
                try:
                    response = http.post(BASE, json={"name": name,
                                                     "config": {"served_entities": [ENTITY]}})
                except httpx.TransportError:
                    return  # the server is gone
                if response.status_code == 200:
                    with lock:
                        acknowledged.append(name)
                        if len(acknowledged) >= 150:
                            enough.set()

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    assert enough.wait(timeout=60)
    server.kill()  # mid-stream: writers are still sending
    for thread in threads:
        thread.join(timeout=30)
    server.restart()
    with client(server) as http:
        stored = {e["name"] for e in http.get(BASE).json().get("endpoints", [])}
    assert len(acknowledged) >= 150
    assert set(acknowledged) <= stored


def test_two_servers_on_one_file_lose_no_update(
    start_emulator: Callable[..., EmulatorServer], tmp_path: Path,
) -> None:
    db = tmp_path / "shared.db"
    first = start_emulator(db_path=db)
    second = start_emulator(db_path=db)
    with client(first) as http:
        assert http.post(BASE, json={"name": "shared"}).status_code == 200

    def add_tag(job: int) -> int:
        server = first if job % 2 else second
        with client(server) as http:
            response = http.patch(f"{BASE}/shared/tags",
                                  json={"add_tags": [{"key": f"k{job}", "value": str(job)}]})
            return response.status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(add_tag, range(120)))
    assert statuses == [200] * 120
    with client(second) as http:
        tags = http.get(f"{BASE}/shared").json()["tags"]
    assert {t["key"] for t in tags} == {f"k{i}" for i in range(120)}
