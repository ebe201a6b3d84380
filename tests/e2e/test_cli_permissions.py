"""Permissions through the CLI against `reconciler emulator serve` (a CI identity's token)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from support import cli_process
from support.emulator_server import EmulatorServer

pytestmark = pytest.mark.e2e

CI = "ci-deployer@corp.example"
MANIFEST = """name: chat
tags: {team: genai}
config:
  served_entities:
    - name: gpt
      external_model:
        name: gpt-4o-mini
        provider: openai
        task: llm/v1/chat
        openai_config: {openai_api_key: "{{secrets/s/k}}"}
permissions:
  - {group_name: data-science, permission_level: CAN_QUERY}
"""


def cli(root: Path, server: EmulatorServer, *args: str) -> cli_process.Finished:
    return cli_process.run(root, args[0], "-t", "emu", *args[1:],
                           env={"EMU_TOKEN": server.token}, timeout=120)


def test_grants_apply_drift_and_come_back_through_the_cli(tmp_path: Path) -> None:
    with EmulatorServer.start(db_path=tmp_path / "e.db", user_name=CI) as server:
        root = tmp_path / "project"
        (root / "endpoints").mkdir(parents=True)
        (root / "reconciler.yaml").write_text(
            "project: perms\nmanifests: [endpoints/]\ndefault_target: emu\n"
            f"targets:\n  emu: {{host: '{server.url}', token_env: EMU_TOKEN}}\n")
        (root / "endpoints" / "chat.yaml").write_text(MANIFEST)
        first = cli(root, server, "apply", "--auto-approve", "--format", "json")
        assert first.returncode == 0, first.stderr
        (outcome,) = json.loads(first.stdout)["outcomes"]
        assert outcome["requests"][0] == "POST /api/2.0/serving-endpoints"
        assert outcome["requests"][1].startswith("PATCH /api/2.0/permissions/serving-endpoints/")
        assert cli(root, server, "plan", "--detailed-exitcode").returncode == 0

        # Someone grants a user CAN_MANAGE by hand.
        http = httpx.Client(base_url=server.url,
                            headers={"Authorization": f"Bearer {server.token}"})
        endpoint_id = http.get("/api/2.0/serving-endpoints/chat").json()["id"]
        path = f"/api/2.0/permissions/serving-endpoints/{endpoint_id}"
        http.patch(path, json={"access_control_list": [
            {"user_name": "mallory@example.com", "permission_level": "CAN_MANAGE"}]})
        drift = cli(root, server, "drift")
        assert drift.returncode == 2, drift.stdout + drift.stderr
        assert "permissions[user:mallory@example.com]" in drift.stdout
        plan = cli(root, server, "plan", "--detailed-exitcode")
        assert plan.returncode == 2
        assert '- permissions[user:mallory@example.com] = "CAN_MANAGE"' in plan.stdout
        assert "changed outside the repository" in plan.stdout
        assert cli(root, server, "apply", "--auto-approve").returncode == 0
        acl = http.get(path).json()["access_control_list"]
        direct = {e.get("user_name") or e.get("group_name"): e["all_permissions"][0]
                  ["permission_level"] for e in acl if not e["all_permissions"][0]["inherited"]}
        assert direct == {CI: "CAN_MANAGE", "data-science": "CAN_QUERY"}  # the caller kept
        http.close()
        assert cli(root, server, "plan", "--detailed-exitcode").returncode == 0
