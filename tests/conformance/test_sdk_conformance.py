"""Conformance with databricks-sdk's request types, generated from the SDK's own dataclasses.

For every field of every request body the project writes (create, config update, AI Gateway,
tags, notifications, telemetry, provisioned throughput: ``support.sdk_tree.METHODS``), some
manifest in ``tests/conformance/manifests/`` uses it; each of those manifests validates,
plans, applies on the emulator and then plans empty, and its create body carries every field
it wrote. A field a future SDK adds fails ``test_every_sdk_field_is_used_by_a_manifest``,
naming it: model it, then add it to a manifest here. Required fields of the SDK types are
checked by removing each from a manifest that has it.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from support import sdk_tree
from support.roundtrip import converge, write_project

from reconciler.api import validate_paths
from reconciler.model.project import Policy
from reconciler.registry.routes import route as step_route

MANIFESTS = Path(__file__).resolve().parent / "manifests"
FILES = sorted(MANIFESTS.glob("*.yaml"))
ALLOW = Policy(plaintext_secrets="allow")
# Endpoints created through POST .../serving-endpoints/pt; every other one is a classic create.
PT_CREATE = {"conf-pt"}

# SDK body path -> manifest path, per method (the other bodies are parts of the manifest).
PREFIX = {"update_config": "config.", "put_ai_gateway": "ai_gateway."}
TAGS_PATCH = {"add_tags[].key": "tags[].key", "add_tags[].value": "tags[].value",
              "delete_tags[]": "tags[].key"}
# Required in an SDK type but optional here, and why (docs/manifests.md).
NOT_REQUIRED_HERE = {
    # The SDK serialises the endpoint name into the create body's config; the REST create
    # takes the top-level name, and PUT .../config has it in the path.
    "config.name": "EndpointCoreConfigInput.name",
    # PtServedModel on POST .../pt; the same entity in a classic config may be sized by a
    # throughput range instead.
    "config.served_entities[].provisioned_model_units": "PtServedModel.provisioned_model_units",
}


def _docs() -> list[tuple[Path, dict[str, Any]]]:
    return [(path, doc) for path in FILES for doc in yaml.safe_load_all(path.read_text()) if doc]


def _paths(value: Any, prefix: str = "") -> Iterator[str]:
    """Leaf paths in the SDK tree's syntax (``[]`` after a list; a map is a leaf)."""
    if isinstance(value, dict) and not prefix.endswith(("environment_vars",)):
        for key, child in value.items():
            yield from _paths(child, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list) and value and isinstance(value[0], dict):
        for item in value:
            yield from _paths(item, prefix + "[]")
    elif isinstance(value, list):
        yield prefix + "[]"
    else:
        yield prefix


def manifest_path(method: str, path: str) -> str:
    if method == "patch":
        return TAGS_PATCH.get(path, path)
    return PREFIX.get(method, "") + path


def covered() -> set[str]:
    return {p for _path, doc in _docs() for p in _paths(doc)}


def test_every_sdk_field_is_used_by_a_manifest() -> None:
    used = covered()
    missing = []
    for method, route in sdk_tree.METHODS.items():
        leaves, _objects = sdk_tree.method_leaves(method)
        for leaf in leaves:
            if manifest_path(method, leaf.path) not in used:
                missing.append(f"{route}: {leaf.path} ({leaf.owner}.{leaf.name}, {leaf.kind})")
    assert not missing, (
        "databricks-sdk has request fields no conformance manifest uses; model each in "
        "reconciler/model and add it to tests/conformance/manifests/:\n  "
        + "\n  ".join(missing))


def test_every_create_body_field_is_accepted_and_counted(
    capsys: pytest.CaptureFixture[str],
) -> None:
    leaves, _ = sdk_tree.method_leaves("create")
    used = covered()
    accepted = [leaf.path for leaf in leaves if leaf.path in used]
    with capsys.disabled():
        print(f"\ncreate-body leaf fields accepted: {len(accepted)} of {len(leaves)} "
              "(databricks-sdk ServingEndpointsAPI.create)")
    assert len(accepted) == len(leaves)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_manifest_validates_without_issues(path: Path) -> None:
    report = validate_paths([path], env={}, policy=ALLOW)
    errors = [f"{i.rule} {i.location} {i.message}" for i in report.issues
              if i.severity == "error"]
    assert errors == []


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_manifest_applies_on_the_emulator_then_plans_empty(tmp_path: Path, path: Path) -> None:
    root = write_project(tmp_path, {path.name: path.read_text()})
    result = asyncio.run(converge(tmp_path, root))
    assert result.report.ok, [o.error for o in result.report.failed]
    assert result.changed_after() == {}
    for _file, doc in _docs():
        if _file != path:
            continue
        (action,) = [a for a in result.first.actions if a.name == doc["name"]]
        (create,) = [s for s in action.steps if s.op == "create"]
        pt = "/pt" if doc["name"] in PT_CREATE else ""
        assert step_route(create) == ("POST", f"/api/2.0/serving-endpoints{pt}")
        sent = set(_paths(create.wire_body()))
        written = set(_paths(doc))
        legacy = {p for p in written if p.startswith("rate_limits[]")}
        assert written - legacy <= sent, f"not sent: {sorted(written - legacy - sent)}"


def _required_cases() -> Iterator[tuple[str, str]]:
    seen: set[str] = set()
    for method in sdk_tree.METHODS:
        leaves, _ = sdk_tree.method_leaves(method)
        for leaf in leaves:
            path = manifest_path(method, leaf.path)
            if leaf.required and path not in seen and path not in NOT_REQUIRED_HERE:
                seen.add(path)
                yield path, f"{leaf.owner}.{leaf.name}"


def _without(doc: Any, parts: list[str]) -> bool:
    """Remove the first occurrence of ``parts`` (``[]`` = any element); True if removed."""
    head, rest = parts[0], parts[1:]
    key = head.removesuffix("[]")
    if not isinstance(doc, dict) or key not in doc:
        return False
    if not rest:
        if head.endswith("[]"):
            return False
        del doc[key]
        return True
    child = doc[key]
    if head.endswith("[]"):
        return any(_without(item, rest) for item in child if isinstance(item, dict))
    return _without(child, rest)


@pytest.mark.parametrize(("path", "owner"), list(_required_cases()),
                         ids=[p for p, _ in _required_cases()])
def test_a_field_the_sdk_requires_is_required(tmp_path: Path, path: str, owner: str) -> None:
    for _file, doc in _docs():
        changed = copy.deepcopy(doc)
        if _without(changed, path.split(".")):
            break
    else:
        pytest.fail(f"no conformance manifest has {path} ({owner})")
    target = tmp_path / "manifest.yaml"
    target.write_text(yaml.safe_dump(changed, sort_keys=False))
    report = validate_paths([target], env={}, policy=ALLOW)
    errors = [i for i in report.issues if i.severity == "error"]
    assert errors, f"{path} ({owner}) removed, yet the manifest validates"
