"""A polite client (issue 14): a per-target request budget shared by all concurrent requests
of a run, honouring Retry-After, and the emulator's ``--max-rps`` throttle (429 with
Retry-After above N requests in a second, as a throttled workspace answers)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest
from support.cli import run_cli
from support.emulator_server import EmulatorServer
from support.hostile_http import API, write_remote_project

from reconciler.emulator.app import EmulatorSettings, create_app
from reconciler.registry import RetryPolicy, open_remote
from reconciler.registry.budget import RequestBudget


def test_the_emulator_throttles_above_max_rps(tmp_path: Path) -> None:
    app = create_app(EmulatorSettings(db_path=tmp_path / "e.db", max_rps=5))

    async def scenario() -> list[httpx.Response]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://emulator") as http:
            return list(await asyncio.gather(*(http.get(API) for _ in range(12))))

    try:
        answers = asyncio.run(scenario())
    finally:
        app.close()
    statuses = sorted(r.status_code for r in answers)
    assert statuses.count(200) == 5 and statuses.count(429) == 7
    throttled = next(r for r in answers if r.status_code == 429)
    assert throttled.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"
    assert int(throttled.headers["retry-after"]) >= 1


def test_the_budget_spaces_concurrent_requests() -> None:
    async def scenario() -> list[float]:
        budget = RequestBudget(20)
        times: list[float] = []

        async def one() -> None:
            await budget.acquire()
            times.append(time.monotonic())

        await asyncio.gather(*(one() for _ in range(21)))
        return times

    times = asyncio.run(scenario())
    assert times[-1] - times[0] == pytest.approx(1.0, abs=0.15)
    # any one-second window holds at most 20 of them
    assert all(sum(1 for u in times if t <= u < t + 1.0) <= 20 for t in times)


@pytest.mark.slow  # real request rates over seconds
def test_a_budget_under_the_throttle_gets_no_429_and_retry_after_is_honoured() -> None:
    with EmulatorServer.start(max_rps=10) as server:
        async def burst(max_rps: float | None) -> tuple[int, float]:
            policy = RetryPolicy(total_budget=60)
            async with open_remote(server.url, server.token, parallelism=8, retry=policy,
                                   max_rps=max_rps) as client:
                started = time.monotonic()
                await asyncio.gather(*(client.list_endpoints() for _ in range(30)))
                return client.stats.total, time.monotonic() - started

        polite_calls, polite_time = asyncio.run(burst(9))
        assert polite_calls == 30  # not a single 429: every request once
        assert 2.9 <= polite_time < 6, polite_time
        time.sleep(1.1)
        rude_calls, _rude_time = asyncio.run(burst(None))
        assert rude_calls > 30  # throttled and retried after Retry-After, yet all answered


@pytest.mark.parametrize("command", ["plan", "apply", "export", "drift", "import",
                                     "reconcile"])
def test_every_registry_command_takes_max_rps(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _err = run_cli(capsys, command, "--help")
    assert code == 0 and "--max-rps" in out


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "1e400"])
def test_max_rps_refuses_non_finite_and_negative(
    value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_remote_project(tmp_path / "p", "http://127.0.0.1:9")
    code, _out, err = run_cli(capsys, "plan", "-C", str(root), "--max-rps", value)
    assert code == 2 and "--max-rps" in err


@pytest.mark.slow  # real request rates over seconds
def test_max_rps_per_target_and_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with EmulatorServer.start(max_rps=4, request_log=tmp_path / "requests.jsonl") as server:
        monkeypatch.setenv("HOSTILE_TOKEN", server.token)
        root = write_remote_project(tmp_path / "p", server.url, extra=", max_rps: 3")
        names = [f"ep-{i}" for i in range(6)]
        for name in names:
            (root / "endpoints" / f"{name}.yaml").write_text(
                (root / "endpoints" / "own.yaml").read_text().replace("name: own",
                                                                     f"name: {name}"))
        started = time.monotonic()
        code, _out, err = run_cli(capsys, "apply", "-C", str(root), "--auto-approve",
                                  "--no-wait")
        assert code == 0, err
        assert time.monotonic() - started >= 2.0  # 7+ writes and reads at 3/s
        log = (tmp_path / "requests.jsonl").read_text()
        assert '"status": 429' not in log and '"status":429' not in log
        code, _out, err = run_cli(capsys, "plan", "-C", str(root), "--max-rps", "0")
        assert code == 0, err  # 0: no limit (the server's 429s are retried)


def test_a_loopback_emulator_gets_no_default_budget_but_a_workspace_does() -> None:
    from reconciler.registry import _budget

    assert _budget(None, None, "http://127.0.0.1:8787") is None
    assert _budget(None, None, "http://localhost:8787") is None
    assert _budget(None, None, "http://[::1]:8787") is None
    assert _budget(None, None, "https://dbc-123.cloud.databricks.com") is not None
    assert _budget(3, None, "http://127.0.0.1:8787") is not None
