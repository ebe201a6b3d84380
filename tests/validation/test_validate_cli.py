"""``reconciler validate`` and ``reconciler schema`` as a user runs them."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from support import cli_process
from support.cli import run_cli as run

from reconciler.validation.catalog import ALL_RULES

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
INVALID = EXAMPLES / "invalid"
TEXT_LINE = re.compile(
    r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): (error|warning) [A-Z]+-\d{3} "
)


def test_examples_are_clean_but_for_their_placeholder_project_id(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The examples' one warning is their placeholder project_id: every copy of them shares
    it, so a copy is told to get its own (docs/ownership.md); with an id of its own, clean."""
    code, out, _ = run(capsys, "validate", "-C", str(EXAMPLES))
    assert code == 0
    [warning, summary] = out.strip().splitlines()
    assert "warning PROJECT-003 project_id example-replace-me" in warning
    assert "reconciler migrate-ownership" in warning
    assert summary.endswith("16 endpoints: 0 errors, 1 warning")


def test_text_lines_are_file_line_col_error_rule_message(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = INVALID / "struct-001-unknown-field.yaml"
    code, out, _ = run(capsys, "validate", str(path))
    assert code == 1
    first = out.splitlines()[0]
    match = TEXT_LINE.match(first)
    assert match, first
    assert (match["line"], match["col"]) == ("6", "7")
    assert "did you mean 'external_model'?" in first
    assert "\x1b[" not in out  # not a terminal: no colour


def test_json_format_is_a_versioned_document(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "validate", "--format", "json", str(INVALID / "endpoint-008-traffic.yaml")
    )
    assert code == 1
    document = json.loads(out)
    assert document["schema_version"] == 1
    assert document["ok"] is False
    assert document["summary"] == {"files": 1, "endpoints": 1, "services": 0, "errors": 2,
                                   "warnings": 0}
    issue = document["issues"][0]
    assert set(issue) == {"rule", "severity", "message", "file", "line", "column", "path"}
    assert (issue["rule"], issue["line"], issue["column"]) == ("ENDPOINT-008", 15, 5)
    assert issue["path"] == "config.traffic_config.routes"


def test_github_format_emits_workflow_annotations(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "validate", "--format", "github", str(INVALID / "endpoint-001-name.yaml")
    )
    assert code == 1
    annotation = r"^::error file=[^,]*endpoint-001-name\.yaml,line=3,col=7,title=ENDPOINT-001::"
    assert re.match(annotation + "endpoint name", out)


def test_warnings_fail_only_with_strict(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(INVALID / "endpoint-014-deprecated.yaml")
    assert run(capsys, "validate", path)[0] == 0
    code, out, _ = run(capsys, "validate", "--strict", path)
    assert code == 1 and "warning ENDPOINT-014" in out


def test_list_rules_shows_every_rule(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "validate", "--list-rules")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == [r.id for r in ALL_RULES]


def test_docs_rules_md_is_up_to_date(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "validate", "--list-rules", "--format", "markdown")
    assert (ROOT / "docs" / "rules.md").read_text() == out, (
        "docs/rules.md is stale: reconciler validate --list-rules --format markdown > docs/rules.md"
    )


def test_schema_command_prints_the_committed_schema(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "schema")
    assert out == (ROOT / "schemas" / "serving-endpoint.schema.json").read_text()
    _, out, _ = run(capsys, "schema", "--project")
    assert out == (ROOT / "schemas" / "project.schema.json").read_text()


def test_invalid_project_file_is_reported_like_manifests(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "reconciler.yaml").write_text("project: p\ntargets: {local: {locl: x}}\n")
    code, out, _ = run(capsys, "validate", "-C", str(tmp_path))
    assert code == 1
    assert "reconciler.yaml:2:19: error STRUCT-001 unknown field 'locl'" in out


def test_no_project_and_no_paths_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "validate", "-C", str(tmp_path))
    assert code == 1 and "no reconciler.yaml" in err


def test_vars_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "e.yaml"
    path.write_text("name: ${var.prefix}-endpoint\n")
    assert run(capsys, "validate", str(path))[0] == 1
    assert run(capsys, "validate", "--var", "prefix=acme", str(path))[0] == 0


def test_python_dash_m_and_no_color(tmp_path: Path) -> None:
    done = cli_process.run(EXAMPLES, "validate", env={"NO_COLOR": "1"}, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "0 errors, 1 warning" in done.stdout and "\x1b[" not in done.stdout


def test_colour_only_on_a_terminal_and_never_with_no_color(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from reconciler.cli import options
    from reconciler.model.diagnostics import Issue
    from reconciler.model.source import SourceLocation
    from reconciler.render.issues import text_line

    issue = Issue("ENDPOINT-001", "error", "bad name", SourceLocation("a.yaml", 1, 7))
    assert "\x1b[" in text_line(issue, colour=True)
    assert text_line(issue) == "a.yaml:1:7: error ENDPOINT-001 bad name"
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert options.colour() is True
    monkeypatch.setenv("NO_COLOR", "")
    assert options.colour() is False
