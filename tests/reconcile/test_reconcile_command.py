"""`reconciler reconcile` in-process on the local target: what it writes, and its exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support.cli import run_cli

from reconcile.projects import make_project

DEPRECATED = ("  auto_capture_config: {catalog_name: main, schema_name: logs, "
              "enabled: true}\n")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    return run_cli(capsys, "reconcile", "--interval", "0.05s", "--max-backoff", "0.1s", *args)


def lines(err: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in err.splitlines()]


def test_stderr_holds_only_json_lines_and_a_manifest_warning_once(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(tmp_path / "p", "chat")
    chat = root / "endpoints" / "chat.yaml"
    chat.write_text(chat.read_text() + DEPRECATED)
    monkeypatch.chdir(root)
    code, out, err = run(capsys, "--max-cycles", "3")
    assert (code, out) == (0, "")
    written = lines(err)
    assert [w["message"] for w in written if "level" in w] == [
        "endpoints/chat.yaml:11:24: ENDPOINT-014 auto_capture_config is deprecated; use "
        "ai_gateway.inference_table_config"]
    assert [c["outcome"] for c in written if "cycle" in c] == ["applied", "no-op", "no-op"]


def test_log_file_gets_the_records_and_report_only_writes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    root = make_project(tmp_path / "p", "chat")
    log = tmp_path / "cycles.jsonl"
    code, _, err = run(capsys, "-C", str(root), "--report-only", "--max-cycles", "2",
                       "--log-file", str(log))
    assert (code, err) == (0, "")
    assert [(c["outcome"], c["endpoints"]) for c in lines(log.read_text())] == [
        ("reported", ["chat"])] * 2
    code, _, _ = run(capsys, "-C", str(root), "--max-cycles", "1", "--log-file", str(log))
    assert code == 0
    assert lines(log.read_text())[-1]["outcome"] == "applied"  # appended


def test_failing_cycles_back_off_and_the_last_one_sets_the_exit_code(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    root = make_project(tmp_path / "p", "chat")
    code, _, err = run(capsys, "-C", str(root), "--max-cycles", "3",
                       "--select", "no-such-endpoint")
    assert code == 1
    cycles = lines(err)
    assert [(c["outcome"], c["next_delay_seconds"]) for c in cycles] == [
        ("error", 0.1), ("error", 0.1), ("error", None)]
    assert "no-such-endpoint" in cycles[0]["error"]


def test_a_wrong_project_fails_at_once_without_a_cycle(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    root = make_project(tmp_path / "p", "chat")
    code, _, err = run(capsys, "-C", str(root), "-t", "prod")
    assert (code, err) == (1, "Error: unknown target 'prod' (targets: local)\n")
    (root / "endpoints" / "broken.yaml").write_text("name: chat2\nconfig: {served: 1}\n")
    code, _, err = run(capsys, "-C", str(root))
    assert code == 1 and err.startswith("Error: 1 error in the manifests:")
    assert "broken.yaml:2:10: STRUCT-001 unknown field 'served'" in err
    assert '"cycle"' not in err
    code, _, err = run(capsys, "-C", str(root), "--interval", "0")
    assert code == 2 and "must be more than zero" in err
