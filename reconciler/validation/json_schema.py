"""JSON Schemas generated from the manifest models (committed under ``schemas/``).

Generated, never hand-written, so pydantic (the fast path) and editors agree on structure.
Editors use them through a first line such as
``# yaml-language-server: $schema=../schemas/serving-endpoint.schema.json``.
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.model.endpoint import ServingEndpoint
from reconciler.model.project import ProjectFile

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
ENDPOINT_SCHEMA_FILE = "serving-endpoint.schema.json"
PROJECT_SCHEMA_FILE = "project.schema.json"


def _finish(schema: dict[str, Any], title: str, description: str) -> dict[str, Any]:
    return {"$schema": SCHEMA_DIALECT, **schema, "title": title, "description": description}


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


def dumps(schema: dict[str, Any]) -> str:
    """The committed text form: stable key order as generated, two-space indent, final newline."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
