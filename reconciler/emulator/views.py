"""What the service shows: the detailed endpoint (GET) and the list summary.

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
    if doc.get("budget_policy_id"):
        # GET shows the policy in force, not the write-only request field (the Databricks
        # CLI's bundle engine reads effective_budget_policy_id for that reason).
        view["effective_budget_policy_id"] = doc["budget_policy_id"]
    if doc.get("telemetry_config"):
        view["telemetry_config"] = copy.deepcopy(doc["telemetry_config"])
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
