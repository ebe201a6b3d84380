"""The reconciler command line run in-process, as a test sees it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.cli.main import main


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``reconciler ARGS`` in-process: (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    captured = capsys.readouterr()
    code = exited.value.code
    return (code if isinstance(code, int) else 1), captured.out, captured.err


def run_process(root: Path, *args: str, env: dict[str, str] | None = None,
                timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``reconciler COMMAND -C root ARGS`` as a subprocess (the installed entry point's code),
    with no ``DATABRICKS_*`` variables of the machine and ``env`` added."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DATABRICKS_", "NO_COLOR"))}
    command = [sys.executable, "-m", "reconciler", args[0], "-C", str(root), *args[1:]]
    return subprocess.run(command, capture_output=True, text=True, env={**clean, **(env or {})},
                          timeout=timeout, input="")
