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
