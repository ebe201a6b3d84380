"""How a Unity AI Gateway service body is compared, pure: what a read adds that a manifest
never writes, and what the manifest leaves to the server.

A live service carries output-only members (``etag``, times, authors, ``supported_api_types``
...), plaintext secrets read back as ``{}``, members newer than this version's models and
server-filled defaults; ``strip_output`` and ``align`` take those away so that the planner
(``planning/service_plan.py``) compares only what the manifest decides. ``get_path`` and
``put_path`` read and write a dotted path such as ``config.routing.destinations``.
"""

from __future__ import annotations

from typing import Any, get_args

from reconciler.model.unity import McpService, ModelProviderService, ModelService

OUTPUT_ONLY = frozenset({"name", "etag", "create_time", "update_time", "created_by",
                         "updated_by", "effective_owner", "metastore_id",
                         "supported_api_types"})
NESTED_OUTPUT_ONLY = frozenset({"is_deleted", "table"})  # inference_table.table, dangling


def strip_output(value: Any, top: bool = True) -> Any:
    """``value`` without output-only members; plaintext secrets as reads show them (``{}``)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if (top and key in OUTPUT_ONLY) or key in NESTED_OUTPUT_ONLY or item is None:
                continue
            if key == "plaintext":
                continue
            out[key] = strip_output(item, False)
        return out
    if isinstance(value, list):
        return [strip_output(v, False) for v in value]
    return value


def get_path(doc: Any, dotted: str) -> Any:
    for key in dotted.split("."):
        doc = doc.get(key) if isinstance(doc, dict) else None
    return doc


def put_path(doc: dict[str, Any], dotted: str, value: Any) -> None:
    keys = dotted.split(".")
    for key in keys[:-1]:
        doc = doc.setdefault(key, {})
    doc[keys[-1]] = value


def _known_fields() -> frozenset[str]:
    names: set[str] = set()
    todo: list[Any] = [ModelProviderService, ModelService, McpService]
    while todo:
        model = todo.pop()
        for name, field in model.model_fields.items():
            names.add(name)
            for tp in _flatten(field.annotation):
                if isinstance(tp, type) and hasattr(tp, "model_fields") and tp not in todo:
                    todo.append(tp)
    return frozenset(names)


def _flatten(annotation: Any) -> list[Any]:
    out: list[Any] = []
    for arg in get_args(annotation) or (annotation,):
        out.extend(_flatten(arg) if get_args(arg) else [arg])
    return out


KNOWN_FIELDS = _known_fields()
# Members a server fills in when the manifest leaves them out (not changes of the user's).
DEFAULTED = frozenset({"native_api_types", "table_name_prefix", "traffic_percentage"})


def align(desired: Any, live: Any) -> Any:
    """``live`` without what the manifest leaves to the server: members this version does not
    know (newer API fields, kept on read but not compared), server-filled defaults and
    ``false`` flags the manifest does not write. A known member the manifest dropped stays,
    so removing it is a change."""
    if isinstance(desired, dict) and isinstance(live, dict):
        return {k: align(desired[k], v) if k in desired else v for k, v in live.items()
                if k in desired or (k in KNOWN_FIELDS and k not in DEFAULTED
                                    and v is not False)}
    if isinstance(desired, list) and isinstance(live, list) and len(desired) == len(live):
        return [align(d, v) for d, v in zip(desired, live, strict=True)]
    return live


def normal_destinations(value: Any) -> Any:
    # One primary destination takes all traffic whether or not it says 100.
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict) and \
            value[0].get("traffic_percentage") == 100:
        return [{k: v for k, v in value[0].items() if k != "traffic_percentage"}]
    return value
