"""The layer contract bites: a planted violation of each kind fails it (code review 1.4.6).

Each case copies one real module into a scratch package, adds one offending line, and checks
that ``test_architecture.problems_in`` reports it (and that the untouched copy is clean).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_architecture import PACKAGE, private_imports_in, problems_in

PLANTS = [
    ("diff/digest.py", "from reconciler import registry", "diff must not import "
     "reconciler.registry"),
    ("diff/digest.py", "from reconciler.cli import main", "diff must not import reconciler.cli"),
    ("planning/plan.py", "import os", "planning is pure and must not import os"),
    ("planning/plan.py", "from pathlib import Path", "planning is pure and must not import "
     "pathlib"),
    ("validation/engine.py", "import datetime", "validation is pure and must not import "
     "datetime"),
    ("diff/compare.py", "import asyncio", "diff is pure and must not import asyncio"),
    ("diff/compare.py", "X = open('f').read()", "diff is pure and must not call open()"),
    ("api/workflow.py", "import httpx", "api must not import httpx"),
    ("applying/executor.py", "print('x')", "only cli prints (print() in applying)"),
    ("render/plan_text.py", "click.echo('x')", "only cli prints (echo() in render)"),
    ("applying/report.py", "import sys\nsys.stdout.write('x')", "only cli writes to sys.stdout"),
    ("model/steps.py", "from reconciler.diff import facets", "model must not import "
     "reconciler.diff"),
    ("loading/project.py", "from reconciler.validation import engine", "loading must not "
     "import reconciler.validation"),
    ("loading/parsing.py", "from reconciler.validation.issues import Issue", "loading must "
     "not import reconciler.validation.issues"),
    ("validation/engine.py", "from reconciler.loading import source", "validation must not "
     "import reconciler.loading"),
    ("registry/client.py", "from reconciler.loading.project import Project", "registry must "
     "not import reconciler.loading.project"),
    ("redaction.py", "from reconciler.model import steps", "redaction must not import "
     "reconciler.model"),
]


@pytest.mark.parametrize(("module", "line", "expected"), PLANTS,
                         ids=[f"{m}:{line.splitlines()[-1]}" for m, line, _e in PLANTS])
def test_a_planted_violation_fails_the_contract(
    tmp_path: Path, module: str, line: str, expected: str
) -> None:
    package = tmp_path / "reconciler"
    copy = package / module
    copy.parent.mkdir(parents=True)
    shutil.copy(PACKAGE / module, copy)
    assert problems_in(copy, package) == []
    copy.write_text(copy.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")
    problems = problems_in(copy, package)
    assert any(expected in p for p in problems), problems


def test_a_planted_private_import_across_modules_fails(tmp_path: Path) -> None:
    package = tmp_path / "reconciler"
    copy = package / "cli" / "gitops_cmd.py"
    copy.parent.mkdir(parents=True)
    shutil.copy(PACKAGE / "cli" / "gitops_cmd.py", copy)
    assert private_imports_in(copy, package) == []
    copy.write_text(copy.read_text(encoding="utf-8")
                    + "\nfrom reconciler.cli.plan_cmd import _parse_steps\n", encoding="utf-8")
    assert private_imports_in(copy, package) == [
        f"line {len(copy.read_text(encoding='utf-8').splitlines())}: _parse_steps from "
        "reconciler.cli.plan_cmd"]
