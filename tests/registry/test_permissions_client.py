"""Permission calls of the registry client: on the emulator, hostile answers (their pacing:
test_budget.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from support.registry_harness import EmulatorHarness, emulator_registry

from reconciler import errors
from reconciler.registry import RegistryClient
from reconciler.registry import permissions as api

from .conftest import json_response
from .test_client_emulator import entity


def test_permissions_round_trip_on_the_emulator(tmp_path: Path) -> None:
    async def scenario(emu: EmulatorHarness) -> None:
        reg = emu.registry
        created = await reg.create_endpoint({"name": "ep", "config": {
            "served_entities": [entity()]}})
        answer = await api.get_permissions(reg, created["id"], "ep")
        assert answer["object_id"] == f"/serving-endpoints/{created['id']}"
        body = {"access_control_list": [{"group_name": "g", "permission_level": "CAN_VIEW"}]}
        patched = await api.write_permissions(reg, created["id"], "PATCH", body, "ep")
        assert len(patched["access_control_list"]) == 3  # creator, g, admins
        put = await api.write_permissions(reg, created["id"], "PUT", body, "ep")
        assert len(put["access_control_list"]) == 2  # g, admins
        assert (await api.current_user(reg))["userName"] == "emulator@localhost"
        with pytest.raises(errors.RegistryNotFound):
            await api.get_permissions(reg, "0" * 32)
        with pytest.raises(errors.RegistryRejected, match="CAN_RUN"):
            await api.write_permissions(reg, created["id"], "PUT", {"access_control_list": [
                {"group_name": "g", "permission_level": "CAN_RUN"}]})

    async def main() -> None:
        async with emulator_registry(tmp_path) as emu:
            await scenario(emu)

    asyncio.run(main())


@pytest.mark.parametrize("body", [
    {"access_control_list": "everyone"},
    {"access_control_list": ["g"]},
])
def test_a_permissions_answer_of_the_wrong_shape_is_a_protocol_error(
        make_client: Callable[..., RegistryClient], body: object) -> None:
    client = make_client(lambda _request: json_response(200, body))
    with pytest.raises(errors.RegistryProtocolError, match="access_control_list"):
        asyncio.run(api.get_permissions(client, "abc", "ep"))


def test_scim_me_without_a_user_name_is_a_protocol_error(
        make_client: Callable[..., RegistryClient]) -> None:
    client = make_client(lambda _request: json_response(200, {"id": "1"}))
    with pytest.raises(errors.RegistryProtocolError, match="userName"):
        asyncio.run(api.current_user(client))


def test_an_endpoint_id_cannot_address_another_path(
        make_client: Callable[..., RegistryClient]) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.raw_path.decode())
        return json_response(200, {"access_control_list": []})

    asyncio.run(api.get_permissions(make_client(handler), "../../clusters/x"))
    assert seen == ["/api/2.0/permissions/serving-endpoints/%2E%2E%2F%2E%2E%2Fclusters%2Fx"]
