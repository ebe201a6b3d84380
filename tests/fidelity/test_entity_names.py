"""Issue 12 item 1: one derivation of unnamed served-entity names (validate = plan = apply)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from support.roundtrip import converge, problems, write_project

TWO_VERSIONS = """\
name: derived-names
config:
  served_entities:
    - {entity_name: main.risk.fraud, entity_version: "3",
       workload_size: Small, scale_to_zero_enabled: true}
    - {name: challenger, entity_name: main.risk.fraud, entity_version: "4",
       workload_size: Small, scale_to_zero_enabled: true}
  traffic_config:
    routes:
      - {served_entity_name: ROUTE, traffic_percentage: 90}
      - {served_entity_name: challenger, traffic_percentage: 10}
"""

SAME_SHORT_NAME = """\
name: short-names
config:
  served_entities:
    - {entity_name: main.a.model, entity_version: "1",
       workload_size: Small, scale_to_zero_enabled: true}
    - {entity_name: main.b.model, entity_version: "1",
       workload_size: Small, scale_to_zero_enabled: true}
  traffic_config:
    routes:
      - {served_entity_name: model-1, traffic_percentage: 100}
"""


def test_route_to_the_short_derived_name_validates_and_applies(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"ep.yaml": TWO_VERSIONS.replace("ROUTE", "fraud-3")})
    assert problems(root) == []
    result = asyncio.run(converge(tmp_path, root))
    assert result.report.ok, [o.error for o in result.report.failed]
    assert result.changed_after() == {}
    (live,) = result.emulator_gets
    assert sorted(e["name"] for e in live["config"]["served_entities"]) == [
        "challenger", "fraud-3",
    ]


def test_route_to_the_whole_uc_name_is_refused_with_the_derived_name_offered(
    tmp_path: Path,
) -> None:
    root = write_project(tmp_path, {"ep.yaml": TWO_VERSIONS.replace("ROUTE", "main-risk-fraud-3")})
    (problem,) = problems(root)
    assert problem.startswith("ENDPOINT-008")
    assert "no served entity is named 'main-risk-fraud-3'" in problem
    assert "fraud-3" in problem.split("named 'main-risk-fraud-3'")[1]


def test_two_unnamed_entities_with_one_derived_name_are_refused_offline(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"ep.yaml": SAME_SHORT_NAME})
    (problem,) = problems(root)
    assert problem.startswith("ENDPOINT-002")
    assert "'model-1' is already used by config.served_entities[0]" in problem
    assert "give one of them a 'name'" in problem
