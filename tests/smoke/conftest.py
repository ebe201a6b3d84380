"""The applied smoke project (tests/support/smoke_project.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.cli import run_cli
from support.smoke_project import write_project


@pytest.fixture
def project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    root = write_project(tmp_path / "project")
    code, _out, err = run_cli(capsys, "apply", "-C", str(root), "--auto-approve")
    assert code == 0, err
    return root
