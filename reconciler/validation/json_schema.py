"""JSON Schemas generated from the manifest models (committed under ``schemas/``).

Generated, never hand-written, so pydantic (the fast path) and editors agree on structure.
Editors use them through a first line such as
``# yaml-language-server: $schema=../schemas/serving-endpoint.schema.json``.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import Field, TypeAdapter

from reconciler.model.endpoint import ServingEndpoint
from reconciler.model.field_docs import SCHEMA_ENUMS, field_doc
from reconciler.model.project import ProjectFile
from reconciler.model.unity import McpService, ModelProviderService, ModelService

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
ENDPOINT_SCHEMA_FILE = "serving-endpoint.schema.json"
PROJECT_SCHEMA_FILE = "project.schema.json"
UNITY_SCHEMA_FILE = "unity-gateway.schema.json"


def _finish(schema: dict[str, Any], title: str, description: str) -> dict[str, Any]:
    _document(schema)
    return {"$schema": SCHEMA_DIALECT, **schema, "title": title, "description": description}


def _document(schema: dict[str, Any]) -> None:
    """Add each property's doc (reconciler.model.field_docs) and the values editors offer.

    A value set is a string branch with an ``enum``; an open one (custom workload sizes)
    keeps a plain string branch beside it, so editors complete without refusing others.
    """
    models = [(str(schema.get("title", "")), schema), *schema.get("$defs", {}).items()]
    for model, definition in models:
        for field, prop in definition.get("properties", {}).items():
            doc = field_doc(model, field)
            if doc is not None:
                prop["description"] = doc
            for branch in prop.get("anyOf", [prop]):
                if "const" in branch:  # one allowed value: an enum editors list as well
                    branch["enum"] = [branch.pop("const")]
            values = SCHEMA_ENUMS.get((model, field))
            if values is None or "anyOf" not in prop:
                continue
            enum, is_open = values
            branches: list[dict[str, Any]] = []
            for branch in prop["anyOf"]:
                if branch == {"type": "string"}:
                    branches.append({"enum": list(enum), "type": "string"})
                    if is_open:
                        branches.append(branch)
                else:
                    branches.append(branch)
            prop["anyOf"] = branches


def endpoint_schema() -> dict[str, Any]:
    """One serving-endpoint manifest document (the REST create body, plus ``kind``)."""
    return _finish(
        ServingEndpoint.model_json_schema(),
        "ServingEndpoint",
        "A serving-reconciler manifest: the body of POST /api/2.0/serving-endpoints, with an "
        "optional `kind: ServingEndpoint` and tags as a map or the API's [{key, value}] list.",
    )


def project_schema() -> dict[str, Any]:
    """The project file ``reconciler.yaml``."""
    return _finish(
        ProjectFile.model_json_schema(),
        "ReconcilerProject",
        "reconciler.yaml: project name, manifests, targets, variables and policy.",
    )


def unity_schema() -> dict[str, Any]:
    """A Unity AI Gateway manifest: ``kind: ModelProviderService`` or ``kind: ModelService``."""
    adapter = TypeAdapter(Annotated[ModelProviderService | ModelService | McpService,
                                    Field(discriminator="kind")])
    # Not ``_finish``: the endpoint field docs it adds (by field name, e.g. ``api_key`` as a
    # {{secrets/scope/key}} reference) describe serving endpoints, not these services.
    return {"$schema": SCHEMA_DIALECT, **adapter.json_schema(),
            "title": "UnityGatewayService",
            "description": "A Unity AI Gateway service manifest (databricks-sdk 0.162 "
                           "shapes): kind, name (catalog.schema.id), comment, config as in "
                           "the REST body, optional grants."}


def dumps(schema: dict[str, Any]) -> str:
    """The committed text form: stable key order as generated, two-space indent, final newline."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
