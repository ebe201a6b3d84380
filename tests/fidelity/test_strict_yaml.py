"""Issue 12 item 14: YAML that would change meaning silently is refused, with the text written."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.api import validate_paths

ENDPOINT = """\
name: chat
config:
  served_entities:
    - name: gpt
      external_model:
        name: gpt-4o-mini
        provider: openai
        task: llm/v1/chat
        openai_config: {openai_api_key: "{{secrets/s/k}}"}
"""


def messages(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "endpoint.yaml"
    path.write_text(text)
    report = validate_paths([path], env={})
    return [f"{i.rule} {i.message}" for i in report.issues if i.severity == "error"]


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("ai_gateway:\n  rate_limits:\n    - {key: user, calls: yes, renewal_period: minute}\n",
         "STRUCT-003 ai_gateway.rate_limits[0].calls: Input should be a valid integer, got yes, "
         "which YAML reads as a boolean; write a number"),
        ("route_optimized: 1\n",
         "STRUCT-003 route_optimized: Input should be a valid boolean, got the number 1; "
         "write true or false"),
        ("tags: {team: 012}\n",
         'STRUCT-003 tags.team: Input should be a valid string, got 012, which YAML reads as '
         'the number 10; quote it: "012"'),
        ("tags: {window: 12:30:00}\n",
         'STRUCT-003 tags.window: Input should be a valid string, got 12:30:00, which YAML '
         'reads as the number 45000; quote it: "12:30:00"'),
        ("tags: {replicas: 3}\n",
         'STRUCT-003 tags.replicas: Input should be a valid string, got the number 3; '
         'quote it: "3"'),
    ],
)
def test_scalars_yaml_converts_are_refused_quoting_what_was_written(
    tmp_path: Path, extra: str, expected: str
) -> None:
    assert messages(tmp_path, ENDPOINT + extra) == [expected]


@pytest.mark.parametrize(
    ("extra", "tag"),
    [
        ("ai_gateway: !!python/object\n  usage_tracking_config: {enabled: true}\n",
         "!!python/object"),
        ("ai_gateway:\n  guardrails: !Ref\n    input: {safety: true}\n", "!Ref"),
        ("email_notifications:\n  on_update_failure: !Sub [a@example.com]\n", "!Sub"),
    ],
)
def test_tags_on_mappings_and_lists_are_refused(tmp_path: Path, extra: str, tag: str) -> None:
    assert messages(tmp_path, ENDPOINT + extra) == [f"LOAD-006 unsupported YAML tag {tag}"]


def test_served_models_beside_served_entities_is_one_error(tmp_path: Path) -> None:
    text = """\
name: both
config:
  served_models:
    - {name: a, model_name: m, model_version: "1", workload_size: Small,
       scale_to_zero_enabled: true}
  served_entities:
    - {name: b, entity_name: main.x.m, entity_version: "1", workload_size: Small,
       scale_to_zero_enabled: true}
"""
    assert messages(tmp_path, text) == [
        "ENDPOINT-003 give served_entities or served_models, not both"
    ]


def test_burst_scaling_beside_an_external_model_is_refused(tmp_path: Path) -> None:
    burst = "    - name: gpt\n      burst_scaling_enabled: true\n"
    text = ENDPOINT.replace("    - name: gpt\n", burst)
    assert messages(tmp_path, text) == [
        "ENDPOINT-005 'burst_scaling_enabled' cannot be set on an external model (the provider "
        "serves it)"
    ]
