"""What drift can and cannot see (issue 14, item 13; docs/drift.md "What drift sees"): an
apply made from an unmerged branch leaves the same trace as a repository change waiting to
be applied (the live facet matches its mark, the manifest differs), so drift does not report
it and plan calls it a repository change. Anything else that edits a facet after the last
apply is drift. These tests pin both halves of the statement in the docs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from support.cli import run_cli as run

from drift.harness import API, behind_our_back, write_project

DOCS = Path(__file__).resolve().parents[2] / "docs" / "drift.md"


def test_an_apply_from_an_unmerged_branch_is_not_drift(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main = write_project(tmp_path / "main")
    assert run(capsys, "apply", "-C", str(main), "--auto-approve")[0] == 0
    # A branch checkout on the same target (same registry file) raises a limit and applies.
    branch = tmp_path / "branch"
    shutil.copytree(main, branch)
    shutil.rmtree(branch / ".reconciler")
    project_file = branch / "reconciler.yaml"  # the same registry, by its absolute path
    project_file.write_text(project_file.read_text().replace(
        ".reconciler/local.db", str(main / ".reconciler" / "local.db")))
    chat = branch / "endpoints" / "chat.yaml"
    chat.write_text(chat.read_text().replace("calls: 20", "calls: 75"))
    assert run(capsys, "apply", "-C", str(branch), "--auto-approve")[0] == 0

    code, out, _ = run(capsys, "drift", "-C", str(main))
    assert code == 0 and "No drift" in out  # the limit: invisible to drift
    code, out, _ = run(capsys, "plan", "-C", str(main), "--format", "json")
    [action] = [a for a in json.loads(out)["actions"] if a["name"] == "chat"]
    assert {(c["path"], c["cause"]) for c in action["changes"]} == {
        ("ai_gateway.rate_limits[user/calls].calls", "repository")}

    # Until this branch applies again, that facet is blind: a hand edit is not drift either.
    hand_edit(main, 999)
    code, out, _ = run(capsys, "drift", "-C", str(main))
    assert code == 0 and "No drift" in out
    # Once main has applied (its marks are back), a hand edit of the facet is drift again.
    assert run(capsys, "apply", "-C", str(main), "--auto-approve")[0] == 0
    hand_edit(main, 998)
    code, out, _ = run(capsys, "drift", "-C", str(main))
    assert code == 2 and "ai_gateway.rate_limits[user" in out


def hand_edit(root: Path, calls: int) -> None:
    with behind_our_back(root) as api:
        gateway = api.get(f"{API}/chat").json()["ai_gateway"]
        gateway["rate_limits"][0]["calls"] = calls
        assert api.put(f"{API}/chat/ai-gateway", json=gateway).status_code == 200


def test_the_docs_state_the_limit() -> None:
    text = DOCS.read_text()
    assert "## What drift sees, and what it cannot" in text
    assert "unmerged branch" in text and "cause `repository`" in text
