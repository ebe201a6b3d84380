"""Sustained GET throughput of ``reconciler emulator serve`` with many concurrent clients.

Starts the emulator as a subprocess on a loopback port with a SQLite file holding a few
endpoints, then runs CLIENTS concurrent keep-alive connections, each issuing
``GET /api/2.0/serving-endpoints/{name}`` back to back for DURATION seconds, and reports
requests per second and latency percentiles. The load generator is a small raw-asyncio
HTTP/1.1 client so that it costs far less CPU than the server it measures (both share the
machine); ``--client httpx`` uses httpx instead, for comparison.

    .venv/bin/python bench/emulator.py --clients 64 --duration 10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from support.emulator_server import EmulatorServer

BASE = "/api/2.0/serving-endpoints"
ENDPOINTS = 8


def seed_endpoints(server: EmulatorServer) -> list[str]:
    names = []
    headers = {"Authorization": f"Bearer {server.token}"}
    with httpx.Client(base_url=server.url, headers=headers) as client:
        for index in range(ENDPOINTS):
            name = f"bench-{index}"
            entity = {"name": "gpt", "external_model": {
                "name": "gpt-4o-mini", "provider": "openai", "task": "llm/v1/chat",
                "openai_config": {"openai_api_key": "{{secrets/s/k}}"}}}
            body = {"name": name, "config": {"served_entities": [entity]},
                    "tags": [{"key": "team", "value": "bench"}]}
            client.post(BASE, json=body).raise_for_status()
            names.append(name)
    return names


async def raw_worker(port: int, token: str, names: list[str], stop: float,
                     latencies: list[float], worker: int) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    done = 0
    try:
        while time.perf_counter() < stop:
            name = names[(worker + done) % len(names)]
            request = (f"GET {BASE}/{name} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                       f"Authorization: Bearer {token}\r\nAccept: application/json\r\n\r\n")
            started = time.perf_counter()
            writer.write(request.encode())
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            if status != 200:
                raise RuntimeError(f"unexpected status {status}")
            latencies.append(time.perf_counter() - started)
            done += 1
    finally:
        writer.close()
    return done


async def httpx_worker(url: str, token: str, names: list[str], stop: float,
                       latencies: list[float], worker: int, client: httpx.AsyncClient) -> int:
    done = 0
    while time.perf_counter() < stop:
        started = time.perf_counter()
        response = await client.get(f"{BASE}/{names[(worker + done) % len(names)]}")
        response.raise_for_status()
        latencies.append(time.perf_counter() - started)
        done += 1
    return done


async def run_load(server: EmulatorServer, names: list[str], clients: int, duration: float,
                   kind: str) -> dict[str, float]:
    latencies: list[float] = []
    started = time.perf_counter()
    stop = started + duration
    if kind == "raw":
        counts = await asyncio.gather(*(
            raw_worker(server.port, server.token, names, stop, latencies, w)
            for w in range(clients)))
    else:
        limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
        headers = {"Authorization": f"Bearer {server.token}"}
        async with httpx.AsyncClient(base_url=server.url, headers=headers,
                                     limits=limits) as client:
            counts = await asyncio.gather(*(
                httpx_worker(server.url, server.token, names, stop, latencies, w, client)
                for w in range(clients)))
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "requests": float(sum(counts)),
        "seconds": round(elapsed, 2),
        "rps": round(sum(counts) / elapsed, 1),
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 2),
    }


def server_cpu_seconds(server: EmulatorServer) -> float:
    """CPU time (user + system) the server process used so far; 0 where /proc is missing."""
    assert server.process is not None
    try:
        fields = Path(f"/proc/{server.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--latency-ms", type=int, default=0,
                        help="emulator latency injection (default 0: measure the server)")
    parser.add_argument("--client", choices=["raw", "httpx"], default="raw")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        knobs = {"latency_ms": args.latency_ms} if args.latency_ms else {}
        with EmulatorServer.start(db_path=Path(tmp) / "bench.db", **knobs) as server:
            names = seed_endpoints(server)
            asyncio.run(run_load(server, names, args.clients, args.warmup, args.client))
            cpu_before = server_cpu_seconds(server)
            result = asyncio.run(run_load(server, names, args.clients, args.duration,
                                          args.client))
            # Share of one core the server used: near 1.0 means the server is the limit.
            result["server_cpu"] = round(
                (server_cpu_seconds(server) - cpu_before) / result["seconds"], 2)
    result.update(clients=args.clients, client=args.client, latency_ms=args.latency_ms,
                  cpus=os.cpu_count() or 0)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
