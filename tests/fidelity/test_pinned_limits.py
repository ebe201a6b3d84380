"""Issue 12 item 10: limits and enums as databricks-sdk 0.162 and the evidence have them."""

from __future__ import annotations

import asyncio
from pathlib import Path

from support.roundtrip import converge, problems, write_project

from reconciler.api import validate_project


def entities(count: int) -> str:
    lines = ["name: many", "config:", "  served_entities:"]
    for i in range(count):
        lines.append(f'    - {{name: m{i}, entity_name: main.ml.model, entity_version: "{i + 1}",'
                     " workload_size: Small, scale_to_zero_enabled: true}")
    lines += ["  traffic_config:", "    routes:"]
    for i in range(count):
        lines.append(f"      - {{served_entity_name: m{i}, traffic_percentage: "
                     f"{100 - (count - 1) * 5 if i == 0 else 5}}}")
    return "\n".join(lines) + "\n"


def test_fifteen_served_entities_validate_and_apply(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"many.yaml": entities(15)})
    assert problems(root) == []
    result = asyncio.run(converge(tmp_path, root))
    assert result.report.ok, [o.error for o in result.report.failed]
    assert result.changed_after() == {}


def test_sixteen_served_entities_are_refused(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"many.yaml": entities(16)})
    (problem,) = problems(root)
    assert problem.startswith("ENDPOINT-003")
    assert "at most 15 served entities per endpoint, got 16" in problem


BEDROCK = """\
name: grok
config:
  served_entities:
    - name: e1
      external_model:
        name: grok-3
        provider: amazon-bedrock
        task: TASK
        amazon_bedrock_config: {aws_region: us-east-1, bedrock_provider: PROVIDER,
                                instance_profile_arn: "arn:aws:iam::1:instance-profile/x"}
"""


def test_grok_is_not_a_bedrock_provider_of_the_api(tmp_path: Path) -> None:
    text = BEDROCK.replace("TASK", "llm/v1/chat").replace("PROVIDER", "grok")
    (problem,) = problems(write_project(tmp_path, {"grok.yaml": text}))
    assert problem.startswith("PROVIDER-008")
    assert "'grok'" in problem


def test_an_undocumented_task_is_a_warning_not_an_error(tmp_path: Path) -> None:
    text = BEDROCK.replace("TASK", "llm/v1/responses").replace("PROVIDER", "anthropic")
    root = write_project(tmp_path, {"task.yaml": text})
    report = validate_project(root, env={})
    assert [(i.rule, i.severity) for i in report.issues] == [("PROVIDER-002", "warning")]
    assert "the API types it as a free string" in report.issues[0].message
