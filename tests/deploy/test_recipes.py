"""The deployment recipes (docs/deploy.md, docs/deploy/*) and the Dockerfile.

Every ``reconciler`` command in a recipe is parsed by the real CLI (click's own parsing, as
tests/gitops/test_ci_examples.py does for the CI workflow), so a renamed flag fails here
before it fails in someone's cluster. Docker cannot pull a base image on the test machine, so
the Dockerfile is checked as text: the locked install, a non-root user, the entrypoint.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from tests.gitops.test_ci_examples import action_invocation, invocation, parse

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "docs" / "deploy"
DOC = ROOT / "docs" / "deploy.md"


def _containers(document: dict[str, Any]) -> list[dict[str, Any]]:
    spec = document["spec"]
    if document["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    pod = spec["template"]["spec"]
    return [*pod.get("initContainers", []), *pod["containers"]]


def kubernetes_commands(name: str) -> list[list[str]]:
    document = yaml.safe_load((DEPLOY / name).read_text())
    found = []
    for container in _containers(document):
        words = [*container.get("command", []), *container.get("args", [])]
        if words and words[0] == "reconciler":
            found.append(words[1:])
        elif "serving-reconciler" in container["image"] and not container.get("command"):
            found.append(words)  # the image's entrypoint is reconciler
    return found


def databricks_commands() -> list[list[str]]:
    bundle = yaml.safe_load((DEPLOY / "databricks.yml").read_text())
    found = []
    for job in bundle["resources"]["jobs"].values():
        for task in job["tasks"]:
            wheel = task.get("python_wheel_task")
            if wheel and wheel["entry_point"] == "reconciler":
                assert wheel["package_name"] == "serving_reconciler"
                found.append([str(p) for p in wheel["parameters"]])
    return found


def matrix_commands() -> list[list[str]]:
    workflow = yaml.safe_load((DEPLOY / "github-actions-matrix.yml").read_text())
    found = []
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            args = action_invocation(step)
            if args is not None:
                found.append(args)
    return found


def doc_commands() -> list[list[str]]:
    found = []
    for block in re.findall(r"```(?:bash|sh)\n(.*?)```", DOC.read_text(), re.S):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words[:2] == ["docker", "run"]:
                image = next(i for i, w in enumerate(words) if "serving-reconciler" in w
                             and not w.startswith("-"))
                line = shlex.join(["reconciler", *words[image + 1:]])
            args = invocation(line)
            if args:
                found.append(args)
    return found


RECIPES = {
    "kubernetes-cronjob.yaml": lambda: kubernetes_commands("kubernetes-cronjob.yaml"),
    "kubernetes-deployment.yaml": lambda: kubernetes_commands("kubernetes-deployment.yaml"),
    "databricks.yml": databricks_commands,
    "github-actions-matrix.yml": matrix_commands,
    "deploy.md": doc_commands,
}


def test_every_recipe_file_is_documented_and_checked() -> None:
    files = {p.name for p in DEPLOY.iterdir()}
    assert files == set(RECIPES) - {"deploy.md"}
    text = DOC.read_text()
    for name in files:
        assert f"deploy/{name}" in text, f"docs/deploy.md does not explain {name}"


@pytest.mark.parametrize("recipe", sorted(RECIPES))
def test_every_reconciler_command_in_a_recipe_parses(recipe: str) -> None:
    commands = RECIPES[recipe]()
    assert commands, f"{recipe} runs no reconciler command"
    for args in commands:
        context: click.Context = parse(args)
        if args[0] == "apply":
            assert context.params["auto_approve"], f"{recipe}: no terminal, --auto-approve"


def test_the_cronjob_runs_one_cycle_and_never_two_at_once() -> None:
    [args] = kubernetes_commands("kubernetes-cronjob.yaml")
    context = parse(args)
    assert args[0] == "reconcile" and context.params["max_cycles"] == 1
    cron = yaml.safe_load((DEPLOY / "kubernetes-cronjob.yaml").read_text())
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"


def test_the_deployment_is_one_replica_that_never_overlaps() -> None:
    [args] = kubernetes_commands("kubernetes-deployment.yaml")
    assert args[0] == "reconcile" and "--interval" in args and "--max-cycles" not in args
    deployment = yaml.safe_load((DEPLOY / "kubernetes-deployment.yaml").read_text())
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"]["type"] == "Recreate"
    assert "ONE replica per target" in (DEPLOY / "kubernetes-deployment.yaml").read_text()


def test_the_databricks_job_applies_with_its_own_identity() -> None:
    [args] = databricks_commands()
    assert args[0] == "apply"
    bundle = yaml.safe_load((DEPLOY / "databricks.yml").read_text())
    assert "service_principal_name" in bundle["targets"]["prod"]["run_as"]
    job = next(iter(bundle["resources"]["jobs"].values()))
    assert job["max_concurrent_runs"] == 1
    assert "auth: sdk" in DOC.read_text()  # the target uses unified auth, no stored token


def test_the_ci_matrix_is_one_job_per_workspace() -> None:
    workflow = yaml.safe_load((DEPLOY / "github-actions-matrix.yml").read_text())
    targets = [[row["target"] for row in job["strategy"]["matrix"]["include"]]
               for job in workflow["jobs"].values()]
    assert targets[0] == targets[1] and len(targets[0]) > 1
    assert all(job["strategy"]["fail-fast"] is False for job in workflow["jobs"].values())


def _instructions(text: str) -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n\s*", " ", text)
    out = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_the_dockerfile_installs_the_lock_and_runs_as_a_non_root_user() -> None:
    steps = _instructions((ROOT / "Dockerfile").read_text())
    bases = [rest for word, rest in steps if word == "FROM"]
    assert bases and all(b.split()[0] == "python:3.11-slim" for b in bases)
    runs = " ".join(rest for word, rest in steps if word == "RUN")
    assert "pip install --require-hashes -r requirements/ci.txt" in runs
    assert "pip install --no-deps --no-build-isolation ." in runs
    assert re.findall(r"pip install", runs) == ["pip install", "pip install"]  # nothing else
    users = [rest for word, rest in steps if word == "USER"]
    assert users, "no USER: the image would run as root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0") and user.isdigit()
    last_from = max(i for i, (word, _) in enumerate(steps) if word == "FROM")
    assert any(word == "USER" for word, _ in steps[last_from:])  # in the final stage
    assert ("ENTRYPOINT", '["reconciler"]') in steps
    copied = [rest for word, rest in steps if word == "COPY"]
    assert copied[0] == "requirements/ci.txt requirements/ci.txt"
