"""A small project of every task (chat, completions, embeddings, a split, custom models)
on the embedded local registry, and the emulator's query faults on the same file."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from support.emulator_inprocess import InProcessApi

SECRET = "sk-smoke-test-secret-0123456789"

PROJECT = """\
project: smoke
manifests: [endpoints/]
default_target: local
targets:
  local: {local: .reconciler/local.db}
"""


def external(name: str, model: str, task: str) -> str:
    return textwrap.dedent(f"""\
        - name: {name}
          external_model:
            name: {model}
            provider: openai
            task: {task}
            openai_config: {{openai_api_key: "{{{{secrets/s/k}}}}"}}
        """)


def manifest(name: str, entities: str, extra: str = "") -> str:
    body = textwrap.indent(entities, "    ")
    return f"name: {name}\nconfig:\n  served_entities:\n{body}{extra}---\n"


ENDPOINTS = "".join([
    manifest("chat", external("gpt", "gpt-4o-mini", "llm/v1/chat")),
    manifest("completions", external("instruct", "gpt-3.5-turbo-instruct",
                                     "llm/v1/completions")),
    manifest("embeddings", external("embed", "text-embedding-3-small", "llm/v1/embeddings")),
    manifest("split", external("a", "gpt-4o-mini", "llm/v1/chat")
             + external("b", "gpt-4o", "llm/v1/chat"),
             "  traffic_config:\n    routes:\n"
             "      - {served_entity_name: a, traffic_percentage: 50}\n"
             "      - {served_entity_name: b, traffic_percentage: 50}\n"),
    manifest("churn", textwrap.dedent("""\
        - name: champion
          entity_name: main.ml.churn
          entity_version: "3"
          workload_size: Small
          scale_to_zero_enabled: true
        """), "smoke_test:\n  request: {dataframe_records: [{x: 1}]}\n"
              "  expect: [predictions]\n"),
    manifest("no-smoke", textwrap.dedent("""\
        - entity_name: main.ml.other
          entity_version: "1"
          workload_size: Small
          scale_to_zero_enabled: true
        """)),
])


def write_project(root: Path, endpoints: str = ENDPOINTS) -> Path:
    (root / "endpoints").mkdir(parents=True)
    (root / "reconciler.yaml").write_text(PROJECT)
    (root / "endpoints" / "all.yaml").write_text(endpoints)
    return root


def emulator(root: Path) -> InProcessApi:
    return InProcessApi(db_path=root / ".reconciler" / "local.db")


def fail(root: Path, **body: Any) -> None:
    with emulator(root) as api:
        assert api.post("/_emulator/fail-queries", json=body).status_code == 200
