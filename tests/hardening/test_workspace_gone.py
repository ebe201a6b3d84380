"""A workspace gone for good mid-apply ends the wait after a bounded run of failed polls, with
a clear message, instead of polling until the 20-minute timeout (issue 14, item 15)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from support.hostile_http import (
    API,
    OWN_MANIFEST,
    Reply,
    Request,
    hostile_server,
    write_remote_project,
)

from reconciler.api import workflow
from reconciler.api.validating import load_project
from reconciler.applying.waiting import WaitSettings
from reconciler.registry import RetryPolicy, open_remote

UPDATING = {"ready": "NOT_READY", "config_update": "IN_PROGRESS"}


def test_apply_gives_up_on_a_workspace_that_stopped_answering(tmp_path: Path) -> None:
    gone = {"now": False}

    def answer(request: Request) -> Reply | None:
        if gone["now"]:
            return None  # the connection is closed without an answer, every time
        if request.method == "GET" and request.path == API:
            return Reply.of({"endpoints": []})
        if request.method == "POST":
            gone["now"] = True  # created, then the workspace vanishes
            return Reply.of({**request.json(), "state": UPDATING})
        return Reply.of({"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "no"}, 404)

    with hostile_server(answer) as server:
        root = write_remote_project(tmp_path / "p", server.url)
        assert "name: own" in OWN_MANIFEST
        project = load_project(root)
        waits = WaitSettings(timeout=1200.0, min_interval=0.05, max_interval=0.05)
        policy = RetryPolicy(backoffs=(0.05, 0.05), total_budget=10)

        async def scenario() -> tuple[object, float]:
            async with open_remote(server.url, "dapi-hostile-token", retry=policy,
                                   target="t") as registry:
                plan = await workflow.plan_with(project, registry, workflow.PlanSettings())
                started = time.monotonic()
                report = await workflow.apply_with(project, registry, plan,
                                                   workflow.ApplySettings(wait_settings=waits))
                return report, time.monotonic() - started

        report, elapsed = asyncio.run(scenario())
    assert elapsed < 20, elapsed  # not the 1200 s timeout
    assert not report.ok  # type: ignore[attr-defined]
    text = str(report.failed)  # type: ignore[attr-defined]
    assert "3 polls of the endpoint list in a row failed" in text, text
    assert "target may be gone" in text
