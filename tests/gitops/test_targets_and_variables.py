"""Targets and variables as a platform team meets them: which value wins, where an undefined
variable is, which target a plan is for, and a saved plan that refuses the wrong target.

The CLI runs in-process (``reconciler.cli.main.main``) on local targets; one loopback
`reconciler emulator serve` stands in for a workspace host.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.cli import run_cli as run
from support.emulator_server import EmulatorServer

PROJECT = """\
project: {project}
default_target: dev
variables: {{team: platform, tier: bronze, region: eu}}
targets:
  dev: {{local: .reconciler/dev.db, variables: {{tier: silver}}}}
  staging: {{local: .reconciler/staging.db, variables: {{tier: gold, region: us}}}}
  remote: {{host: '{host}', token_env: GITOPS_TEST_TOKEN}}
"""

ENDPOINT = """\
name: chat
tags:
  team: ${var.team}
  tier: ${var.tier}
  region: ${var.region}
config:
  served_entities:
    - name: gpt
      external_model:
        name: gpt-4o
        provider: openai
        task: llm/v1/chat
        openai_config: {openai_api_key: "{{secrets/ai/openai}}"}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    with EmulatorServer.start(db_path=tmp_path_factory.mktemp("emu") / "e.db") as running:
        yield running


@pytest.fixture
def project(tmp_path: Path, server: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GITOPS_TEST_TOKEN", server.token)
    return write_project(tmp_path / "repo", server.url)


def write_project(root: Path, host: str, name: str = "gitops-test") -> Path:
    (root / "endpoints").mkdir(parents=True)
    (root / "reconciler.yaml").write_text(PROJECT.format(project=name, host=host))
    (root / "endpoints" / "chat.yaml").write_text(ENDPOINT)
    return root


def planned_tags(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> dict[str, str]:
    code, out, err = run(capsys, "plan", "-C", str(root), "--format", "json", *args)
    assert code == 0, err
    [action] = json.loads(out)["actions"]
    [create] = action["steps"]
    return {t["key"]: t["value"] for t in create["body"]["tags"]
            if not t["key"].startswith("reconciler-")}


def test_target_variables_override_project_ones_and_var_overrides_both(
    capsys: pytest.CaptureFixture[str], project: Path
) -> None:
    assert planned_tags(capsys, project) == {"team": "platform", "tier": "silver",
                                             "region": "eu"}
    assert planned_tags(capsys, project, "-t", "staging") == {
        "team": "platform", "tier": "gold", "region": "us"}
    assert planned_tags(capsys, project, "-t", "staging", "--var", "tier=platinum",
                        "--var", "team=ml") == {"team": "ml", "tier": "platinum",
                                                "region": "us"}


def test_an_undefined_variable_is_an_error_at_its_file_line_and_column(
    capsys: pytest.CaptureFixture[str], project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = project / "endpoints" / "chat.yaml"
    chat.write_text(ENDPOINT.replace("${var.region}", "${var.regoin}"))
    monkeypatch.chdir(project)
    expected = ("endpoints/chat.yaml:5:11: error INTERP-001 undefined variable 'regoin' "
                "(known: region, team, tier)")
    code, out, _ = run(capsys, "validate")
    assert code == 1 and expected in out.splitlines()
    code, out, err = run(capsys, "plan")
    assert code == 1 and out == ""
    assert expected.replace(" error ", " ") in err and "Traceback" not in err
    # A --var the project does not declare is an error too (a typo would be ignored).
    code, out, err = run(capsys, "plan", "--var", "regoin=eu")
    assert code == 1 and out == ""
    assert err == ("Error: --var regoin: no such variable in reconciler.yaml (declared: "
                   "region, team, tier); did you mean 'region'?\n")


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_every_plan_header_names_the_target_and_where_it_points(
    capsys: pytest.CaptureFixture[str], project: Path, server: EmulatorServer, fmt: str
) -> None:
    for target, where in (("staging", "local registry .reconciler/staging.db"),
                          ("remote", server.url)):
        code, out, err = run(capsys, "plan", "-C", str(project), "-t", target, "--format", fmt)
        assert code == 0, err
        if fmt == "json":
            plan: dict[str, Any] = json.loads(out)
            assert plan["target_name"] == target
            assert (plan["target_host"] or f"local registry {plan['target_local']}") == where
        else:
            heading = "### " if fmt == "markdown" else ""
            assert out.splitlines()[0] == (
                f"{heading}Plan for project gitops-test, target {target} ({where})")


def test_a_saved_plan_refuses_another_target_project_or_host(
    capsys: pytest.CaptureFixture[str], project: Path, tmp_path: Path
) -> None:
    saved = tmp_path / "dev-plan.json"
    code, _, err = run(capsys, "plan", "-C", str(project), "--out", str(saved))
    assert code == 0, err

    code, out, err = run(capsys, "apply", "-C", str(project), "-t", "staging", str(saved),
                         "--auto-approve")
    assert code == 1 and out == ""
    assert err.strip() == (f"Error: {saved} was made for project 'gitops-test', target 'dev'; "
                           "this is project 'gitops-test', target 'staging'")
    assert not (project / ".reconciler" / "staging.db").exists()

    other = write_project(tmp_path / "other", "https://unused", name="other-team")
    code, _, err = run(capsys, "apply", "-C", str(other), str(saved), "--auto-approve")
    assert code == 1
    assert "was made for project 'gitops-test', target 'dev'; this is project 'other-team'" \
        in err

    moved = project / "reconciler.yaml"
    original = moved.read_text()
    moved.write_text(original.replace(".reconciler/dev.db", ".reconciler/dev2.db"))
    code, _, err = run(capsys, "apply", "-C", str(project), str(saved), "--auto-approve")
    assert code == 1
    assert err.strip() == (
        f"Error: {saved} was made for the local registry .reconciler/dev.db; target 'dev' now "
        "points at the local registry .reconciler/dev2.db; run plan again")

    moved.write_text(original)
    code, out, err = run(capsys, "apply", "-C", str(project), str(saved), "--auto-approve")
    assert code == 0, err
    assert "Apply finished: 1 done" in out


def test_an_unknown_target_lists_the_known_ones(
    capsys: pytest.CaptureFixture[str], project: Path
) -> None:
    for command in ("plan", "apply", "export"):
        code, out, err = run(capsys, command, "-C", str(project), "-t", "prod")
        assert (code, out) == (1, "")
        assert err == "Error: unknown target 'prod' (targets: dev, remote, staging)\n"


def test_target_and_variables_from_the_environment(
    capsys: pytest.CaptureFixture[str], project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECONCILER_TARGET", "staging")
    monkeypatch.setenv("RECONCILER_VAR_tier", "copper")
    monkeypatch.setenv("RECONCILER_VAR_undeclared", "ignored")  # other projects' variables
    # The target's tier (gold) is overridden by the environment, its region is kept.
    assert planned_tags(capsys, project) == {"team": "platform", "tier": "copper",
                                             "region": "us"}
    # -t and --var on the command line win over the environment.
    assert planned_tags(capsys, project, "-t", "dev", "--var", "tier=platinum") == {
        "team": "platform", "tier": "platinum", "region": "eu"}
    monkeypatch.setenv("RECONCILER_TARGET", "nope")
    code, _, err = run(capsys, "plan", "-C", str(project))
    assert code == 1 and "unknown target 'nope'" in err
