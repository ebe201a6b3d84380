"""The request bodies of databricks-sdk's ServingEndpointsAPI, walked from its own types.

The SDK is generated from Databricks' API description, so its method signatures and request
dataclasses are the most current machine-readable account of what the service accepts. This
module turns them into leaf fields (``config.served_entities[].workload_size``) with their
type, enum values and whether they are required, without a hand-kept list: a field a future
SDK adds appears here by itself.
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
import types
import typing
from dataclasses import dataclass
from typing import Any

from databricks.sdk.service import serving

# The management methods whose bodies the project writes (create, config update, AI Gateway,
# tags, notifications, telemetry, provisioned throughput). Path parameters are not fields.
METHODS: dict[str, str] = {
    "create": "POST /api/2.0/serving-endpoints",
    "update_config": "PUT /api/2.0/serving-endpoints/{name}/config",
    "put_ai_gateway": "PUT /api/2.0/serving-endpoints/{name}/ai-gateway",
    "patch": "PATCH /api/2.0/serving-endpoints/{name}/tags",
    "update_notifications": "PATCH /api/2.0/serving-endpoints/{name}/notifications",
    "patch_telemetry_config": "PATCH /api/2.0/serving-endpoints/{name}/telemetry-config",
    "create_provisioned_throughput_endpoint": "POST /api/2.0/serving-endpoints/pt",
    "update_provisioned_throughput_endpoint_config":
        "PUT /api/2.0/serving-endpoints/pt/{name}/config",
}
PATH_PARAMETERS = {"name"}


@dataclass(frozen=True)
class Leaf:
    """One leaf field of a request body."""

    path: str  # dotted, ``[]`` after a list: ``config.served_entities[].name``
    kind: str  # str | int | float | bool | enum | map | list[str] | list[enum]
    required: bool  # required in its own type (the SDK has no default for it)
    enum_values: tuple[str, ...] = ()
    owner: str = ""  # the SDK type that declares it

    @property
    def name(self) -> str:
        return self.path.rsplit(".", 1)[-1].removesuffix("[]")


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """(inner type, is a list) of ``Optional[List[X]]`` and friends."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _unwrap(args[0])
    if origin in (list, typing.List):  # noqa: UP006
        (item,) = typing.get_args(annotation)
        inner, _ = _unwrap(item)
        return inner, True
    return annotation, False


def _kind(tp: Any) -> tuple[str, tuple[str, ...]]:
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return "enum", tuple(str(m.value) for m in tp)
    if typing.get_origin(tp) in (dict, typing.Dict):  # noqa: UP006
        return "map", ()
    return getattr(tp, "__name__", str(tp)), ()


def _walk(tp: Any, prefix: str, owner: str, out: list[Leaf], objects: list[str]) -> None:
    hints = typing.get_type_hints(tp)
    for field in dataclasses.fields(tp):
        inner, is_list = _unwrap(hints[field.name])
        path = f"{prefix}{field.name}" + ("[]" if is_list else "")
        required = field.default is dataclasses.MISSING and (
            field.default_factory is dataclasses.MISSING
        )
        if dataclasses.is_dataclass(inner):
            objects.append(path)
            _walk(inner, path + ".", inner.__name__, out, objects)
            continue
        kind, values = _kind(inner)
        out.append(Leaf(path, f"list[{kind}]" if is_list else kind, required, values,
                        tp.__name__))


def method_leaves(method: str) -> tuple[list[Leaf], list[str]]:
    """(leaf fields, object/list paths) of one ``ServingEndpointsAPI`` method's body."""
    function = getattr(serving.ServingEndpointsAPI, method)
    hints = typing.get_type_hints(function)
    signature = inspect.signature(function)
    leaves: list[Leaf] = []
    objects: list[str] = []
    for name, parameter in signature.parameters.items():
        if name == "self" or (name in PATH_PARAMETERS and method != "create"
                              and method != "create_provisioned_throughput_endpoint"):
            continue
        inner, is_list = _unwrap(hints[name])
        path = name + ("[]" if is_list else "")
        required = parameter.default is inspect.Parameter.empty
        if dataclasses.is_dataclass(inner):
            objects.append(path)
            _walk(inner, path + ".", inner.__name__, leaves, objects)
        else:
            kind, values = _kind(inner)
            leaves.append(Leaf(path, f"list[{kind}]" if is_list else kind, required, values,
                               method))
    return leaves, objects


def required_in_types() -> dict[str, set[str]]:
    """SDK type name -> its required fields, over every body of ``METHODS``."""
    out: dict[str, set[str]] = {}
    seen: set[Any] = set()

    def visit(tp: Any) -> None:
        if tp in seen:
            return
        seen.add(tp)
        hints = typing.get_type_hints(tp)
        for field in dataclasses.fields(tp):
            if field.default is dataclasses.MISSING and (
                field.default_factory is dataclasses.MISSING
            ):
                out.setdefault(tp.__name__, set()).add(field.name)
            inner, _ = _unwrap(hints[field.name])
            if dataclasses.is_dataclass(inner):
                visit(inner)

    for method in METHODS:
        function = getattr(serving.ServingEndpointsAPI, method)
        for name, annotation in typing.get_type_hints(function).items():
            inner, _ = _unwrap(annotation)
            if name != "return" and dataclasses.is_dataclass(inner):
                visit(inner)
    return out


def type_leaves(tp: Any) -> list[Leaf]:
    """Leaf fields of one SDK dataclass (a response type such as ``ServingEndpointDetailed``),
    in the syntax of ``method_leaves``."""
    leaves: list[Leaf] = []
    _walk(tp, "", tp.__name__, leaves, [])
    return leaves
