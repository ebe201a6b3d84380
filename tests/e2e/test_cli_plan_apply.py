"""The CLI as a user runs it: subprocesses against `reconciler emulator serve` on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from support import cli_process
from support.emulator_server import EmulatorServer
from support.registry_harness import EXAMPLES, add_target, copy_project

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    db = tmp_path_factory.mktemp("server") / "server.db"
    with EmulatorServer.start(db_path=db) as running:
        yield running


@pytest.fixture(scope="module")
def project(server: EmulatorServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_project(EXAMPLES, tmp_path_factory.mktemp("work") / "project")
    add_target(root, "emu", server.url, "EMU_TOKEN")
    return root


def cli(project: Path, server: EmulatorServer, *args: str,
        stdin: str | None = None) -> cli_process.Finished:
    return cli_process.run(project, args[0], "-t", "emu", *args[1:],
                           env={"EMU_TOKEN": server.token}, input=stdin, timeout=120)


def test_apply_converges_then_nothing_to_do(project: Path, server: EmulatorServer) -> None:
    first = cli(project, server, "apply", "--auto-approve")
    assert first.returncode == 0, first.stderr
    assert "16 to create" in first.stdout
    assert "Apply finished: 16 done, 0 unchanged" in first.stdout
    second = cli(project, server, "apply", "--auto-approve")
    assert second.returncode == 0 and "No changes" in second.stdout
    drift = cli(project, server, "plan", "--detailed-exitcode")
    assert drift.returncode == 0, drift.stdout


def test_apply_without_a_terminal_refuses(project: Path, server: EmulatorServer) -> None:
    chat = project / "endpoints" / "chat.yaml"
    original = chat.read_text()
    chat.write_text(original.replace("tier: gold", "tier: silver"))
    try:
        result = cli(project, server, "apply")
        assert result.returncode == 1
        assert "--auto-approve" in result.stderr and "Traceback" not in result.stderr
        assert cli(project, server, "plan", "--detailed-exitcode").returncode == 2
    finally:
        chat.write_text(original)


def test_saved_plan_applies_and_a_stale_one_is_refused(
    project: Path, server: EmulatorServer, tmp_path: Path
) -> None:
    chat = project / "endpoints" / "chat.yaml"
    original = chat.read_text()
    chat.write_text(original.replace("tier: gold", "tier: platinum"))
    try:
        good, stale = tmp_path / "good.json", tmp_path / "stale.json"
        assert cli(project, server, "plan", "--out", str(good)).returncode == 0
        applied = cli(project, server, "apply", str(good), "--auto-approve", "--format", "json")
        assert applied.returncode == 0, applied.stderr
        report = json.loads(applied.stdout)
        assert report["ok"] and [o["requests"] for o in report["outcomes"]
                                 if o["status"] == "done"] == [
            ["PATCH /api/2.0/serving-endpoints/bedrock-chat-completions-endpoint/tags"]]

        chat.write_text(original)
        assert cli(project, server, "plan", "--out", str(stale)).returncode == 0
        httpx.patch(f"{server.url}/api/2.0/serving-endpoints/bedrock-chat-completions-endpoint"
                    "/tags", json={"add_tags": [{"key": "tier", "value": "by-hand"}]},
                    headers={"Authorization": f"Bearer {server.token}"}).raise_for_status()
        refused = cli(project, server, "apply", str(stale), "--auto-approve")
        assert refused.returncode == 1
        assert "stale plan" in refused.stdout and "reconciler plan" in refused.stdout
    finally:
        chat.write_text(original)
        cli(project, server, "apply", "--auto-approve")


def test_export_then_plan_shows_no_changes(
    project: Path, server: EmulatorServer, tmp_path: Path
) -> None:
    assert cli(project, server, "apply", "--auto-approve").returncode == 0
    exported = tmp_path / "exported"
    result = cli(project, server, "export", "--out", str(exported / "endpoints"))
    assert result.returncode == 0, result.stderr
    assert len(list((exported / "endpoints").glob("*.yaml"))) == 16
    (exported / "reconciler.yaml").write_text((project / "reconciler.yaml").read_text())
    plan = cli(exported, server, "plan", "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout


def test_debug_output_never_shows_the_token(project: Path, server: EmulatorServer) -> None:
    result = cli(project, server, "plan", "--debug")
    assert result.returncode == 0
    assert "GET /api/2.0/serving-endpoints" in result.stderr
    assert server.token not in result.stdout + result.stderr


def test_retries_are_shown_and_the_apply_converges(tmp_path: Path) -> None:
    with EmulatorServer.start(db_path=tmp_path / "faulty.db", fault_rate=0.3, seed=3,
                              retry_after=0) as faulty:
        root = copy_project(EXAMPLES, tmp_path / "project")
        add_target(root, "emu", faulty.url, "EMU_TOKEN")
        result = cli(root, faulty, "apply", "--auto-approve", "--select",
                     "openai-chat-endpoint,palm-chat-endpoint,vertex-chat-endpoint")
        assert result.returncode == 0, result.stdout + result.stderr
        assert "failed; retrying in" in result.stderr
        assert "Apply finished: 3 done" in result.stdout


def test_timeout_and_no_wait(tmp_path: Path) -> None:
    with EmulatorServer.start(db_path=tmp_path / "slow.db", ready_after=60) as slow:
        root = copy_project(EXAMPLES, tmp_path / "project")
        add_target(root, "emu", slow.url, "EMU_TOKEN")
        timed_out = cli(root, slow, "apply", "--auto-approve", "--timeout", "1s",
                        "--select", "openai-chat-endpoint")
        assert timed_out.returncode == 1
        assert "FAILED (timeout)" in timed_out.stdout
        no_wait = cli(root, slow, "apply", "--auto-approve", "--no-wait",
                      "--select", "palm-chat-endpoint")
        assert no_wait.returncode == 0, no_wait.stdout + no_wait.stderr
        assert "not waited for (--no-wait)" in no_wait.stdout
