"""``apply --progressive``: staged traffic rollouts with gates and automatic rollback, against
``reconciler emulator serve`` (its request log shows every config update), checked with the
official Databricks SDK."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.cli import run_cli
from support.emulator_server import EmulatorServer
from support.registry_harness import add_target
from support.smoke_project import PROJECT

from reconciler.planning.rollout import blend, parse_steps, rollback_body, staged_rollout

TOKEN_ENV = "SMOKE_EMU_TOKEN"
CONFIG_PATH = "/api/2.0/serving-endpoints/chat/config"


def chat(entities: list[tuple[str, str]], routes: dict[str, int] | None = None,
         team: str = "a") -> str:
    lines = [f"name: chat\ntags: {{team: {team}}}\nconfig:\n  served_entities:"]
    for name, model in entities:
        lines.append(textwrap.indent(textwrap.dedent(f"""\
            - name: {name}
              external_model:
                name: {model}
                provider: openai
                task: llm/v1/chat
                openai_config: {{openai_api_key: "{{{{secrets/s/k}}}}"}}"""), "    "))
    if routes:
        lines.append("  traffic_config:\n    routes:")
        lines += [f"      - {{served_entity_name: {n}, traffic_percentage: {p}}}"
                  for n, p in routes.items()]
    return "\n".join(lines) + "\n"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[EmulatorServer]:
    with EmulatorServer.start(db_path=tmp_path / "emu.db", log_path=tmp_path / "server.log",
                              seed=11, request_log=tmp_path / "requests.jsonl") as running:
        yield running


@pytest.fixture
def project(tmp_path: Path, server: EmulatorServer, monkeypatch: pytest.MonkeyPatch,
            capsys: pytest.CaptureFixture[str]) -> Path:
    root = tmp_path / "project"
    (root / "endpoints").mkdir(parents=True)
    (root / "reconciler.yaml").write_text(PROJECT)
    add_target(root, "emu", server.url, TOKEN_ENV)
    monkeypatch.setenv(TOKEN_ENV, server.token)
    (root / "endpoints" / "chat.yaml").write_text(chat([("old", "gpt-4o-mini")]))
    assert cli(capsys, root, "apply", "--auto-approve")[0] == 0
    return root


def cli(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> tuple[int, str, str]:
    return run_cli(capsys, args[0], "-C", str(root), "-t", "emu", *args[1:])


def fail_queries(server: EmulatorServer, **body: Any) -> None:
    response = httpx.post(server.url + "/_emulator/fail-queries", json=body,
                          headers={"Authorization": f"Bearer {server.token}"})
    assert response.status_code == 200


def config_puts(tmp_path: Path) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in (tmp_path / "requests.jsonl").read_text().splitlines()]
    return [r for r in rows if r["method"] == "PUT" and r["path"] == CONFIG_PATH]


def sdk_config(server: EmulatorServer) -> tuple[list[tuple[str, str]], dict[str, int]]:
    from databricks.sdk import WorkspaceClient

    got = WorkspaceClient(host=server.url, token=server.token).serving_endpoints.get("chat")
    assert got.config is not None and got.pending_config is None
    entities = sorted((e.name or "", e.external_model.name if e.external_model else "")
                      for e in got.config.served_entities or [])
    routes = {r.served_entity_name or "": r.traffic_percentage or 0
              for r in (got.config.traffic_config.routes if got.config.traffic_config else [])
              or []}
    return entities, routes


@pytest.mark.e2e  # a served emulator subprocess per test
def test_a_failing_new_entity_rolls_back_then_completes_once_fixed(
    project: Path, server: EmulatorServer, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    before = sdk_config(server)
    assert before == ([("old", "gpt-4o-mini")], {"old": 100})
    (project / "endpoints" / "chat.yaml").write_text(
        chat([("new", "gpt-4o")], team="b"))  # replace the entity, and a tag
    fail_queries(server, name="chat", served_entity="new", status=401, rate=1)
    puts_before = len(config_puts(tmp_path))

    code, out, err = cli(capsys, project, "apply", "--auto-approve", "--progressive",
                         "10,50,100", "--format", "json")
    assert code == 1, err
    outcome = json.loads(out)["outcomes"][0]
    assert outcome["status"] == "rolled-back" and outcome["failure"] == "rolled-back"
    rollout = outcome["rollout"]
    assert rollout["failed_step"] == 1 and rollout["rolled_back"] is True
    assert rollout["restored_routes"] == {"old": 100}
    gate = rollout["steps"][0]["gates"][0]
    assert gate == {**gate, "target": "new", "queries": 10, "passed": 0, "required_ratio": 1.0}
    assert "401 UNAUTHENTICATED" in gate["failing_answers"][0]
    assert "step 1 (add 0%) failed: gate new: 0/10 passed" in outcome["error"]
    # Exactly the previous config, seen by the official SDK; the tag was not written either.
    assert sdk_config(server) == before
    puts = config_puts(tmp_path)[puts_before:]
    assert len(puts) == 2  # the add step, then the rollback
    code, out, _err = cli(capsys, project, "plan", "--detailed-exitcode")
    assert code == 2 and "chat" in out  # the change is still to be made

    fail_queries(server, name="chat", served_entity="new", status=401, rate=0)
    code, out, err = cli(capsys, project, "apply", "--auto-approve", "--progressive",
                         "10,50,100")
    assert code == 0, out + err
    line = next(x for x in out.splitlines() if x.startswith("~ chat: updated config, tags ("))
    assert "staged rollout: 5 config updates" in line
    assert sdk_config(server) == ([("new", "gpt-4o")], {"new": 100})
    staged = config_puts(tmp_path)[puts_before + 2:]
    assert [p["status"] for p in staged] == [200] * 5  # add, 10 %, 50 %, 100 %, final
    code, out, _err = cli(capsys, project, "plan", "--detailed-exitcode")
    assert code == 0, out


@pytest.mark.e2e  # a served emulator subprocess per test
def test_a_canary_split_steps_traffic_and_plan_shows_the_steps(
    project: Path, server: EmulatorServer, capsys: pytest.CaptureFixture[str],
) -> None:
    (project / "endpoints" / "chat.yaml").write_text(
        chat([("old", "gpt-4o-mini"), ("canary", "gpt-4o")], {"old": 80, "canary": 20}))
    code, out, err = cli(capsys, project, "plan", "--progressive", "50,100")
    assert code == 0, err
    assert "chat: staged in 3 config updates" in out
    assert "1. add       canary 0 %, old 100 %" in out
    assert "2. shift 50  canary 10 %, old 90 %" in out
    assert "3. shift 100 canary 20 %, old 80 %" in out
    code, out, err = cli(capsys, project, "apply", "--auto-approve", "--progressive", "50,100",
                         "--gate-queries", "3", "--format", "json")
    assert code == 0, err
    steps = json.loads(out)["outcomes"][0]["rollout"]["steps"]
    assert [(s["kind"], s["routes"]) for s in steps] == [
        ("add", {"old": 100, "canary": 0}), ("shift", {"canary": 10, "old": 90}),
        ("shift", {"canary": 20, "old": 80})]
    assert [g["queries"] for s in steps for g in s["gates"]] == [3, 3, 3]
    assert sdk_config(server) == ([("canary", "gpt-4o"), ("old", "gpt-4o-mini")],
                                  {"canary": 20, "old": 80})


@pytest.mark.e2e  # a served emulator subprocess per test
def test_a_gate_on_the_endpoint_can_fail_a_later_step(
    project: Path, server: EmulatorServer, capsys: pytest.CaptureFixture[str],
) -> None:
    (project / "endpoints" / "chat.yaml").write_text(chat([("new", "gpt-4o")]))
    # The new entity answers (its direct gate passes), but queries through the endpoint
    # that the old one answers fail: the endpoint's gate at 50 % sees about half fail.
    fail_queries(server, name="chat", served_entity="old", status=503, rate=1)
    code, out, _err = cli(capsys, project, "apply", "--auto-approve", "--progressive", "50,100",
                          "--gate-success", "0.9")
    assert code == 1
    assert "ROLLED BACK: step 2 (shift 50%) failed: gate endpoint:" in out
    assert "90% required" in out and "503 TEMPORARILY_UNAVAILABLE" in out
    assert "rollback: restored the live config (old 100 %)" in out
    assert sdk_config(server) == ([("old", "gpt-4o-mini")], {"old": 100})


@pytest.mark.e2e  # a served emulator subprocess per test
def test_updates_that_move_no_traffic_apply_as_usual(
    project: Path, server: EmulatorServer, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    (project / "endpoints" / "chat.yaml").write_text(chat([("old", "gpt-4o")], team="c"))
    code, out, _err = cli(capsys, project, "plan", "--progressive", "10,100")
    assert "chat: not staged (no traffic moves to a new served entity): applied as usual" in out
    puts_before = len(config_puts(tmp_path))
    code, out, err = cli(capsys, project, "apply", "--auto-approve", "--progressive", "10,100")
    assert code == 0, err
    assert len(config_puts(tmp_path)) == puts_before + 1
    assert sdk_config(server) == ([("old", "gpt-4o")], {"old": 100})


@pytest.mark.e2e  # a served emulator subprocess per test
def test_steps_are_checked(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for bad in ("10,50", "50,10,100", "0,100", "x"):
        code, _out, err = cli(capsys, project, "apply", "--auto-approve", "--progressive", bad)
        assert code == 2 and "--progressive" in err, err


# --- the pure step computation ------------------------------------------------------------

def test_blend_keeps_whole_percentages_adding_to_100() -> None:
    assert blend({"a": 100}, {"b": 100}, 10) == {"a": 90, "b": 10}
    assert blend({"a": 50, "b": 50}, {"a": 34, "b": 33, "c": 33}, 50) == {
        "a": 42, "b": 42, "c": 16}  # ties of the remainder go by name
    for percent in range(0, 101):
        assert sum(blend({"a": 33, "b": 67}, {"c": 100}, percent).values()) == 100
    assert parse_steps("10, 50,100") == [10, 50, 100]


def _entity(name: str, model: str) -> dict[str, Any]:
    return {"name": name, "external_model": {
        "name": model, "provider": "openai", "task": "llm/v1/chat",
        "openai_config": {"openai_api_key": "{{secrets/s/k}}"}}}


def test_staged_rollout_steps_and_rollback_body() -> None:
    live = {"name": "chat", "config": {
        "served_entities": [{**_entity("old", "m1"), "creator": "x", "state": {}}],
        "traffic_config": {"routes": [{"served_entity_name": "old", "served_model_name": "old",
                                       "traffic_percentage": 100}]}}}
    desired = {"served_entities": [_entity("new", "m2")]}
    steps = staged_rollout(live, desired, [25, 100])
    assert not isinstance(steps, str)
    assert [(s.kind, s.routes) for s in steps] == [
        ("add", {"old": 100, "new": 0}), ("shift", {"new": 25, "old": 75}),
        ("shift", {"new": 100, "old": 0}), ("final", {"new": 100})]
    assert steps[-1].body == desired and steps[0].gate_entities == ["new"]
    assert "creator" not in json.dumps(steps[0].body)
    assert rollback_body(live) == {"served_entities": [_entity("old", "m1")], "traffic_config": {
        "routes": [{"served_entity_name": "old", "traffic_percentage": 100}]}}
    plaintext = {"served_entities": [{**_entity("new", "m2"), "external_model": {
        **_entity("new", "m2")["external_model"],
        "openai_config": {"openai_api_key_plaintext": "${env.K}"}}}]}
    assert "write-only" in str(staged_rollout(live, plaintext, [100]))
    assert staged_rollout(live, {"served_entities": [_entity("old", "m3")]}, [100]) == (
        "no traffic moves to a new served entity")


