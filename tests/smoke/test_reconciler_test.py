"""``reconciler test``: one smoke query per endpoint, against the embedded local registry,
with faults injected through the emulator's ``/_emulator/fail-queries`` on the same file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.cli import run_cli
from support.emulator_server import EmulatorServer
from support.registry_harness import add_target
from support.smoke_project import PROJECT, SECRET, external, fail, manifest, write_project

from reconciler.diff.desired import config_body, desired_body
from reconciler.model.endpoint import ServingEndpoint


def test_every_task_format_passes(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run_cli(capsys, "test", "-C", str(project))
    assert code == 0, out
    lines = {line.split()[1]: line for line in out.splitlines() if line[:4].strip() in
             ("ok", "FAIL", "skip")}
    assert lines["chat"].startswith("ok") and "llm/v1/chat" in lines["chat"]
    assert lines["completions"].startswith("ok") and lines["embeddings"].startswith("ok")
    assert lines["churn"].startswith("ok")  # the manifest's own request and expected keys
    assert lines["no-smoke"].startswith("skip")
    assert "a custom-model endpoint needs smoke_test.request" in lines["no-smoke"]
    assert "6 smoke queries: 5 passed, 0 failed, 1 skipped" in out


def test_a_failing_endpoint_fails_the_run_naming_it_and_the_status(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fail(project, name="embeddings", status=401, rate=1)
    code, out, _err = run_cli(capsys, "test", "-C", str(project))
    assert code == 1
    line = next(x for x in out.splitlines() if x.startswith("FAIL"))
    assert "embeddings" in line and "401 UNAUTHENTICATED" in line
    assert "failed to answer" in line
    assert "1 failed" in out
    code, out, _err = run_cli(capsys, "test", "-C", str(project), "--select", "chat,churn")
    assert code == 0 and "2 smoke queries: 2 passed" in out


def test_each_entity_proves_every_backend(project: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    fail(project, name="split", served_entity="b", status=500, rate=1, message="bad deployment")
    code, out, _err = run_cli(capsys, "test", "-C", str(project), "--select", "split",
                              "--each-entity", "--format", "json")
    assert code == 1
    report = json.loads(out)
    by_entity = {r["served_entity"]: r for r in report["results"]}
    assert by_entity["a"]["result"] == "passed" and by_entity["a"]["answered_by"] == "a"
    assert by_entity["b"] == {**by_entity["b"], "result": "failed", "status_code": 500,
                              "error_code": "INTERNAL_ERROR", "message": "bad deployment"}
    assert report["ok"] is False and report["failed"] == 1 and report["passed"] == 1


def test_json_and_markdown_reports(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run_cli(capsys, "test", "-C", str(project), "--format", "json")
    assert code == 0
    report = json.loads(out)
    assert report["schema_version"] == 1 and report["target_name"] == "local"
    chat = next(r for r in report["results"] if r["name"] == "chat")
    assert chat["result"] == "passed" and chat["status_code"] == 200
    assert chat["request_source"] == "task" and chat["latency_ms"] >= 0
    churn = next(r for r in report["results"] if r["name"] == "churn")
    assert churn["request_source"] == "manifest"
    code, out, _err = run_cli(capsys, "test", "-C", str(project), "--format", "markdown")
    assert code == 0 and out.startswith("### Smoke test of `local`: passed")
    assert "| `no-smoke` | skipped |" in out


def test_answers_missing_expected_keys_fail(project: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = project / "endpoints" / "all.yaml"
    path.write_text(path.read_text().replace("expect: [predictions]", "expect: [outputs]"))
    code, out, _err = run_cli(capsys, "test", "-C", str(project), "--select", "churn")
    assert code == 1 and "the answer has no 'outputs' (smoke_test.expect)" in out


def test_an_endpoint_not_applied_yet_fails(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "fresh"
    (root / "endpoints").mkdir(parents=True)
    (root / "reconciler.yaml").write_text(PROJECT)
    (root / "endpoints" / "chat.yaml").write_text(
        manifest("chat", external("gpt", "gpt-4o-mini", "llm/v1/chat")))
    code, out, _err = run_cli(capsys, "test", "-C", str(root))
    assert code == 1 and "does not exist on the target (apply first)" in out
    code, _out, err = run_cli(capsys, "test", "-C", str(root), "--select", "nope")
    assert code == 1 and "--select names endpoints that no manifest declares: nope" in err


def test_error_messages_are_masked(project: Path, capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMOKE_KEY", SECRET)
    path = project / "endpoints" / "all.yaml"
    path.write_text(path.read_text().replace(
        'openai_config: {openai_api_key: "{{secrets/s/k}}"}',
        'openai_config: {openai_api_key_plaintext: "${env.SMOKE_KEY}"}', 1))
    (project / "reconciler.yaml").write_text(PROJECT + "policy: {plaintext_secrets: env-only}\n")
    fail(project, name="chat", status=401, rate=1, message=f"Incorrect API key {SECRET}")
    for fmt in ("text", "json", "markdown"):
        code, out, err = run_cli(capsys, "test", "-C", str(project), "--select", "chat",
                                 "--format", fmt)
        assert code == 1, err
        assert SECRET not in out + err and "Incorrect API key" in out


def test_smoke_test_is_manifest_only() -> None:
    endpoint = ServingEndpoint.model_validate({
        "name": "x", "config": {"served_entities": [{"entity_name": "m", "entity_version": "1",
                                                     "workload_size": "Small",
                                                     "scale_to_zero_enabled": True}]},
        "smoke_test": {"request": {"inputs": [1]}, "expect": ["predictions"]}})
    assert "smoke_test" not in desired_body(endpoint, "p")
    assert "smoke_test" not in config_body(endpoint)
    assert "smoke_test" not in endpoint.to_wire()


def test_plan_ignores_smoke_test_changes(project: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    path = project / "endpoints" / "all.yaml"
    path.write_text(path.read_text().replace("expect: [predictions]", "expect: [other]"))
    code, out, _err = run_cli(capsys, "plan", "-C", str(project), "--detailed-exitcode")
    assert code == 0 and "No changes" in out


@pytest.mark.parametrize(("smoke", "message"), [
    ("{request: {prompt: hi}}", "a llm/v1/chat endpoint's smoke request needs 'messages'"),
    ("{request: {messages: [{role: user, content: hi}], input: x}}",
     "'input' is not a field for an endpoint with task llm/v1/chat"),
    ("{request: {}}", "smoke_test.request is empty"),
    ("{request: {messages: []}, expect: ['choices..text']}", "is not an answer key path"),
    ("{expect: [x]}", "missing required field 'request' in smoke_test"),
])
def test_validate_checks_the_smoke_request(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           smoke: str, message: str) -> None:
    path = tmp_path / "chat.yaml"
    path.write_text(manifest("chat", external("gpt", "gpt-4o-mini", "llm/v1/chat"),
                             f"smoke_test: {smoke}\n"))
    code, out, err = run_cli(capsys, "validate", str(path))
    assert code == 1
    assert message in out + err
    assert f"{path}:" in out + err


@pytest.mark.slow  # a real query timeout
def test_a_slow_answer_fails_after_the_timeout(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    with EmulatorServer.start(db_path=tmp_path / "emu.db", log_path=tmp_path / "server.log",
                              latency_ms=300) as server:
        root = write_project(tmp_path / "project",
                             manifest("chat", external("gpt", "gpt-4o-mini", "llm/v1/chat")))
        add_target(root, "emu", server.url, "SLOW_EMU_TOKEN")
        monkeypatch.setenv("SLOW_EMU_TOKEN", server.token)
        code, _out, err = run_cli(capsys, "apply", "-C", str(root), "-t", "emu",
                                  "--auto-approve")
        assert code == 0, err
        code, out, _err = run_cli(capsys, "test", "-C", str(root), "-t", "emu",
                                  "--timeout", "0.1s")
        assert code == 1 and "no answer within 0.1s" in out
        code, out, _err = run_cli(capsys, "test", "-C", str(root), "-t", "emu",
                                  "--timeout", "5s")
        assert code == 0, out
