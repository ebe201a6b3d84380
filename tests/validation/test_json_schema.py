"""The committed JSON Schemas: up to date, accepted by editors' validators, and strict.

An editor (yaml-language-server) validates with the committed file, so it must match the
models exactly, accept every example and reject the structurally invalid ones.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from reconciler.validation import json_schema

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "schemas"
EXAMPLES = ROOT / "examples"
MODELINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)$", re.MULTILINE)


def _validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMAS / name).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize(
    ("name", "generate"),
    [
        (json_schema.ENDPOINT_SCHEMA_FILE, json_schema.endpoint_schema),
        (json_schema.PROJECT_SCHEMA_FILE, json_schema.project_schema),
    ],
)
def test_committed_schema_is_up_to_date(name: str, generate: Any) -> None:
    committed = (SCHEMAS / name).read_text()
    assert committed == json_schema.dumps(generate()), (
        f"schemas/{name} is stale: run `reconciler schema > schemas/{name}` "
        "(or `--project` for the project schema)"
    )


def _example_files() -> list[Path]:
    return sorted(p for p in EXAMPLES.rglob("*.yaml") if "invalid" not in p.parts)


@pytest.mark.parametrize("path", _example_files(), ids=lambda p: str(p.relative_to(EXAMPLES)))
def test_examples_point_editors_at_the_schema_and_pass_it(path: Path) -> None:
    text = path.read_text()
    targets = MODELINE.findall(text)
    assert targets, f"{path} has no yaml-language-server modeline"
    for target in targets:
        assert (path.parent / target).resolve().is_file(), f"{target} does not exist from {path}"
    validator = _validator(Path(targets[0]).name)
    for document in yaml.safe_load_all(text):
        errors = [e.message for e in validator.iter_errors(document)]
        assert not errors, f"{path}: {errors}"


STRUCTURAL = sorted((EXAMPLES / "invalid").glob("struct-*.yaml"))


@pytest.mark.parametrize("path", STRUCTURAL, ids=lambda p: p.name)
def test_committed_schema_rejects_structural_invalid_examples(path: Path) -> None:
    validator = _validator(json_schema.ENDPOINT_SCHEMA_FILE)
    documents = list(yaml.safe_load_all(path.read_text()))
    assert documents
    assert any(list(validator.iter_errors(doc)) for doc in documents)


def _properties(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    models = [(schema["title"], schema), *schema.get("$defs", {}).items()]
    return [(model, field, prop) for model, definition in models
            for field, prop in definition.get("properties", {}).items()]


@pytest.mark.parametrize("name", [json_schema.ENDPOINT_SCHEMA_FILE,
                                  json_schema.PROJECT_SCHEMA_FILE])
def test_every_property_is_described_for_editors(name: str) -> None:
    schema = json.loads((SCHEMAS / name).read_text())
    missing = [f"{m}.{f}" for m, f, prop in _properties(schema)
               if not str(prop.get("description", "")).strip()]
    assert not missing, f"no doc in reconciler/model/field_docs.py for: {missing}"


def _enum_at(schema: dict[str, Any], model: str, field: str) -> tuple[list[str], bool]:
    """The offered values of a property, and whether any other string is accepted too."""
    prop = schema["$defs"][model]["properties"][field]
    branches = prop.get("anyOf", [prop])
    values = [v for b in branches for v in b.get("enum", [])]
    return values, {"type": "string"} in branches


def test_editors_are_offered_the_allowed_values() -> None:
    schema = json.loads((SCHEMAS / json_schema.ENDPOINT_SCHEMA_FILE).read_text())
    assert _enum_at(schema, "ExternalModel", "task") == (
        ["llm/v1/completions", "llm/v1/chat", "llm/v1/embeddings"], False)
    assert _enum_at(schema, "ServedEntity", "workload_type")[0][:2] == ["CPU", "CPU_MEDIUM"]
    assert _enum_at(schema, "ServedEntity", "workload_type")[1] is False
    # Workspaces may define custom sizes: offered, not enforced.
    assert _enum_at(schema, "ServedEntity", "workload_size") == (
        ["Small", "Medium", "Large"], True)
    assert _enum_at(schema, "AiGatewayRateLimit", "key") == (
        ["endpoint", "user", "user_group", "service_principal"], False)
    assert _enum_at(schema, "AiGatewayRateLimit", "renewal_period") == (["minute"], False)
    assert _enum_at(schema, "LegacyRateLimit", "key") == (["user", "endpoint"], False)
    assert _enum_at(schema, "PiiConfig", "behavior") == (["NONE", "BLOCK", "MASK"], False)
    validator = _validator(json_schema.ENDPOINT_SCHEMA_FILE)
    entity = {"name": "m", "entity_name": "c.s.m", "entity_version": "1"}
    document = {"name": "e", "config": {"served_entities": [
        {**entity, "workload_size": "Custom-XL", "workload_type": "GPU_SMALL"}]}}
    assert not list(validator.iter_errors(document))
    document["config"]["served_entities"][0]["workload_type"] = "GPU_SMAL"  # type: ignore[index]
    assert list(validator.iter_errors(document))
