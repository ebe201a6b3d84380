"""Release basics (issue 10, part 5): licence, changelog, version, release command, pre-commit."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest

from tests.support.cli import run_cli

ROOT = Path(__file__).resolve().parents[2]


def test_the_licence_is_the_full_apache_2_text_the_metadata_names() -> None:
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License\n                           Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text and len(text) > 11_000
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "Apache-2.0"


def test_version_is_the_packages_and_the_changelog_knows_it(
    capsys: pytest.CaptureFixture[str]
) -> None:
    expected = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    code, out, _ = run_cli(capsys, "--version")
    assert code == 0 and out == f"reconciler, version {expected}\n"
    assert version("serving-reconciler") == expected
    changelog = (ROOT / "CHANGELOG.md").read_text()
    headings = re.findall(r"^## \[([^\]]+)\]", changelog, re.M)
    assert headings[0] == "Unreleased" and expected in headings
    assert "keepachangelog.com" in changelog
    for section in re.split(r"^## ", changelog, flags=re.M)[1:]:
        kinds = re.findall(r"^### (\w+)", section, re.M)
        assert set(kinds) <= {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}


def test_the_release_command_builds_and_checks_sdist_and_wheel() -> None:
    script = ROOT / ".ci" / "release"
    assert script.stat().st_mode & 0o111
    text = script.read_text()
    assert "-m build --sdist --wheel" in text and "twine check --strict dist/*" in text
    contributing = (ROOT / "CONTRIBUTING.md").read_text()
    assert "bash .ci/release" in contributing and "git tag -a vX.Y.Z" in contributing


def test_pre_commit_docs_pin_a_commit_sha() -> None:
    doc = (ROOT / "docs" / "ci.md").read_text()
    revs = re.findall(r"^\s+rev: (\S+)", doc, re.M)
    assert revs and all(re.fullmatch(r"[0-9a-f]{40}", rev) for rev in revs)
    assert "v0.1.0" not in (ROOT / ".pre-commit-hooks.yaml").read_text()
