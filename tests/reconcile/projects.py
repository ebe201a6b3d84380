"""A small GitOps project on disk for the continuous-mode tests (local target)."""

from __future__ import annotations

from pathlib import Path

ENDPOINT = """\
name: {name}
tags: {{team: {team}}}
config:
  served_entities:
    - name: chat
      external_model:
        name: gpt-4o
        provider: openai
        task: llm/v1/chat
        openai_config: {{openai_api_key: "{{{{secrets/ai/openai}}}}"}}
"""


def make_project(root: Path, *names: str, team: str = "genai") -> Path:
    (root / "endpoints").mkdir(parents=True)
    (root / "reconciler.yaml").write_text(
        "project: loop-test\nproject_id: 10095e5f0a1b2c3d\n"
        "targets:\n  local: {local: .reconciler/local.db}\n")
    for name in names:
        write_endpoint(root, name, team)
    return root


def write_endpoint(root: Path, name: str, team: str) -> None:
    (root / "endpoints" / f"{name}.yaml").write_text(ENDPOINT.format(name=name, team=team))
