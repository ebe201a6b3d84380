"""RegistryClient against the real emulator app, in-process (the local target's path)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from support.registry_harness import EmulatorHarness, emulator_registry

from reconciler import errors


def entity(model: str = "gpt-4o") -> dict[str, Any]:
    return {"name": "chat", "external_model": {
        "name": model, "provider": "openai", "task": "llm/v1/chat",
        "openai_config": {"openai_api_key": "{{secrets/s/k}}"}}}


def run(tmp_path: Path, scenario: Callable[[EmulatorHarness], Awaitable[None]],
        **settings: Any) -> None:
    async def main() -> None:
        async with emulator_registry(tmp_path, **settings) as emu:
            await scenario(emu)

    asyncio.run(main())


def test_every_call_round_trips(tmp_path: Path) -> None:
    async def scenario(emu: EmulatorHarness) -> None:
        reg = emu.registry
        assert await reg.list_endpoints() == []  # the emulator omits an empty "endpoints"
        created = await reg.create_endpoint({"name": "ep", "config": {
            "served_entities": [entity()]}, "tags": [{"key": "team", "value": "a"}]})
        assert created["name"] == "ep"
        assert [e["name"] for e in await reg.list_endpoints()] == ["ep"]
        tags = await reg.patch_tags("ep", [{"key": "tier", "value": "gold"}], ["team"])
        assert tags["tags"] == [{"key": "tier", "value": "gold"}]
        gateway = await reg.put_ai_gateway("ep", {"usage_tracking_config": {"enabled": True}})
        assert gateway["usage_tracking_config"] == {"enabled": True}
        notes = await reg.patch_notifications(
            "ep", {"email_notifications": {"on_update_failure": ["a@b.c"]}})
        assert notes["email_notifications"]["on_update_failure"] == ["a@b.c"]
        updated = await reg.update_config("ep", {"served_entities": [entity("gpt-4o-mini")]})
        assert updated["state"]["config_update"] == "IN_PROGRESS"
        fetched = await reg.get_endpoint("ep")
        assert fetched is not None and fetched["state"]["config_update"] == "NOT_UPDATING"
        await reg.delete_endpoint("ep")
        assert await reg.get_endpoint("ep") is None
        assert reg.stats.total == 10

    run(tmp_path, scenario)


def test_api_errors_are_mapped(tmp_path: Path) -> None:
    async def scenario(emu: EmulatorHarness) -> None:
        reg = emu.registry
        await reg.create_endpoint({"name": "ep", "config": {"served_entities": [entity()]}})
        with pytest.raises(errors.RegistryConflict) as dup:
            await reg.create_endpoint({"name": "ep"})
        assert dup.value.error_code == "RESOURCE_ALREADY_EXISTS" and dup.value.status == 409
        with pytest.raises(errors.RegistryConflict, match=r"PUT .*/ep/config -> 409"):
            await reg.update_config("ep", {"served_entities": [entity("o1")]})  # in progress
        with pytest.raises(errors.RegistryRejected) as bad:
            await reg.create_endpoint({"name": "bad name!"})
        assert bad.value.status == 400 and "POST /api/2.0/serving-endpoints -> 400" in str(
            bad.value)
        with pytest.raises(errors.RegistryNotFound):
            await reg.patch_tags("missing", [{"key": "a", "value": "b"}], [])

    run(tmp_path, scenario, ready_after=30)


def test_faults_are_retried_until_the_attempts_run_out(tmp_path: Path) -> None:
    async def scenario(emu: EmulatorHarness) -> None:
        with pytest.raises(errors.RegistryTemporaryError) as info:
            await emu.registry.list_endpoints()
        assert info.value.attempts == emu.registry.retry.attempts
        assert info.value.status in (429, 503)
        assert len(emu.requests()) == emu.registry.retry.attempts

    run(tmp_path, scenario, fault_rate=1.0, seed=1)


def test_dropped_connections_are_retried(tmp_path: Path) -> None:
    async def scenario(emu: EmulatorHarness) -> None:
        for _ in range(10):
            await emu.registry.list_endpoints()
        dropped = [r for r in emu.requests() if str(r.get("fault", "")).startswith("drop")]
        assert dropped, "the seed drops some connections"
        assert emu.registry.stats.total == 10 + len(dropped)

    run(tmp_path, scenario, drop_rate=0.3, seed=5)
