"""``apply --smoke``: each created or changed endpoint gets its smoke query once ready; a
failing one is ``failed (smoke)`` with the status and message, and apply exits 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.cli import run_cli
from support.smoke_project import fail, write_project


def test_created_endpoints_are_smoked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = write_project(tmp_path / "project")
    code, out, err = run_cli(capsys, "apply", "-C", str(root), "--auto-approve", "--smoke")
    assert code == 0, out + err
    chat = next(line for line in out.splitlines() if line.startswith("+ chat:"))
    assert "smoke passed in" in chat
    no_smoke = next(line for line in out.splitlines() if line.startswith("+ no-smoke:"))
    assert "smoke skipped: a custom-model endpoint needs smoke_test.request" in no_smoke


def test_a_failing_new_endpoint_fails_apply(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    root = write_project(tmp_path / "project")
    fail(root, name="embeddings", status=401, rate=1)  # armed before the endpoint exists
    code, out, _err = run_cli(capsys, "apply", "-C", str(root), "--auto-approve", "--smoke",
                              "--format", "json")
    assert code == 1
    report = json.loads(out)
    by_name = {o["name"]: o for o in report["outcomes"]}
    embeddings = by_name["embeddings"]
    assert embeddings["status"] == "failed" and embeddings["failure"] == "smoke"
    assert embeddings["smoke"]["status_code"] == 401
    assert embeddings["smoke"]["error_code"] == "UNAUTHENTICATED"
    assert embeddings["error"].startswith("smoke query failed: 401 UNAUTHENTICATED: ")
    assert by_name["chat"]["status"] == "done" and by_name["chat"]["smoke"]["result"] == "passed"
    assert report["ok"] is False


def test_a_changed_endpoint_is_smoked_and_unchanged_ones_are_not(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fail(project, name="completions", status=500, rate=1)  # untouched: never queried
    fail(project, name="chat", status=429, rate=1, message="quota exceeded")
    path = project / "endpoints" / "all.yaml"
    path.write_text(path.read_text().replace("name: gpt-4o-mini\n", "name: gpt-4o\n", 1))
    code, out, _err = run_cli(capsys, "apply", "-C", str(project), "--auto-approve", "--smoke")
    assert code == 1
    assert ("! chat: FAILED (smoke): smoke query failed: 429 REQUEST_LIMIT_EXCEEDED: "
            "quota exceeded") in out
    assert not [line for line in out.splitlines() if line.startswith(("! completions",
                                                                       "~ completions"))]
    # The change itself was applied: the next plan is empty; clearing the fault, test passes.
    code, out, _err = run_cli(capsys, "plan", "-C", str(project), "--detailed-exitcode")
    assert code == 0, out
    fail(project, name="chat", status=429, rate=0)
    code, out, _err = run_cli(capsys, "test", "-C", str(project), "--select", "chat")
    assert code == 0, out


def test_smoke_needs_waiting(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run_cli(capsys, "apply", "-C", str(project), "--auto-approve", "--smoke",
                              "--no-wait")
    assert code == 2 and "cannot be combined with --no-wait" in err
