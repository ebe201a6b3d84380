"""The test harness's own project writer: what it writes must load on every draw."""

from __future__ import annotations

from pathlib import Path

from support.registry_harness import EXAMPLES, copy_project, set_project_id

from reconciler.api.validating import load_project


def test_an_all_digit_project_id_is_written_as_a_string(tmp_path: Path) -> None:
    """copy_project draws token_hex(8): 1 in 1,845 is all decimal digits, which YAML reads
    as a number (STRUCT-003) unless quoted: a test failing once in a while."""
    root = copy_project(EXAMPLES, tmp_path / "project")
    set_project_id(root, "5929655606050771")
    project = load_project(root, env={"OPENAI_API_KEY": "sk-test-not-a-real-key-123456"})
    assert project.file.project_id == "5929655606050771"
