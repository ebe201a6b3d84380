"""The CI examples use the real CLI: every `reconciler ...` command in the example GitHub
Actions workflow, the pre-commit hooks and docs/ci.md parses with today's commands and flags.

Parsing is click's own (``make_context``: options, choices, durations, required ones), without
running anything; a renamed or removed flag fails here before it fails in someone's CI.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from reconciler.cli.main import cli
from reconciler.github_action import Inputs

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / "docs" / "ci" / "github-actions.yml"
HOOKS = ROOT / ".pre-commit-hooks.yaml"
CI_DOC = ROOT / "docs" / "ci.md"
SHELL_OPERATORS = {">", ">>", "|", "||", "&&", ";", "2>&1"}


def invocation(line: str) -> list[str] | None:
    """``reconciler plan -t prod > plan.md`` -> ``["plan", "-t", "prod"]``; None otherwise."""
    words = shlex.split(line, comments=True)
    if not words or words[0] != "reconciler":
        return None
    args: list[str] = []
    for word in words[1:]:
        if word in SHELL_OPERATORS:
            break
        args.append(word)
    return args


def parse(args: list[str]) -> click.Context:
    """Parse like the CLI would (no command runs); raises click's usage errors."""
    name, rest = args[0], args[1:]
    command = cli.commands.get(name)
    assert command is not None, f"no command {name!r} (have: {', '.join(sorted(cli.commands))})"
    return command.make_context(name, rest)


def action_invocation(step: dict[str, Any]) -> list[str] | None:
    """The ``reconciler`` command the repository's action runs for a ``uses:`` step."""
    if not str(step.get("uses", "")).split("@")[0].endswith("/serving-reconciler"):
        return None
    inputs = {f"INPUT_{k.upper().replace('-', '_')}": str(v)
              for k, v in (step.get("with") or {}).items()}
    return Inputs.from_env(inputs).reconciler_args()


def workflow_commands() -> list[list[str]]:
    document: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text())
    found: list[list[str]] = []
    for job in document["jobs"].values():
        for step in job["steps"]:
            action = action_invocation(step)
            if action is not None:
                found.append(action)
            for line in str(step.get("run", "")).splitlines():
                args = invocation(line.strip())
                if args is not None:
                    found.append(args)
    return found


def doc_commands() -> list[list[str]]:
    found: list[list[str]] = []
    for block in re.findall(r"```bash\n(.*?)```", CI_DOC.read_text(), re.S):
        for line in block.splitlines():
            args = invocation(line)
            if args is not None:
                found.append(args)
    prose = "\n".join(line for line in CI_DOC.read_text().splitlines()
                      if not line.startswith("#"))  # headings name commands, not invocations
    for cell in re.findall(r"`(reconciler [^`]+)`", prose):
        args = invocation(cell)
        if args is not None and "..." not in cell and "NAME" not in cell:
            found.append(args)
    return found


def test_the_workflow_runs_validate_plan_apply_and_drift() -> None:
    names = [args[0] for args in workflow_commands()]
    assert {"validate", "plan", "apply", "drift"} <= set(names)


@pytest.mark.parametrize("args", workflow_commands(), ids=" ".join)
def test_every_workflow_command_parses(args: list[str]) -> None:
    context = parse(args)
    if args[0] == "apply":
        assert context.params["auto_approve"], "CI has no terminal: apply needs --auto-approve"
    if "--format" in args:
        assert context.params["fmt"] in {"github", "markdown"}


@pytest.mark.parametrize("args", doc_commands(), ids=" ".join)
def test_every_command_in_the_ci_doc_parses(args: list[str]) -> None:
    parse(args)


def test_pre_commit_hooks_run_real_commands() -> None:
    hooks: list[dict[str, Any]] = yaml.safe_load(HOOKS.read_text())
    assert {h["id"] for h in hooks} >= {"reconciler-validate", "reconciler-validate-strict"}
    for hook in hooks:
        args = invocation(hook["entry"])
        assert args is not None, hook["entry"]
        context = parse([*args, *hook.get("args", []), "-C", str(ROOT / "examples")])
        assert hook["language"] == "python"  # pre-commit installs this package for it
        assert hook["pass_filenames"] is False  # the project is validated as a whole
        assert context.params["project_dir"] == ROOT / "examples"
