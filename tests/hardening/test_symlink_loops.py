"""Symlink loops under the manifests folder (issue 14, item 6): each real directory is visited
once, so links to ``.`` or to a parent neither hang ``validate`` nor load a file twice, and a
link leading out of the project is refused (LOAD-008)."""

from __future__ import annotations

import glob
import os
from pathlib import Path

import pytest
from support import cli_process

from reconciler.loading import files

MANIFEST = """\
name: {name}
tags: {{team: genai}}
config:
  served_entities:
    - entity_name: main.ml.m
      entity_version: '1'
      workload_size: Small
      scale_to_zero_enabled: true
"""


def _project(root: Path, manifests: str) -> Path:
    (root / "endpoints" / "sub").mkdir(parents=True)
    (root / "reconciler.yaml").write_text(f"project: p\nmanifests: {manifests}\n")
    (root / "endpoints" / "a.yaml").write_text(MANIFEST.format(name="a"))
    (root / "endpoints" / "sub" / "b.yaml").write_text(MANIFEST.format(name="b"))
    for name in ("loop1", "loop2", "loop3"):
        os.symlink(".", root / "endpoints" / name)
    os.symlink("..", root / "endpoints" / "sub" / "up")
    return root


def _validate(root: Path) -> cli_process.Finished:
    return cli_process.run(root, "validate", "--format", "json", timeout=60)


@pytest.mark.parametrize("manifests", ["['endpoints/**/*.yaml']", "[endpoints/]",
                                       "['endpoints/**']", "['**/*.yaml']",
                                       "['endpoints/*/b.yaml', endpoints/]"])
def test_symlink_loops_do_not_hang_or_duplicate(tmp_path: Path, manifests: str) -> None:
    root = _project(tmp_path / "p", manifests)
    result = _validate(root)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "Traceback" not in result.stderr


def test_each_real_file_is_found_once(tmp_path: Path) -> None:
    root = _project(tmp_path / "p", "[endpoints/]")
    found = files.expand("endpoints/**/*.yaml", root) or []
    assert sorted(os.path.realpath(p) for p in found) == sorted(
        os.path.realpath(root / "endpoints" / n) for n in ("a.yaml", "sub/b.yaml"))
    folder = files.expand("endpoints", root) or []
    assert len(folder) == 2


def _reference(entry: str, base: Path) -> list[Path]:
    """What expand() found before the fix (glob and rglob), for a tree without links."""
    found: list[Path] = []
    for match in sorted(Path(p) for p in glob.glob(str(base / entry), recursive=True)):
        found.extend(sorted(p for p in match.rglob("*") if p.suffix in (".yaml", ".yml")
                            and p.is_file()) if match.is_dir() else [match])
    return sorted(set(found))


@pytest.mark.parametrize("entry", ["**/*.yaml", "x/**/*.yml", "x/**", "x/*/*.txt", "*.yaml",
                                   "**", "x/**/y", "**/.hidden/*.yaml", "x/y/**/*.yaml"])
def test_glob_semantics_are_kept(tmp_path: Path, entry: str) -> None:
    root = tmp_path / "g"
    (root / "x" / "y" / ".hidden").mkdir(parents=True)
    for rel in ("top.yaml", "x/one.yaml", "x/y/two.yml", "x/y/.hidden/three.yaml",
                "x/y/notes.txt", "x/y/deeper.yaml"):
        (root / rel).write_text("name: n\n")
    assert files.expand(entry, root) == _reference(entry, root)


def test_a_link_out_of_the_project_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "stolen.yaml").write_text(MANIFEST.format(name="stolen"))
    root = _project(tmp_path / "p", "['endpoints/**/*.yaml']")
    os.symlink(outside, root / "endpoints" / "out")
    result = _validate(root)
    assert result.returncode == 1
    assert "LOAD-008" in result.stdout and "stolen.yaml" in result.stdout
