"""`apply` asks on a terminal: answered through a pseudo-terminal, on the local target."""

from __future__ import annotations

import os
import pty
from pathlib import Path

import pytest
from support import cli_process
from support.registry_harness import EXAMPLES, copy_project

pytestmark = pytest.mark.e2e


def apply_on_a_terminal(root: Path, answer: str) -> cli_process.Finished:
    controller, terminal = pty.openpty()
    try:
        os.write(controller, answer.encode() + b"\n")
        return cli_process.run(root, "apply", "--select", "openai-chat-endpoint",
                               stdin=terminal, timeout=60)
    finally:
        os.close(controller)
        os.close(terminal)


def test_no_aborts_and_yes_applies(tmp_path: Path) -> None:
    root = copy_project(EXAMPLES, tmp_path / "project")
    refused = apply_on_a_terminal(root, "n")
    assert refused.returncode == 1
    assert "Apply these changes to target 'local'?" in refused.stderr
    assert "Aborted." in refused.stderr and "Apply finished" not in refused.stdout
    accepted = apply_on_a_terminal(root, "y")
    assert accepted.returncode == 0, accepted.stderr
    assert "Apply finished: 1 done" in accepted.stdout
    assert "\x1b[" not in accepted.stdout  # stdout is not a terminal: no colour
