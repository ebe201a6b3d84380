"""The Markdown plan fits in one GitHub comment (65,536 characters) for any number of endpoints.

The 400-endpoint plan is made by the real CLI against the embedded registry (it was 258,919
characters before the cut); larger plans are copies of one real action under other names.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reconciler.planning.plan import EndpointAction, Plan
from reconciler.render.plan_markdown import GITHUB_COMMENT_LIMIT, render_plan_markdown
from tests.planning import golden
from tests.reliability.generated import write_project
from tests.support.cli import run_cli

MORE = re.compile(r"\*\*(\d+) more endpoints?: see the full plan in the artifact")


def test_400_creates_fit_in_one_comment_with_a_table_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_project(tmp_path / "p", 400, target="{local: .reconciler/local.db}")
    code, md, _ = run_cli(capsys, "plan", "-C", str(root), "--format", "markdown")
    assert code == 0
    assert len(md) < GITHUB_COMMENT_LIMIT
    lines = md.splitlines()
    assert lines[0] == "### Plan for project reliability, target t (local registry " \
        ".reconciler/local.db)"
    assert lines[2] == "**Plan: 400 to create, 0 to update, 0 to recreate, 0 to delete, " \
        "0 unchanged.**"
    assert lines[4] == "| endpoint | action | facets | impact | reason |"
    rows = [line for line in lines if line.startswith("| `ep-")]
    details = md.count("<details>")
    assert rows[:2] == ["| `ep-00000` | create |  | create | not in the workspace |",
                        "| `ep-00001` | create |  | create | not in the workspace |"]
    cut = MORE.search(md)
    shown = len(rows) + (int(cut.group(1)) if cut else 0)
    assert shown == 400  # every endpoint is in the table or counted in the cut line
    assert 0 < details <= len(rows)
    assert md.count("</details>") == details
    assert f"Details of {len(rows) - details} more endpoints: see the full plan" in md


def test_any_size_stays_under_the_limit_and_cuts_in_a_stable_order() -> None:
    base = golden.plan_case("update-all-facets-in-order").actions[0]
    for count in (1, 50, 400, 3000):
        actions = [base.model_copy(update={"name": f"ep-{i:05d}"}) for i in range(count)]
        actions += [EndpointAction(name=f"same-{i:05d}", action="no-op", reason="up to date")
                    for i in range(count)]
        plan = Plan(project="p", target_name="prod", actions=actions)
        md = render_plan_markdown(plan)
        assert len(md) <= 60_000
        assert render_plan_markdown(plan.model_copy(update={"actions": actions[::-1]})) == md
        assert md.rstrip().endswith(("unchanged.", "</details>", f"`same-{count - 1:05d}`"))
    small = render_plan_markdown(plan, limit=10_000)
    assert len(small) <= 10_000 and "more endpoints: see the full plan" in small


def test_the_most_consequential_actions_are_kept_first() -> None:
    base = golden.plan_case("update-all-facets-in-order").actions[0]
    updates = [base.model_copy(update={"name": f"a-{i:04d}"}) for i in range(2000)]
    delete = EndpointAction(name="zz-old", action="delete", reason="in no manifest (--prune)")
    blocked = base.model_copy(update={"name": "zz-blocked", "action": "no-op", "blocked": True,
                                      "reason": "needs recreate"})
    md = render_plan_markdown(Plan(project="p", target_name="t",
                                   actions=[*updates, delete, blocked]))
    rows = [line for line in md.splitlines() if line.startswith("| `")]
    assert rows[0].startswith("| `zz-blocked` | **blocked**")
    assert rows[1].startswith("| `zz-old` | delete")
    assert rows[2].startswith("| `a-0000` | update")


def test_thousands_of_changes_still_show_the_first_diffs() -> None:
    base = golden.plan_case("update-all-facets-in-order").actions[0]
    actions = [base.model_copy(update={"name": f"ep-{i:05d}"}) for i in range(5000)]
    md = render_plan_markdown(Plan(project="p", target_name="t", actions=actions))
    assert len(md) <= 60_000
    assert "<summary>ep-00000: update" in md  # the first endpoint's diff is there
    cut = MORE.search(md)
    assert cut is not None and int(cut.group(1)) + md.count("\n| `ep-") == 5000
