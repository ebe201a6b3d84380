"""Shapes of the Unity AI Gateway securables (model provider services, model services, MCP
services) as the emulator accepts and keeps them, pinned to databricks-sdk 0.162
(``databricks/sdk/service/catalog.py``: ``ModelProviderService``, ``ModelService``,
``McpService`` and their config dataclasses).

Derived from the manifest models (``reconciler.model.unity``, the one definition of these
shapes) into the same small JSON Schema subset as ``schemas``, so that ``schema_check.check``
gives the structural 400s and ``endpoints.prune`` drops members the service does not know
(the real service ignores them; our client keeps unknown members it reads). What the
models do not hold is added here: the read-only members a server fills in, and which
members each provider's ``direct`` block has. Cross-field rules (one provider block,
traffic sums, limits, references) live in ``uc_validation``.
"""

from __future__ import annotations

import types
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from reconciler.model import unity

Schema = dict[str, Any]

# Read-only members the service adds to what clients write (kept on write-back).
OUTPUT_ONLY: dict[type[BaseModel], Schema] = {
    unity.InferenceTable: {"table": {"type": "string"}, "is_deleted": {"type": "boolean"}},
    unity.Destination: {"is_deleted": {"type": "boolean"}},
    unity.ProvisionedThroughputConfig: {"model": {"type": "string"}},
    unity.SourceConnection: {"options": {"type": "object"},
                             "is_deleted": {"type": "boolean"}},
}
# Members a PATCH body may leave out (its mask says which are sent); the cross-field rules
# say what a create needs, with the service's own messages.
PARTIAL: frozenset[type[BaseModel]] = frozenset({
    unity.ProviderServiceConfig, unity.ModelServiceConfig, unity.McpServiceConfig,
    unity.Routing})


def _optional(annotation: Any) -> Any:
    args = [a for a in get_args(annotation) if a is not type(None)]
    is_union = get_origin(annotation) in (Union, types.UnionType)
    return args[0] if is_union and len(args) == 1 else annotation


def _type(annotation: Any, metadata: list[Any]) -> Schema:
    annotation = _optional(annotation)
    origin = get_origin(annotation)
    if origin is Literal:
        return {"type": "string", "enum": list(get_args(annotation))}
    if origin is list:
        schema: Schema = {"type": "array", "items": _type(get_args(annotation)[0], [])}
        for m in metadata:  # pydantic's constraint objects (Field(max_length=...))
            if getattr(m, "max_length", None) is not None:
                schema["maxItems"] = m.max_length
        return schema
    if origin is dict or annotation is Any:
        return {"type": "object"}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return model_schema(annotation)
    if annotation is bool:
        return {"type": "boolean"}
    if annotation is int:
        schema = {"type": "integer"}
        for m in metadata:
            if getattr(m, "ge", None) is not None:
                schema["minimum"] = m.ge
            if getattr(m, "le", None) is not None:
                schema["maximum"] = m.le
        return schema
    return {"type": "string"}


def model_schema(model: type[BaseModel], only: tuple[str, ...] | None = None) -> Schema:
    """The wire schema of ``model``: its fields (``only`` these when given), required where
    the model requires them, plus the read-only members of ``OUTPUT_ONLY``."""
    fields = {n: f for n, f in model.model_fields.items() if only is None or n in only}
    schema: Schema = {"type": "object", "properties": {
        **{name: _type(f.annotation, f.metadata) for name, f in fields.items()},
        **OUTPUT_ONLY.get(model, {})}}
    required = [n for n, f in fields.items() if f.is_required() and model not in PARTIAL]
    if required:
        schema["required"] = required
    return schema


def _provider_block(block: str) -> Schema:
    """A provider block: ``direct`` with the members that provider has (and ``relayed``)."""
    modes: Schema = {"direct": model_schema(unity.DirectConfig, unity.ALLOWED_DIRECT[block])}
    if block in unity.RELAYED_BLOCKS:
        modes["relayed"] = {"type": "object", "properties": {}}
    return {"type": "object", "properties": modes}


PROVIDER_CONFIG = model_schema(unity.ProviderServiceConfig)
PROVIDER_CONFIG["properties"].update(
    {block: _provider_block(block) for block in unity.PROVIDER_BLOCKS.values()})
MODEL_SERVICE_CONFIG = model_schema(unity.ModelServiceConfig)
MCP_SERVICE_CONFIG = model_schema(unity.McpServiceConfig)


def securable(config: Schema) -> Schema:
    """The envelope every service shares; only ``comment`` and ``config`` are writable."""
    return {"type": "object", "properties": {"name": {"type": "string"},
                                             "comment": {"type": "string"}, "config": config}}


GRANTS_UPDATE: Schema = {"type": "object", "properties": {"changes": {
    "type": "array", "items": {"type": "object", "required": ["principal"], "properties": {
        "principal": {"type": "string"},
        "add": {"type": "array", "items": {"type": "string"}},
        "remove": {"type": "array", "items": {"type": "string"}}}}}}}
