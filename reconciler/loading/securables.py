"""Documents of the Unity AI Gateway kinds (``kind: ModelProviderService``,
``kind: ModelService``) -> models with source positions, beside the serving endpoints.

``kind`` selects the model; a document without ``kind`` (or ``kind: ServingEndpoint``)
stays a serving endpoint, so existing projects are unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from reconciler.loading import parsing, yaml_reader
from reconciler.loading.source import FieldPath, PositionMap
from reconciler.model.diagnostics import Issue
from reconciler.model.source import SourceLocation
from reconciler.model.unity import KINDS, UnitySecurable


@dataclass(frozen=True)
class LoadedSecurable:
    """A structurally valid securable manifest and where each of its values came from."""

    securable: UnitySecurable
    location: SourceLocation
    positions: Mapping[FieldPath, SourceLocation]


def is_securable(doc: yaml_reader.RawDocument) -> bool:
    data = doc.data
    # A list or a mapping as kind is not hashable: it is not a securable kind (the endpoint
    # model then reports the wrong type at its place), never a TypeError.
    kind = data.get("kind") if isinstance(data, dict) else None
    return isinstance(kind, str) and kind in KINDS


def build(doc: yaml_reader.RawDocument, shown: str,
          ) -> tuple[LoadedSecurable | None, list[Issue]]:
    model_type = KINDS[str(doc.data["kind"])]
    model, issues = parsing.build_model(model_type, doc)
    if model is None:
        return None, issues
    return LoadedSecurable(model, doc.location, PositionMap(shown, doc.marks)), issues
