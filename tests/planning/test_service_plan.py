"""The pure planning of Unity AI Gateway services: smallest masks, server-filled members that
are not changes, other projects' services, immutable fields and prune order."""

from __future__ import annotations

import copy
from typing import Any

from reconciler.model.unity import ModelProviderService, ModelService
from reconciler.planning.service_plan import (
    DesiredService,
    LiveService,
    marker,
    plan_service,
    plan_services,
)

CHAT = "openai/v1/chat/completions"
PROVIDER: dict[str, Any] = {
    "kind": "ModelProviderService", "name": "main.genai.openai",
    "config": {"provider_type": "EXTERNAL_MODEL_PROVIDER_TYPE_OPENAI",
               "openai": {"direct": {"api_key": {"secret_reference": {
                   "name": "secrets/main.genai.key"}}}},
               "targets": [{"model": "gpt-4o", "native_api_types": [CHAT]}]}}
SERVICE: dict[str, Any] = {
    "kind": "ModelService", "name": "main.genai.chat",
    "config": {"routing": {"destinations": [{
        "name": "primary", "destination_type": "DESTINATION_TYPE_EXTERNAL_FOUNDATION_MODEL",
        "external_model_config": {"model_provider_service":
                                  "model-provider-services/main.genai.openai",
                                  "target": {"model": "gpt-4o"}}}]}}}


def live_of(doc: dict[str, Any], project: str = "p", **config: Any) -> LiveService:
    body = {"name": "x/" + doc["name"], "etag": "E1", "comment": marker(project, None),
            "create_time": "2026-01-01T00:00:00Z", "config": copy.deepcopy(doc["config"])}
    body["config"].update(config)
    return LiveService(body)


def test_server_filled_members_and_newer_fields_are_not_changes() -> None:
    service = ModelService.model_validate(SERVICE)
    live = live_of(SERVICE)
    dest = live.body["config"]["routing"]["destinations"][0]
    dest["traffic_percentage"] = 100
    dest["external_model_config"]["target"]["native_api_types"] = [CHAT]  # from the provider
    dest["a_field_from_a_newer_api"] = {"x": 1}
    live.body["supported_api_types"] = [CHAT]
    action = plan_service(DesiredService(service), live, "p")
    assert action.action == "no-op", action.changes


def test_a_target_edit_masks_only_config_targets() -> None:
    desired = copy.deepcopy(PROVIDER)
    desired["config"]["targets"].append({"model": "gpt-4o-mini", "native_api_types": [CHAT]})
    action = plan_service(DesiredService(ModelProviderService.model_validate(desired)),
                          live_of(PROVIDER), "p")
    assert (action.action, action.mask, action.etag) == ("update", ["config.targets"], "E1")
    assert action.body == {"config": {"targets": desired["config"]["targets"]}}


def test_removing_a_known_member_is_a_change() -> None:
    live = live_of(SERVICE, rate_limits=[{"key": "RATE_LIMIT_KEY_SERVICE",
                                          "renewal_period": "RATE_LIMIT_RENEWAL_PERIOD_HOUR",
                                          "requests": 5}])
    action = plan_service(DesiredService(ModelService.model_validate(SERVICE)), live, "p")
    assert action.mask == ["config.rate_limits"]
    assert action.body == {"config": {}}  # the masked path absent: the server clears it


def test_another_projects_service_and_immutable_fields_are_blocked() -> None:
    service = ModelService.model_validate(SERVICE)
    theirs = plan_service(DesiredService(service), live_of(SERVICE, project="other"), "p")
    assert theirs.blocked and "other" in theirs.reason
    desired = copy.deepcopy(PROVIDER)
    desired["config"]["provider_type"] = "EXTERNAL_MODEL_PROVIDER_TYPE_CUSTOM"
    moved = plan_service(DesiredService(ModelProviderService.model_validate(desired)),
                         live_of(PROVIDER), "p")
    assert moved.blocked and "immutable" in moved.reason


def test_order_and_prune() -> None:
    desired = [DesiredService(ModelService.model_validate(SERVICE)),
               DesiredService(ModelProviderService.model_validate(PROVIDER))]
    live = {("ModelService", "main.genai.old"): live_of({**SERVICE, "name": "main.genai.old"}),
            ("ModelProviderService", "main.genai.gone"): live_of(
                {**PROVIDER, "name": "main.genai.gone"}),
            ("ModelService", "main.genai.foreign"): live_of(
                {**SERVICE, "name": "main.genai.foreign"}, project="other")}
    actions = plan_services(desired, live, "p", prune=True)
    assert [(a.action, a.name) for a in actions] == [
        ("create", "main.genai.openai"), ("create", "main.genai.chat"),
        ("delete", "main.genai.old"), ("delete", "main.genai.gone")]
    assert [a.action for a in plan_services(desired, live, "p", prune=False)] == [
        "create", "create"]
