"""`reconciler drift` and the drift explanation of `plan`, end to end on the local target.

Someone changes an applied endpoint behind the repository's back (raw API calls on the same
registry, as the Databricks SDK or the UI would): `drift` exits 2 and names the fields, `plan`
labels them "changed outside the repository", `apply` heals them, `drift` exits 0. A change
made in the repository is not drift: `drift` stays quiet while `plan` shows it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.cli import run_cli as run

from drift.harness import API, behind_our_back, live, tags_of, write_project


@pytest.fixture
def applied(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    root = write_project(tmp_path / "repo")
    code, _out, err = run(capsys, "apply", "-C", str(root), "--auto-approve")
    assert code == 0, err
    return root


def edit_behind_our_back(root: Path) -> None:
    chat = live(root, "chat")
    gateway = chat["ai_gateway"]
    gateway["rate_limits"][0]["calls"] = 999
    with behind_our_back(root) as api:
        assert api.put(f"{API}/chat/ai-gateway", json=gateway).status_code == 200
        assert api.patch(f"{API}/chat/tags",
                         json={"add_tags": [{"key": "team", "value": "hijacked"}]}
                         ).status_code == 200


def test_apply_records_marks_and_no_drift_right_after(
    applied: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    marks = tags_of(live(applied, "chat"))["reconciler-applied"]
    assert set(dict(p.split("=") for p in marks.split(","))) == {"c", "g", "t"}
    code, out, _ = run(capsys, "drift", "-C", str(applied))
    assert code == 0
    assert "No drift" in out


def test_out_of_band_edit_is_drift_until_apply_heals_it(
    applied: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit_behind_our_back(applied)

    code, out, _ = run(capsys, "drift", "-C", str(applied))
    assert code == 2
    assert "ai_gateway.rate_limits[user/calls].calls: live 999, manifest 20" in out
    assert 'tags[team]: live "hijacked", manifest "genai"' in out
    assert "embed" not in out  # untouched endpoints are not listed

    code, out, _ = run(capsys, "drift", "-C", str(applied), "--format", "json")
    assert code == 2
    report = json.loads(out)
    assert report["drift"] is True
    [endpoint] = report["endpoints"]
    assert endpoint["name"] == "chat"
    assert {(f["path"], f["live"], f["manifest"]) for f in endpoint["fields"]} == {
        ("ai_gateway.rate_limits[user/calls].calls", 999, 20), ("tags[team]", "hijacked", "genai")}

    code, out, _ = run(capsys, "drift", "-C", str(applied), "--format", "markdown")
    assert code == 2
    assert "| `chat` | `ai_gateway.rate_limits[user/calls].calls` | `999` | `20` |" in out

    # plan explains the same differences as made outside the repository
    code, out, _ = run(capsys, "plan", "-C", str(applied))
    assert code == 0
    assert "changed outside the repository: ai_gateway, tags" in out
    assert "~ tags[team]: \"hijacked\" -> \"genai\"  (in-place; changed outside the " \
           "repository)" in out
    code, out, _ = run(capsys, "plan", "-C", str(applied), "--format", "json")
    [action] = [a for a in json.loads(out)["actions"] if a["name"] == "chat"]
    assert {c["cause"] for c in action["changes"]} == {"drift"}
    # The marks already describe the manifest: healing writes no new mark.
    tag_writes = [(s["add_tags"], s["delete_tags"]) for s in action["steps"]
                  if s["facet"] == "tags"]
    assert tag_writes == [([{"key": "team", "value": "genai"}], [])]

    code, _out, err = run(capsys, "apply", "-C", str(applied), "--auto-approve")
    assert code == 0, err
    code, out, _ = run(capsys, "drift", "-C", str(applied))
    assert code == 0, out
    assert tags_of(live(applied, "chat"))["team"] == "genai"


def test_a_repository_change_is_not_drift_but_plan_shows_it(
    applied: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chat = applied / "endpoints" / "chat.yaml"
    chat.write_text(chat.read_text().replace("calls: 20", "calls: 50").replace(
        "tier: gold", "tier: platinum"))

    code, out, _ = run(capsys, "drift", "-C", str(applied))
    assert code == 0, out
    code, out, _ = run(capsys, "plan", "-C", str(applied), "--format", "json",
                       "--detailed-exitcode")
    assert code == 2
    [action] = [a for a in json.loads(out)["actions"] if a["name"] == "chat"]
    assert {(c["path"], c["cause"]) for c in action["changes"]} == {
        ("ai_gateway.rate_limits[user/calls].calls", "repository"),
        ("tags[tier]", "repository"),
    }
    # the new marks ride in the tags PATCH, which is the last write: still one PATCH
    assert [(s["op"], s["facet"]) for s in action["steps"]] == [
        ("put_ai_gateway", "ai_gateway"), ("patch_tags", "tags")]

    code, _out, err = run(capsys, "apply", "-C", str(applied), "--auto-approve")
    assert code == 0, err
    # After the repository change is applied, an edit back to the old value is drift.
    with behind_our_back(applied) as api:
        api.patch(f"{API}/chat/tags", json={"add_tags": [{"key": "tier", "value": "gold"}]})
    code, out, _ = run(capsys, "drift", "-C", str(applied))
    assert code == 2
    assert 'tags[tier]: live "gold", manifest "platinum"' in out


def test_repository_and_live_changes_together_are_told_apart(
    applied: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit_behind_our_back(applied)
    embed = applied / "endpoints" / "embed.yaml"
    embed.write_text(embed.read_text().replace("team: genai", "team: search"))

    code, out, _ = run(capsys, "drift", "-C", str(applied), "--select", "chat,embed")
    assert code == 2
    assert "chat" in out and "embed  (" not in out
    code, out, _ = run(capsys, "drift", "-C", str(applied), "--select", "embed")
    assert code == 0


def test_drift_reports_unattributed_endpoints_without_marks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An endpoint applied by an older reconciler (ours, no marks) cannot be attributed."""
    root = write_project(tmp_path / "repo")
    code, _out, err = run(capsys, "apply", "-C", str(root), "--auto-approve")
    assert code == 0, err
    with behind_our_back(root) as api:
        api.patch(f"{API}/chat/tags", json={"delete_tags": ["reconciler-applied"],
                                           "add_tags": [{"key": "team", "value": "x"}]})
    code, out, _ = run(capsys, "drift", "-C", str(root))
    assert code == 0
    assert "Not attributed" in out and "chat" in out
    code, out, _ = run(capsys, "plan", "-C", str(root), "--format", "json")
    [action] = [a for a in json.loads(out)["actions"] if a["name"] == "chat"]
    assert {c["cause"] for c in action["changes"]} == {"unknown"}
    # apply records the marks, so the next out-of-band edit is attributed
    code, _out, err = run(capsys, "apply", "-C", str(root), "--auto-approve")
    assert code == 0, err
    assert "reconciler-applied" in tags_of(live(root, "chat"))


def test_drift_on_a_broken_project_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_project(tmp_path / "repo", chat="name: chat\nconfig: [not, a, block]\n")
    code, _out, err = run(capsys, "drift", "-C", str(root))
    assert code == 1
    assert "chat.yaml" in err
