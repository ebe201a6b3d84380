"""What Terraform and kubectl users expect (issue 10, part 6): shell completion with the
project's names, ``show PLANFILE``, ``init``, the target and variables from the environment
(tests/gitops/test_targets_and_variables.py), and the Python API inside a running event loop.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.api import workflow
from reconciler.api.validating import load_project
from reconciler.cli import init_cmd
from tests.reconcile.projects import make_project
from tests.support.cli import run_cli


def complete(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, shell: str,
             words: str) -> list[str]:
    """What click answers the shell for the line ``words`` (the last word being completed)."""
    monkeypatch.setenv("_RECONCILER_COMPLETE", f"{shell}_complete")
    monkeypatch.setenv("COMP_WORDS", words)
    cword = len(words.split()) - (0 if words.endswith(" ") else 1)
    monkeypatch.setenv("COMP_CWORD", words.split()[-1] if shell == "fish" and
                       not words.endswith(" ") else str(cword))
    if shell == "fish" and words.endswith(" "):
        monkeypatch.setenv("COMP_CWORD", "")
    code, out, err = run_cli(capsys, *[])
    assert code == 0 and err == ""
    monkeypatch.delenv("_RECONCILER_COMPLETE")
    return out.splitlines()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = make_project(tmp_path / "proj", "chat-a", "chat-b", "embed")
    (root / "reconciler.yaml").write_text(
        "project: p\ntargets:\n  local: {local: .reconciler/local.db}\n"
        "  prod: {host: 'https://dbc-1.cloud.databricks.com', token_env: T}\n"
        "default_target: local\n")
    return root


def test_the_completion_script_prints_for_every_shell(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {**os.environ, "_RECONCILER_COMPLETE": "bash_source"}
    done = subprocess.run([sys.executable, "-m", "reconciler"], env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert "_reconciler_completion()" in done.stdout
    assert "complete -o nosort -F _reconciler_completion reconciler" in done.stdout
    for shell, mark in (("bash", "_reconciler_completion()"), ("zsh", "#compdef reconciler"),
                        ("fish", "complete --no-files --command reconciler")):
        code, out, _ = run_cli(capsys, "completion", shell)
        assert code == 0 and mark in out


def test_completion_offers_commands_targets_and_endpoint_names(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, project: Path
) -> None:
    assert "plain,plan" in complete(capsys, monkeypatch, "bash", "reconciler pl")
    assert complete(capsys, monkeypatch, "bash", f"reconciler plan -C {project} -t ") == [
        "plain,local", "plain,prod"]
    assert complete(capsys, monkeypatch, "bash",
                    f"reconciler apply -C {project} --select chat") == [
        "plain,chat-a", "plain,chat-b"]
    assert complete(capsys, monkeypatch, "bash",
                    f"reconciler drift -C {project} --select chat-a,e") == ["plain,chat-a,embed"]
    zsh = complete(capsys, monkeypatch, "zsh", f"reconciler plan -C {project} -t p")
    assert zsh == ["plain", "prod", "https://dbc-1.cloud.databricks.com"]
    fish = complete(capsys, monkeypatch, "fish", f"reconciler plan -C {project} --select em")
    assert fish == ["plain,embed"]
    monkeypatch.chdir(project)  # no -C: the current folder
    assert complete(capsys, monkeypatch, "bash", "reconciler plan --select chat-b") == [
        "plain,chat-b"]
    # Outside a project completion offers nothing, and never fails or prints an error.
    monkeypatch.chdir(project.parent)
    assert complete(capsys, monkeypatch, "bash", "reconciler plan -t ") in ([], [""])


def test_show_renders_a_saved_plan_in_every_format(
    capsys: pytest.CaptureFixture[str], project: Path, tmp_path: Path
) -> None:
    saved = tmp_path / "plan.json"
    code, planned, _ = run_cli(capsys, "plan", "-C", str(project), "--select", "chat-a",
                               "--out", str(saved))
    assert code == 0
    code, out, err = run_cli(capsys, "show", str(saved))
    assert code == 0 and out == planned
    assert err.startswith(f"Saved plan {saved}, made 20") and "with --select chat-a" in err
    code, out, _ = run_cli(capsys, "show", str(saved), "--format", "json")
    assert code == 0 and json.loads(out) == json.loads(saved.read_text())
    code, out, _ = run_cli(capsys, "show", str(saved), "--format", "markdown")
    assert code == 0 and out.startswith("### Plan for project p, target local")
    assert "| `chat-a` | create |" in out
    (tmp_path / "not-a-plan.json").write_text("{\"x\": 1}")
    code, out, err = run_cli(capsys, "show", str(tmp_path / "not-a-plan.json"))
    assert code == 1 and out == "" and "unsupported plan schema_version" in err
    code, _, err = run_cli(capsys, "show", str(tmp_path / "missing.json"))
    assert code == 1 and err == (f"Error: cannot read the plan file {tmp_path / 'missing.json'}"
                                 ": No such file or directory\n")


def test_init_scaffolds_a_project_that_validates_and_applies(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    root = tmp_path / "Team GenAI"
    code, _, err = run_cli(capsys, "init", str(root))
    assert code == 0, err
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) == [
        "endpoints/example.yaml", "reconciler.yaml", "schemas/project.schema.json",
        "schemas/serving-endpoint.schema.json"]
    example = (root / "endpoints" / "example.yaml").read_text()
    assert example.startswith(
        "# yaml-language-server: $schema=../schemas/serving-endpoint.schema.json\n")
    assert (root / "schemas" / "serving-endpoint.schema.json").read_text() == (
        Path(__file__).resolve().parents[2] / "schemas" / "serving-endpoint.schema.json"
    ).read_text()
    code, out, _ = run_cli(capsys, "validate", "-C", str(root))
    assert code == 0 and "1 endpoint: no problems" in out
    code, out, _ = run_cli(capsys, "apply", "-C", str(root), "--auto-approve")
    assert code == 0 and "Apply finished: 1 done" in out
    assert "team-genai-chat" in out
    # A random project id of its own: a second scaffold never shares it (docs/ownership.md).
    other = tmp_path / "other" / "Team GenAI"
    assert run_cli(capsys, "init", str(other))[0] == 0
    ids = [load_project(r, env={}).file.project_id for r in (root, other)]
    assert all(i and len(i) == 16 for i in ids) and ids[0] != ids[1]
    code, out, err = run_cli(capsys, "plan", "-C", str(root), "--prune")
    assert code == 0, err


@pytest.mark.parametrize("drawn", ["4711081500123456", "123e4567"])
def test_init_and_migrate_ownership_write_an_id_yaml_reads_as_text(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    drawn: str,
) -> None:
    # token_hex(8) is all digits about once in 1,845 draws (or digits and one "e"): written
    # bare, YAML reads a number and the project file is invalid (STRUCT-003).
    monkeypatch.setattr(init_cmd.secrets, "token_hex", lambda _n: drawn)
    root = tmp_path / "p"
    code, _, err = run_cli(capsys, "init", str(root))
    assert code == 0, err
    assert load_project(root, env={}).file.project_id == drawn
    project_file = root / "reconciler.yaml"
    project_file.write_text(re.sub(r"(?m)^project_id:.*$", "project_id: example-replace-me",
                                   project_file.read_text()))
    code, _, err = run_cli(capsys, "migrate-ownership", "-C", str(root))
    assert code == 0, err
    assert load_project(root, env={}).file.project_id == drawn


def test_init_refuses_to_overwrite_anything(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "endpoints").mkdir()
    (tmp_path / "endpoints" / "example.yaml").write_text("mine\n")
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(capsys, "init")
    assert code == 1
    assert err.startswith("Error: not overwriting endpoints/example.yaml:")
    assert "(nothing was written)" in err
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["endpoints", "example.yaml"]
    assert (tmp_path / "endpoints" / "example.yaml").read_text() == "mine\n"


def test_the_python_api_works_inside_a_running_event_loop(tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj", "chat")

    async def notebook_cell() -> tuple[int, int]:
        project = load_project(root, env={})
        plan = workflow.plan(project, workflow.PlanSettings())
        report = workflow.apply(project, plan, workflow.ApplySettings())
        return plan.counts()["create"], len(report.done)

    assert asyncio.run(notebook_cell()) == (1, 1)
