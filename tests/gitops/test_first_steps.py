"""What a new user trips over in the first hour (issue 10, part 7), on the embedded registry."""

from __future__ import annotations

import io
import shlex
from pathlib import Path

import pytest

from reconciler.cli.progress import ProgressDisplay, format_waiting
from tests.reconcile.projects import make_project
from tests.support.cli import run_cli


def test_a_target_with_both_host_and_local_is_a_located_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(tmp_path / "proj", "chat")
    (root / "reconciler.yaml").write_text(
        "project: p\ntargets:\n  prod:\n    host: https://dbc-1.cloud.databricks.com\n"
        "    local: .reconciler/local.db\n")
    code, out, _ = run_cli(capsys, "validate", "-C", str(root))
    assert code == 1
    assert "reconciler.yaml:5:5: error PROJECT-002 target 'prod' sets both local:" in out
    code, _, err = run_cli(capsys, "plan", "-C", str(root), "-t", "prod")
    assert code == 1 and "PROJECT-002" in err
    assert not (root / ".reconciler").exists()  # the local file was not used either


@pytest.mark.parametrize("command", ["plan", "apply"])
def test_a_broken_project_file_shows_the_problems_validate_shows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    root = make_project(tmp_path / "proj", "chat")
    (root / "reconciler.yaml").write_text(
        "project: p\ntargts:\n  local: {local: .reconciler/local.db}\ndefault_target: [x]\n")
    _, validate_out, _ = run_cli(capsys, "validate", "-C", str(root))
    problems = [line for line in validate_out.splitlines() if ": error " in line]
    assert len(problems) == 2 and "did you mean 'targets'?" in validate_out
    code, out, err = run_cli(capsys, command, "-C", str(root), "--auto-approve"
                             if command == "apply" else "--detailed-exitcode")
    assert code == 1 and out == ""
    assert err.startswith(f"Error: {root / 'reconciler.yaml'} is invalid (2 errors):")
    for line in problems:
        assert f"  {line}\n" in err


def test_the_apply_hint_after_plan_out_keeps_folder_target_and_variables(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(tmp_path / "proj", "chat")
    text = (root / "reconciler.yaml").read_text()
    (root / "reconciler.yaml").write_text(
        text.replace("targets:", "default_target: other\nvariables: {team: x}\ntargets:")
        + "  other: {local: .reconciler/other.db}\n")
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(capsys, "plan", "-C", "proj", "-t", "local", "--var", "team=a b",
                           "--out", "saved plan.json")
    assert code == 0
    hint = err.split("apply it with: ", 1)[1].strip()
    assert hint == "reconciler apply -C proj -t local --var 'team=a b' 'saved plan.json'"
    code, out, err = run_cli(capsys, *shlex.split(hint)[1:], "--auto-approve")
    assert code == 0, err
    assert "Apply finished: 1 done" in out
    assert (root / ".reconciler" / "local.db").exists()
    assert not (root / ".reconciler" / "other.db").exists()


def test_the_still_updating_line_fits_the_terminal() -> None:
    waiting = [(f"an-endpoint-with-a-long-name-{i:02d}", 60.0 + i) for i in range(20)]
    for width in (20, 40, 80, 120):
        line = format_waiting(waiting, width)
        assert len(line) <= width and line.startswith("still updating (20"[:width])
    assert format_waiting(waiting, 80) == (
        "still updating (20): an-endpoint-with-a-long-name-19 1m19s, and 19 more")
    stream = io.StringIO()
    display = ProgressDisplay(stream, interactive=True, width=lambda: 72)
    display.waiting(waiting)
    display.waiting(waiting[:3])
    display.finish()
    # Each rewrite starts with "\r" (click drops the erase code off a terminal).
    rewrites = [text for text in stream.getvalue().split("\r") if text]
    assert rewrites == ["  still updating (20)",
                        "  still updating (3): an-endpoint-with-a-long-name-02 1m02s, and 2 more"]
    assert all(len(text) < 72 for text in rewrites)


def test_apply_with_select_counts_the_others_as_not_selected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(tmp_path / "proj", "chat", "embed", "other")
    code, out, _ = run_cli(capsys, "apply", "-C", str(root), "--auto-approve")
    assert code == 0
    (root / "endpoints" / "chat.yaml").write_text(
        (root / "endpoints" / "chat.yaml").read_text().replace("genai", "search"))
    code, out, _ = run_cli(capsys, "apply", "-C", str(root), "--auto-approve",
                           "--select", "chat")
    assert code == 0
    assert "Plan: 0 to create, 1 to update, 0 to recreate, 0 to delete, 0 unchanged, " \
        "2 not selected." in out
    assert out.rstrip().splitlines()[-1].startswith(
        "Apply finished: 1 done, 0 unchanged, 2 not selected;")
