"""Fault convergence: 200 endpoints applied through 429s, 503s, latency and dropped connections.

The emulator is the real app in-process (the ``local`` target's code path) with a seeded
share of requests answered 429 (with ``Retry-After``) or 503, or dropped without an answer
(half of the drops after the write was done, so the answer of a create is lost). Retries
sleep for nothing, so the test measures behaviour, not waiting. Each test checks what a user
would: the apply reports every endpoint done, each endpoint matches its manifest (the next
plan is empty), no endpoint was created twice, and retries were bounded and logged.
"""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path

import pytest
from support.registry_harness import FAST_WAITS, emulator_registry

from reconciler.api import workflow
from reconciler.api.validating import load_project
from reconciler.registry import RetryPolicy
from reliability.generated import API, read_log, status_counts, successful_creates, write_project

ENDPOINTS = 200
APPLY = workflow.ApplySettings(wait_settings=FAST_WAITS, env={})
RETRY_LINE = re.compile(r"attempt (\d+)/(\d+) failed; retrying in")


async def _converge(tmp_path: Path, caplog: pytest.LogCaptureFixture, **faults: float) -> dict[
        str, object]:
    root = write_project(tmp_path / "project", ENDPOINTS, target="{local: unused.db}")
    project = load_project(root, env={})
    async with emulator_registry(tmp_path, latency_ms=2, seed=20261121, **faults) as emu:
        with caplog.at_level(logging.INFO, logger="reconciler.registry.retry"):
            plan = await workflow.plan_with(project, emu.registry, workflow.PlanSettings())
            assert plan.counts().get("create") == ENDPOINTS
            report = await workflow.apply_with(project, emu.registry, plan, APPLY)
            assert report.ok, [(o.name, o.error) for o in report.failed][:5]
            assert len(report.done) == ENDPOINTS
            # Every endpoint matches its manifest: a fresh plan (faults still on) is empty.
            again = await workflow.plan_with(project, emu.registry, workflow.PlanSettings())
            assert not again.has_changes, again.counts()

        rows = read_log(emu.log_path)
        live = await emu.registry.list_endpoints()
        names = [e["name"] for e in live]
        # Nothing lost, nothing doubled: each name exists once, none was deleted and
        # re-created, and the server performed at most one create per endpoint.
        assert sorted(names) == sorted(e.endpoint.name for e in project.endpoints)
        assert not [r for r in rows if r["method"] == "DELETE"]
        ok_creates = sum(1 for r in rows if r["method"] == "POST" and r["status"] == 200
                         and r["path"].rstrip("/") == API)
        assert ok_creates <= ENDPOINTS <= successful_creates(rows)

        retries = [RETRY_LINE.search(r.getMessage()) for r in caplog.records]
        attempts = [int(m.group(1)) for m in retries if m]
        limit = RetryPolicy().attempts
        print(f"{faults}: {len(rows)} requests, outcomes {dict(status_counts(rows))}, "
              f"{len(attempts)} retries logged, most attempts for one call "
              f"{max(attempts, default=1) + 1}")
        return {"rows": rows, "retries": attempts, "limit": limit,
                "faults": status_counts(rows)}


@pytest.mark.slow
def test_200_endpoints_converge_through_429_and_503(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    result = asyncio.run(_converge(tmp_path, caplog, fault_rate=0.2))
    faults = result["faults"]
    assert isinstance(faults, dict)
    injected = faults.get("429", 0) + faults.get("503", 0)
    # About a fifth of the requests were refused, and each refusal was retried and logged.
    assert injected > 0.15 * sum(faults.values()), faults
    retries = result["retries"]
    assert isinstance(retries, list) and len(retries) == injected
    assert max(retries) < int(str(result["limit"])), "a call used up its retries"


@pytest.mark.slow
def test_200_endpoints_converge_through_dropped_connections(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    result = asyncio.run(_converge(tmp_path, caplog, fault_rate=0.1, drop_rate=0.1))
    faults = result["faults"]
    assert isinstance(faults, dict)
    assert faults.get("drop-before", 0) > 10 and faults.get("drop-after", 0) > 10, faults
    rows = result["rows"]
    assert isinstance(rows, list)
    # Creates whose answer was lost were retried, found their endpoint, and counted as done.
    lost_creates = [r for r in rows if r["method"] == "POST" and r.get("fault") == "drop-after"]
    assert lost_creates, "the seed loses the answer of at least one create"
    refused_again = [r for r in rows if r["method"] == "POST" and r["status"] == 409]
    assert len(refused_again) >= 1
    retries = result["retries"]
    assert isinstance(retries, list) and retries
    assert max(retries) < int(str(result["limit"]))
