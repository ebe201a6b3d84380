"""Apply asked to stop (continuous mode's SIGTERM): nothing half-written, nothing new started.

The executor runs against the real emulator in-process; the stop is requested from the
progress callback at the moment the first endpoint starts writing.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from support.registry_harness import FAST_WAITS, emulator_registry

from reconciler.applying.executor import ApplyOptions, apply_plan
from reconciler.diff.digest import live_digest
from reconciler.diff.fields import OWNERSHIP_TAG
from reconciler.model.steps import CreateStep, PatchTagsStep, UpdateConfigStep
from reconciler.planning.plan import EndpointAction, Plan
from reconciler.registry import endpoint_path

PROJECT = "proj"


def served(model: str) -> list[dict[str, Any]]:
    return [{"name": "chat", "external_model": {
        "name": model, "provider": "openai", "task": "llm/v1/chat",
        "openai_config": {"openai_api_key": "{{secrets/s/k}}"}}}]


def create(name: str) -> EndpointAction:
    body = {"name": name, "config": {"served_entities": served("gpt-4o")},
            "tags": [{"key": OWNERSHIP_TAG, "value": PROJECT}]}
    return EndpointAction(name=name, action="create", facets=["config", "tags"], steps=[
        CreateStep(endpoint=name, body=body)])


def config_and_tags(name: str, digest: str) -> EndpointAction:
    """Two requests: a stop between them would leave the endpoint half-written."""
    return EndpointAction(name=name, action="update", facets=["config", "tags"],
                          live_digest=digest, steps=[
        UpdateConfigStep(endpoint=name, body={"served_entities": served("gpt-4o-mini")}),
        PatchTagsStep(endpoint=name, add_tags=[{"key": "tier", "value": "gold"}])])


def test_stop_finishes_the_endpoint_being_written_and_starts_no_other(tmp_path: Path) -> None:
    names = ["a", "b", "c"]

    async def scenario() -> None:
        async with emulator_registry(tmp_path, ready_after=2.0) as emu:
            seeded = await apply_plan(Plan(project=PROJECT, target_name="t",
                                           actions=[create(n) for n in names]),
                                      emu.registry, ApplyOptions(wait_settings=FAST_WAITS))
            assert seeded.ok
            digests = {}
            for name in names:
                found = await emu.registry.read_endpoint(name)
                assert found is not None
                digests[name] = live_digest(found)
            stop = False

            def on_event(_name: str, what: str) -> None:
                nonlocal stop
                if what.startswith("update"):
                    stop = True  # the first endpoint has just begun writing

            started = time.monotonic()
            report = await apply_plan(
                Plan(project=PROJECT, target_name="t",
                     actions=[config_and_tags(n, digests[n]) for n in names]),
                emu.registry,
                ApplyOptions(parallelism=1, wait_settings=FAST_WAITS, on_event=on_event,
                             stop_requested=lambda: stop))
            elapsed = time.monotonic() - started

            assert report.ok
            [done] = report.done
            assert done.requests == [f"PUT {endpoint_path(done.name, '/config')}",
                                     f"PATCH {endpoint_path(done.name, '/tags')}"]
            assert "not waited for (stopping)" in (done.note or "")
            assert elapsed < 1.5  # the 2 s rollout was not waited for
            not_started = report.not_started
            assert len(not_started) == 2 and not report.skipped
            assert all(o.note == "not started: apply is stopping" for o in not_started)
            assert report.stopped == "finish"
            for name in names:
                body = await emu.registry.get_endpoint(name)
                assert body is not None
                tags = {t["key"]: t.get("value") for t in body.get("tags", [])}
                written = name == done.name
                assert (tags.get("tier") == "gold") is written
                assert ("pending_config" in body) is written

    asyncio.run(scenario())
