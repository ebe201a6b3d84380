"""The whole repository workflow, as a platform team runs it, against a loopback workspace.

`reconciler emulator serve` plays the workspace; every step is the real CLI in a subprocess:
validate, plan to a file, apply the file, change a manifest and see exactly that change,
someone edits the endpoint with the Databricks SDK, `drift` names the field (exit 2),
apply heals it, and `reconcile --interval` heals the next edit by itself until SIGTERM.
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.service.serving import (
    AiGatewayRateLimit,
    AiGatewayRateLimitKey,
    AiGatewayRateLimitRenewalPeriod,
    AiGatewayUsageTrackingConfig,
    EndpointTag,
)
from support import cli_process
from support.emulator_server import EmulatorServer

pytestmark = pytest.mark.e2e

PROJECT = """\
project: gitops-e2e
project_id: 9e2e0a1b2c3d4f56
default_target: emu
variables: {{team: genai}}
targets:
  emu: {{host: '{host}', token_env: GITOPS_E2E_TOKEN, variables: {{env: prod}}}}
policy: {{required_tags: [team]}}
"""

CHAT = """\
name: chat
tags: {team: "${var.team}", tier: gold, env: "${var.env}"}
config:
  served_entities:
    - name: gpt
      external_model:
        name: gpt-4o
        provider: openai
        task: llm/v1/chat
        openai_config: {openai_api_key: "{{secrets/ai/openai}}"}
ai_gateway:
  usage_tracking_config: {enabled: true}
  rate_limits:
    - {key: user, renewal_period: minute, calls: 20}
"""

EMBEDDINGS = """\
name: embeddings
tags: {team: "${var.team}"}
config:
  served_entities:
    - name: small
      external_model:
        name: text-embedding-3-small
        provider: openai
        task: llm/v1/embeddings
        openai_config: {openai_api_key: "{{secrets/ai/openai}}"}
"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[EmulatorServer]:
    with EmulatorServer.start(db_path=tmp_path / "workspace.db", ready_after=0) as running:
        yield running


@pytest.fixture
def repo(tmp_path: Path, server: EmulatorServer) -> Path:
    root = tmp_path / "repo"
    (root / "endpoints").mkdir(parents=True)
    (root / "reconciler.yaml").write_text(PROJECT.format(host=server.url))
    (root / "endpoints" / "chat.yaml").write_text(CHAT)
    (root / "endpoints" / "embeddings.yaml").write_text(EMBEDDINGS)
    return root


def cli(root: Path, server: EmulatorServer, *args: str) -> cli_process.Finished:
    return cli_process.run(root, args[0], "-t", "emu", *args[1:],
                           env={"GITOPS_E2E_TOKEN": server.token}, timeout=120)


def changes(root: Path, server: EmulatorServer) -> list[tuple[str, str, Any, Any]]:
    """(endpoint, path, old, new) of every change `plan --format json` shows."""
    result = cli(root, server, "plan", "--format", "json", "--detailed-exitcode")
    assert result.returncode in (0, 2), result.stderr
    plan = json.loads(result.stdout)
    assert (plan["target_name"], plan["target_host"]) == ("emu", server.url)
    found = [(a["name"], c["path"], c["old"], c["new"])
             for a in plan["actions"] for c in a["changes"] if a["action"] != "no-op"]
    assert (result.returncode == 2) == bool(found)
    return found


def user_calls(sdk: WorkspaceClient) -> int | None:
    gateway = sdk.serving_endpoints.get("chat").ai_gateway
    limits = (gateway.rate_limits or []) if gateway else []
    return next((limit.calls for limit in limits if limit.key == AiGatewayRateLimitKey.USER),
                None)


@pytest.mark.slow
def test_the_gitops_workflow_end_to_end(repo: Path, server: EmulatorServer,
                                        tmp_path: Path) -> None:
    sdk = WorkspaceClient(host=server.url, token=server.token, auth_type="pat")

    # A pull request: offline validation, then the plan, saved for review.
    validated = cli(repo, server, "validate")
    assert validated.returncode == 0, validated.stdout
    saved = tmp_path / "plan.json"
    planned = cli(repo, server, "plan", "--out", str(saved))
    assert planned.returncode == 0, planned.stderr
    assert planned.stdout.startswith(f"Plan for project gitops-e2e, target emu ({server.url})")
    assert "Plan: 2 to create" in planned.stdout

    # Merged: apply exactly the reviewed plan.
    applied = cli(repo, server, "apply", str(saved), "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Apply finished: 2 done" in applied.stdout
    assert changes(repo, server) == []
    assert {t.key: t.value for t in sdk.serving_endpoints.get("chat").tags or []
            if not t.key.startswith("reconciler-")} == {"team": "genai", "tier": "gold",
                                                         "env": "prod"}

    # A manifest edit plans as exactly that change.
    chat = repo / "endpoints" / "chat.yaml"
    chat.write_text(CHAT.replace("tier: gold", "tier: platinum"))
    assert changes(repo, server) == [("chat", "tags[tier]", "gold", "platinum")]
    assert cli(repo, server, "apply", "--auto-approve").returncode == 0
    assert changes(repo, server) == []

    # Someone edits the endpoint behind the repository's back.
    sdk.serving_endpoints.patch("chat", add_tags=[EndpointTag(key="team", value="by-hand")])
    drift = cli(repo, server, "drift")
    assert drift.returncode == 2, drift.stdout + drift.stderr
    assert "tags[team]" in drift.stdout
    assert changes(repo, server) == [("chat", "tags[team]", "by-hand", "genai")]

    # Apply heals it: the plan is empty again and drift finds nothing.
    healed = cli(repo, server, "apply", "--auto-approve")
    assert healed.returncode == 0, healed.stdout + healed.stderr
    assert changes(repo, server) == []
    assert cli(repo, server, "drift").returncode == 0

    # Continuous mode heals the next edit by itself.
    log = tmp_path / "reconcile.jsonl"
    with cli_process.started(repo, "reconcile", "-t", "emu", "--interval", "1s", "--log-file",
                             str(log), env={"GITOPS_E2E_TOKEN": server.token}) as process:
        sdk.serving_endpoints.put_ai_gateway(
            "chat", usage_tracking_config=AiGatewayUsageTrackingConfig(enabled=True),
            rate_limits=[AiGatewayRateLimit(
                key=AiGatewayRateLimitKey.USER, calls=5000,
                renewal_period=AiGatewayRateLimitRenewalPeriod.MINUTE)])
        deadline = time.monotonic() + 60
        while user_calls(sdk) != 20:
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "reconcile did not heal the edit"
            time.sleep(0.2)
        process.send_signal(signal.SIGTERM)
        stopped = cli_process.finish(process, timeout=20)
    assert stopped.returncode == 0, stopped.stderr
    cycles = [json.loads(line) for line in log.read_text().splitlines()]
    assert all(c["target"] == "emu" and c["outcome"] in ("no-op", "applied") for c in cycles)
    assert [c["endpoints"] for c in cycles if c["outcome"] == "applied"] == [["chat"]]
    assert changes(repo, server) == []
