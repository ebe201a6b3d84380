"""The name the service gives a served entity (or legacy served model) written without one.

One derivation, used by validation (route targets, duplicate names), the diff (keying
entities) and the emulator (naming what it stores), so a route that validates is a route
that applies. The SDK's docstring says an unnamed entity is named
``<entity_name>-<entity_version>``; for a Unity Catalog name (``catalog.schema.model``) the
service, Databricks' docs and its notebooks use the last part (``diabetes_predictor-1``), and
an external model is named after its model name with ``.`` and ``:`` made ``-``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def derived_entity_name(entity: Mapping[str, Any]) -> str | None:
    """The generated name of an unnamed entity, a wire dict; None when nothing names it."""
    external = entity.get("external_model")
    if isinstance(external, Mapping):
        model = external.get("name")
        return str(model).replace(".", "-").replace(":", "-") if model else None
    base = entity.get("entity_name") or entity.get("model_name")
    if not base:
        return None
    version = entity.get("entity_version") or entity.get("model_version")
    base = str(base).rsplit(".", 1)[-1]
    return f"{base}-{version}" if version else base
