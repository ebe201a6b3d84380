"""load_project: the pinned entry point of plan and apply."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler import errors
from reconciler.api.validating import load_project
from reconciler.model.endpoint import ServingEndpoint

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

ENDPOINT = """name: ${var.prefix}-chat
tags: {env: "${var.env}"}
config:
  served_entities:
    - name: chat
      external_model:
        name: gpt-4o
        provider: openai
        task: llm/v1/chat
        openai_config: {openai_api_key: "{{secrets/s/k}}"}
"""


def make_project(tmp_path: Path, project: str, files: dict[str, str]) -> Path:
    (tmp_path / "reconciler.yaml").write_text(project)
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


PROJECT = """project: p
manifests: [endpoints/, "more/*.yml"]
default_target: local
variables: {prefix: acme, env: dev, replicas: 2, debug: true}
targets:
  local: {local: .reconciler/local.db}
  prod: {host: https://x.cloud.databricks.com, token_env: T, variables: {env: prod}}
"""


def test_the_examples_load_for_every_target() -> None:
    for target in (None, "dev", "prod"):
        project = load_project(EXAMPLES, target, env={})
        assert project.file.project == "acme-genai"
        names = [e.endpoint.name for e in project.endpoints]
        assert "openai-completions-endpoint" in names
        assert len(names) == len(set(names)) == 16
    assert load_project(EXAMPLES, env={}).target_name == "local"


def test_variables_precedence_and_positions(tmp_path: Path) -> None:
    root = make_project(tmp_path, PROJECT, {"endpoints/a.yaml": ENDPOINT, "more/b.yml": ""})
    project = load_project(root, "prod", cli_vars={"prefix": "cli"}, env={})
    assert project.variables == {"prefix": "cli", "env": "prod", "replicas": "2", "debug": "true"}
    assert project.target.host == "https://x.cloud.databricks.com"
    (loaded,) = project.endpoints
    assert isinstance(loaded.endpoint, ServingEndpoint)
    assert loaded.endpoint.name == "cli-chat"
    assert loaded.endpoint.tag_map() == {"env": "prod"}
    assert loaded.location.line == 1
    where = loaded.positions[("config", "served_entities", 0, "external_model", "provider")]
    assert (Path(where.file).name, where.line, where.column) == ("a.yaml", 8, 19)


def test_invalid_manifests_raise_manifest_error_with_located_issues(tmp_path: Path) -> None:
    broken = ENDPOINT.replace("provider: openai", "provider: opena")
    root = make_project(tmp_path, PROJECT, {"endpoints/a.yaml": broken, "more/b.yml": ""})
    with pytest.raises(errors.ManifestError) as caught:
        load_project(root, env={})
    (issue,) = caught.value.issues
    assert issue.rule == "STRUCT-003" and issue.location.line == 8
    assert "did you mean 'openai'" in str(caught.value)


def test_missing_project_and_unknown_target_are_project_errors(tmp_path: Path) -> None:
    with pytest.raises(errors.ProjectError, match=r"no reconciler\.yaml"):
        load_project(tmp_path)
    root = make_project(tmp_path, PROJECT, {"endpoints/a.yaml": ENDPOINT, "more/b.yml": ""})
    with pytest.raises(errors.ProjectError, match="unknown target 'staging'"):
        load_project(root, "staging", env={})


def test_invalid_project_file_is_a_located_manifest_error(tmp_path: Path) -> None:
    root = make_project(tmp_path, "project: p\nmanifest: [endpoints/]\n", {})
    with pytest.raises(errors.ManifestError) as caught:
        load_project(root)
    (issue,) = caught.value.issues
    assert issue.rule == "STRUCT-001" and "did you mean 'manifests'" in issue.message


def test_a_project_without_targets_runs_on_an_implicit_local_registry(tmp_path: Path) -> None:
    root = make_project(
        tmp_path, "project: p\nvariables: {prefix: x, env: y}\n", {"endpoints/a.yaml": ENDPOINT}
    )
    project = load_project(root, env={})
    assert project.target_name == "local" and project.target.local == ".reconciler/local.db"
