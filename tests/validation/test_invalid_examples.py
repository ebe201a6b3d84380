"""Golden tests: every file in examples/invalid/ fails with exactly its expected issues.

Each file declares ``# expect: LINE:COL RULE-ID`` lines. Files directly in the folder are
validated alone (no project file, default policy); each folder under ``projects/`` is
validated as a project. Every rule of the catalogue has at least one golden case.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reconciler.api import validate_paths, validate_project
from reconciler.errors import ManifestError
from reconciler.model.diagnostics import ValidationReport
from reconciler.validation.catalog import ALL_RULES

INVALID = Path(__file__).resolve().parents[2] / "examples" / "invalid"
EXPECT = re.compile(rb"^# expect: (\d+):(\d+) ([A-Z]+-\d{3})\s*$", re.MULTILINE)
SINGLE_FILES = sorted(INVALID.glob("*.yaml"))
PROJECTS = sorted(p for p in (INVALID / "projects").iterdir() if p.is_dir())

Expected = set[tuple[str, int, int, str]]


def expectations(files: list[Path]) -> Expected:
    found: Expected = set()
    for path in files:
        for line, col, rule in EXPECT.findall(path.read_bytes()):
            found.add((path.resolve().as_posix(), int(line), int(col), rule.decode()))
    return found


def actual(report: ValidationReport) -> Expected:
    out: Expected = set()
    for issue in report.issues:
        assert issue.location is not None, issue
        path = Path(issue.location.file).resolve().as_posix()
        out.add((path, issue.location.line, issue.location.column, issue.rule))
    return out


@pytest.mark.parametrize("path", SINGLE_FILES, ids=lambda p: p.name)
def test_invalid_file_reports_exactly_its_expected_issues(path: Path) -> None:
    expected = expectations([path])
    assert expected, f"{path.name} declares no '# expect:' lines"
    report = validate_paths([path], env={})
    assert actual(report) == expected
    assert len(report.issues) == len(expected)


@pytest.mark.parametrize("root", PROJECTS, ids=lambda p: p.name)
def test_invalid_project_reports_exactly_its_expected_issues(root: Path) -> None:
    expected = expectations(sorted(root.rglob("*.yaml")))
    assert expected
    try:
        report = validate_project(root, env={})
    except ManifestError as exc:  # reconciler.yaml itself is invalid, as `validate` shows it
        report = ValidationReport.build(exc.issues)
    assert actual(report) == expected
    assert not report.ok


def test_every_rule_has_a_golden_case() -> None:
    covered = {rule for *_, rule in expectations(sorted(INVALID.rglob("*.yaml")))}
    missing = sorted(r.id for r in ALL_RULES if r.id not in covered)
    assert not missing, f"rules without a file in examples/invalid: {missing}"


def test_warning_alone_passes_unless_strict() -> None:
    path = INVALID / "endpoint-014-deprecated.yaml"
    assert validate_paths([path], env={}).ok
    assert not validate_paths([path], env={}, strict=True).ok
