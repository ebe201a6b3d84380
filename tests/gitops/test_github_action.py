"""The GitHub Action's script (``python -m reconciler.github_action``, what action.yml runs)
with a fake ``GITHUB_*`` environment, against ``reconciler emulator serve`` on loopback and a
loopback fake of the GitHub REST API: the comment it posts, then edits; the error when
planning fails; apply on merge of the reviewed plan artifact, refused once it is stale.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.github_action import COMMENT_LIMIT
from tests.reliability.generated import TOKEN_ENV, set_manifests, write_project
from tests.support.emulator_server import EmulatorServer
from tests.support.fake_github import FakeGitHub, serve_fake_github

ROOT = Path(__file__).resolve().parents[2]
REPO = "acme/gitops"
MERGE_SHA = "1111111111111111111111111111111111111111"
HEAD_SHA = "2222222222222222222222222222222222222222"
MAIN_SHA = "3333333333333333333333333333333333333333"
MARKER = "<!-- serving-reconciler plan: project={root} target=t -->"

pytestmark = pytest.mark.e2e


def run_action(tmp: Path, fake: FakeGitHub, server: EmulatorServer, *, command: str,
               project: Path, event: dict[str, Any], sha: str,
               plan_file: Path) -> tuple[int, str, str]:
    event_path = tmp / "event.json"
    event_path.write_text(json.dumps(event))
    output, summary = tmp / "output.txt", tmp / "summary.md"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GITHUB_", "INPUT_", "DATABRICKS_"))}
    env.update({
        "INPUT_COMMAND": command, "INPUT_PROJECT": str(project), "INPUT_TARGET": "t",
        "INPUT_ARGS": "", "INPUT_PLAN_FILE": str(plan_file), "INPUT_ARTIFACT_NAME": "plan-t",
        "GITHUB_EVENT_NAME": "pull_request" if "pull_request" in event else "push",
        "GITHUB_EVENT_PATH": str(event_path), "GITHUB_SHA": sha, "GITHUB_REPOSITORY": REPO,
        "GITHUB_RUN_ID": "4242", "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_API_URL": fake.url, "GITHUB_TOKEN": "ghs-fake-token",
        "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary),
        TOKEN_ENV: server.token,
    })
    done = subprocess.run([sys.executable, "-m", "reconciler.github_action"], env=env,
                          capture_output=True, text=True, timeout=120, check=False, cwd=tmp)
    return done.returncode, done.stdout, done.stderr


def test_plan_comments_once_then_edits_and_apply_uses_the_reviewed_plan(
    tmp_path: Path
) -> None:
    with EmulatorServer.start(db_path=tmp_path / "e.db", ready_after=0) as server, \
            serve_fake_github(REPO) as fake:
        project = write_project(tmp_path / "repo", 2,
                                target=f"{{host: '{server.url}', token_env: {TOKEN_ENV}}}")
        marker = MARKER.format(root=project)
        fake.comments[7] = [{"id": 1, "body": "LGTM, someone else's comment"}]
        pr_event = {"pull_request": {"number": 7, "head": {"sha": HEAD_SHA}}}
        plan_file = tmp_path / "out" / "plan.json"

        code, out, err = run_action(tmp_path, fake, server, command="plan", project=project,
                                    event=pr_event, sha=MERGE_SHA, plan_file=plan_file)
        assert code == 0, out + err
        assert [r["method"] for r in fake.requests] == ["GET", "POST"]
        ours = fake.ours(7, marker)
        assert len(ours) == 1
        body = ours[0]["body"]
        assert body.startswith(marker + "\n### Plan for project reliability, target t "
                               f"({server.url})\n")
        assert "**Plan: 2 to create, 0 to update, 0 to recreate, 0 to delete" in body
        assert "| `ep-00000` | create |" in body
        assert f"Planned from commit `{MERGE_SHA[:12]}` (merge of the pull request's head " \
            f"`{HEAD_SHA[:12]}`) in [this run](https://github.example/{REPO}/actions/runs/4242)" \
            in body
        assert "artifact `plan-t`" in body and len(body) < COMMENT_LIMIT
        assert json.loads(plan_file.read_text())["target_name"] == "t"
        outputs = (tmp_path / "output.txt").read_text()
        assert "has-changes=true" in outputs and "comment-url=https://github.example/" in outputs
        assert marker in (tmp_path / "summary.md").read_text()
        assert server.token not in body

        # A new push to the pull request: the same comment is edited, no second one.
        set_manifests(project, 3)
        fake.requests.clear()
        code, out, err = run_action(tmp_path, fake, server, command="plan", project=project,
                                    event=pr_event, sha=MERGE_SHA, plan_file=plan_file)
        assert code == 0, out + err
        assert [r["method"] for r in fake.requests] == ["GET", "PATCH"]
        assert fake.requests[1]["path"] == f"/repos/{REPO}/issues/comments/{ours[0]['id']}"
        assert len(fake.comments[7]) == 2 and len(fake.ours(7, marker)) == 1
        assert "**Plan: 3 to create," in fake.ours(7, marker)[0]["body"]

        # Planning fails: the comment says so, with the located error; the step fails.
        manifest = project / "endpoints" / "all.yaml"
        good = manifest.read_text()
        manifest.write_text(good.replace("provider: openai", "provider: openaii", 1))
        code, out, _ = run_action(tmp_path, fake, server, command="plan", project=project,
                                  event=pr_event, sha=MERGE_SHA, plan_file=plan_file)
        assert code == 1 and "::error title=reconciler plan::planning failed" in out
        failed = fake.ours(7, marker)[0]["body"]
        assert "### Planning failed for target t" in failed
        assert "endpoints/all.yaml:" in failed and "openaii" in failed
        assert f"Planning failed at commit `{MERGE_SHA[:12]}`" in failed
        assert len(fake.ours(7, marker)) == 1

        # Fixed and planned again; actions/upload-artifact keeps the plan file.
        manifest.write_text(good)
        code, _, _ = run_action(tmp_path, fake, server, command="plan", project=project,
                                event=pr_event, sha=MERGE_SHA, plan_file=plan_file)
        assert code == 0
        fake.add_artifact("plan-t", HEAD_SHA, {"plan.json": plan_file.read_bytes()})
        fake.pulls_of_commit[MAIN_SHA] = [{"number": 7, "merged_at": "2026-12-01T09:00:00Z",
                                           "head": {"sha": HEAD_SHA}}]

        # Merged: the apply job has no plan file of its own and applies the reviewed one.
        fake.requests.clear()
        applied_file = tmp_path / "apply" / "plan.json"
        code, out, err = run_action(tmp_path, fake, server, command="apply", project=project,
                                    event={}, sha=MAIN_SHA, plan_file=applied_file)
        assert code == 0, out + err
        assert "Applying the plan reviewed in pull request #7 (artifact 'plan-t')" in out
        assert "Apply finished: 3 done" in out
        assert applied_file.read_bytes() == plan_file.read_bytes()
        storage = [r for r in fake.requests if r["path"].startswith("/storage/")]
        assert len(storage) == 1 and "authorization" not in storage[0]["headers"]

        # The same reviewed plan again: the workspace moved since, so it is refused.
        applied_file.unlink()
        code, out, err = run_action(tmp_path, fake, server, command="apply", project=project,
                                    event={}, sha=MAIN_SHA, plan_file=applied_file)
        assert code == 1
        assert "FAILED (stale-plan)" in out
        assert "::error title=reconciler apply::the reviewed plan is stale" in out

        # A push that no pull request reviewed has no plan to apply: refused, nothing planned.
        applied_file.unlink()
        code, out, _ = run_action(tmp_path, fake, server, command="apply", project=project,
                                  event={}, sha="4" * 40, plan_file=applied_file)
        assert code == 1 and "belongs to no pull request" in out


def test_action_yml_runs_this_script_from_its_own_checkout_with_the_lock() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) >= {"command", "project", "target", "args", "plan-file"}
    scripts = "\n".join(step.get("run", "") for step in action["runs"]["steps"])
    assert "--require-hashes -r \"${{ github.action_path }}/requirements/ci.txt\"" in scripts
    assert "--no-deps --no-build-isolation \"${{ github.action_path }}\"" in scripts
    assert "-m reconciler.github_action" in scripts
    uploads = [s for s in action["runs"]["steps"]
               if str(s.get("uses", "")).startswith("actions/upload-artifact@")]
    assert len(uploads) == 1 and "inputs.command == 'plan'" in uploads[0]["if"]
    for step in action["runs"]["steps"]:  # inputs reach scripts through env, never inlined
        assert "${{ inputs." not in step.get("run", ""), step


def test_the_example_workflow_gives_the_write_token_to_the_apply_job_only() -> None:
    workflow = yaml.safe_load((ROOT / "docs" / "ci" / "github-actions.yml").read_text())
    jobs = workflow["jobs"]
    write = "${{ secrets.PROD_DATABRICKS_TOKEN }}"
    for name, job in jobs.items():
        text = yaml.safe_dump(job)
        uses = [s for s in job["steps"] if "serving-reconciler@" in str(s.get("uses", ""))]
        assert uses, f"job {name} does not use the action"
        if name == "apply":
            assert job["env"]["PROD_DATABRICKS_TOKEN"] == write
            assert job["environment"] == "production"
        else:
            assert "secrets.PROD_DATABRICKS_TOKEN" not in text, name
    assert jobs["plan"]["env"]["PROD_DATABRICKS_TOKEN"] == \
        "${{ secrets.PROD_DATABRICKS_READ_TOKEN }}"
    assert "env" not in jobs["validate"]  # offline: no token at all
