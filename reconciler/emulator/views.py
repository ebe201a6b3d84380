"""What the service shows: the detailed endpoint (GET), the list summary, permissions.

Views are computed from a settled stored document and never include write-only data
(plaintext secrets are not even stored; ``budget_policy_id``, legacy rate limits,
``burst_scaling_enabled`` are stored or dropped but never echoed). Empty members are
omitted, as the service does, except ``description`` which is always present.
"""

from __future__ import annotations

import copy
from typing import Any

from reconciler.emulator import endpoints

Doc = dict[str, Any]

PERMISSION_LEVELS = (
    ("CAN_MANAGE", "Can manage the endpoint: change its config, permissions and delete it."),
    ("CAN_QUERY", "Can query the endpoint."),
    ("CAN_VIEW", "Can view the endpoint and its details."),
)


def state(doc: Doc) -> Doc:
    pending = doc.get("pending")
    ready = "READY" if doc.get("config") else "NOT_READY"
    if pending:
        update = "IN_PROGRESS"
    elif doc.get("update_failed"):
        update = "UPDATE_FAILED"
    else:
        update = "NOT_UPDATING"
    return {"ready": ready, "config_update": update}


def _entities(config: Doc, creator: str, deployment: str) -> Doc:
    out = copy.deepcopy(config)
    for key in ("served_entities", "served_models"):
        for entity in out.get(key) or []:
            entity["creator"] = creator
            entity["state"] = {"deployment": deployment, "deployment_state_message": ""}
    return out


def _common(doc: Doc) -> Doc:
    """The members that get and list answers share."""
    return {
        "name": doc["name"],
        "creator": doc["creator"],
        "creation_timestamp": doc["creation_timestamp"],
        "last_updated_timestamp": doc["last_updated_timestamp"],
        "state": state(doc),
    }


def detailed(doc: Doc) -> Doc:
    """``ServingEndpointDetailed`` for a settled document."""
    view = _common(doc)
    if doc.get("config"):
        view["config"] = _entities(doc["config"], doc["creator"], "DEPLOYMENT_READY")
    pending = doc.get("pending")
    if pending:
        view["pending_config"] = {
            **_entities(pending["config"], doc["creator"], "DEPLOYMENT_CREATING"),
            "start_time": pending["start_time"],
        }
    if doc.get("tags"):
        view["tags"] = copy.deepcopy(doc["tags"])
    view["id"] = doc["id"]
    view["permission_level"] = "CAN_MANAGE"
    view["route_optimized"] = doc["route_optimized"]
    view["description"] = doc.get("description", "")
    task = endpoints.config_task(doc.get("config") or (pending or {}).get("config"))
    if task:
        view["task"] = task
    if doc.get("ai_gateway"):
        view["ai_gateway"] = copy.deepcopy(doc["ai_gateway"])
    if doc.get("email_notifications"):
        view["email_notifications"] = copy.deepcopy(doc["email_notifications"])
    if doc["route_optimized"]:
        url = f"https://{doc['id']}.serving.emulator.local/serving-endpoints/{doc['name']}"
        view["endpoint_url"] = url + "/invocations"
        view["data_plane_info"] = {"query_info": {"endpoint_url": view["endpoint_url"]}}
    return view


def summary(doc: Doc) -> Doc:
    """``ServingEndpoint`` as list returns it: a config summary, no traffic or sizes."""
    view = _common(doc)
    config = doc.get("config")
    if config:
        short: Doc = {}
        if config.get("served_entities"):
            short["served_entities"] = [
                {k: copy.deepcopy(e[k]) for k in
                 ("name", "entity_name", "entity_version", "external_model", "foundation_model")
                 if k in e}
                for e in config["served_entities"]
            ]
        if config.get("served_models"):
            short["served_models"] = [
                {k: e[k] for k in ("name", "model_name", "model_version") if k in e}
                for e in config["served_models"]
            ]
        view["config"] = short
    if doc.get("tags"):
        view["tags"] = copy.deepcopy(doc["tags"])
    view["id"] = doc["id"]
    view["description"] = doc.get("description", "")
    task = endpoints.config_task(config or (doc.get("pending") or {}).get("config"))
    if task:
        view["task"] = task
    if doc.get("ai_gateway"):
        view["ai_gateway"] = copy.deepcopy(doc["ai_gateway"])
    return view


def default_acl(creator: str) -> list[Doc]:
    return [{"user_name": creator, "permission_level": "CAN_MANAGE"}]


def permissions(endpoint_id: str, acl: list[Doc]) -> Doc:
    """``ServingEndpointPermissions``: direct grants plus the inherited admins grant."""
    entries: list[Doc] = []
    for grant in acl:
        principal = {k: grant[k] for k in ("user_name", "group_name", "service_principal_name")
                     if grant.get(k)}
        entries.append({
            **principal,
            "display_name": next(iter(principal.values())),
            "all_permissions": [{"permission_level": grant["permission_level"],
                                 "inherited": False}],
        })
    entries.append({
        "group_name": "admins",
        "all_permissions": [{"permission_level": "CAN_MANAGE", "inherited": True,
                             "inherited_from_object": ["/serving-endpoints/"]}],
    })
    return {
        "object_id": f"/serving-endpoints/{endpoint_id}",
        "object_type": "serving-endpoint",
        "access_control_list": entries,
    }


def merge_acl(acl: list[Doc], changes: list[Doc]) -> list[Doc]:
    """PATCH semantics: a principal's grant is replaced, others are kept."""

    def principal(grant: Doc) -> tuple[str, str]:
        for key in ("user_name", "group_name", "service_principal_name"):
            if grant.get(key):
                return key, str(grant[key])
        return "", ""

    merged = {principal(g): g for g in acl}
    for grant in changes:
        merged[principal(grant)] = grant
    return list(merged.values())
