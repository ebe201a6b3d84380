"""The pure planning of Unity AI Gateway services: smallest masks, server-filled members that
are not changes, other projects' and repositories' services, legacy markers (no project id)
and their adoption, immutable fields and prune order."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from reconciler import errors
from reconciler.model.live import Owner
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


OURS = Owner("p", "3f9c2a7e1b4d8c60")
OTHER_REPOSITORY = Owner("p", "b41d0e9a77c25f13")


def live_of(doc: dict[str, Any], project: str | Owner = "p", **config: Any) -> LiveService:
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
    with pytest.raises(errors.PlanError, match="--prune needs a project_id"):
        plan_services(desired, live, "p", prune=True)  # "p" alone: a project without an id
    live = {key: live_of({**SERVICE, "name": key[1]} if key[0] == "ModelService" else
                         {**PROVIDER, "name": key[1]},
                         OURS if key[1] != "main.genai.foreign" else "other")
            for key in live}
    live[("ModelService", "main.genai.legacy")] = live_of(
        {**SERVICE, "name": "main.genai.legacy"}, "p")  # our name, no id: never pruned
    live[("ModelService", "main.genai.theirs")] = live_of(
        {**SERVICE, "name": "main.genai.theirs"}, OTHER_REPOSITORY)
    actions = plan_services(desired, live, OURS, prune=True)
    assert [(a.action, a.name) for a in actions] == [
        ("create", "main.genai.openai"), ("create", "main.genai.chat"),
        ("delete", "main.genai.old"), ("delete", "main.genai.gone")]
    assert [a.action for a in plan_services(desired, live, OURS, prune=False)] == [
        "create", "create"]
    assert [a.action for a in plan_services(desired, live, OURS, prune=True,
                                            adopt_legacy_ownership=True)] == [
        "create", "create", "delete", "delete"]  # adopting never extends to prune


def test_the_marker_records_the_project_id_and_decides_by_it() -> None:
    service = ModelService.model_validate(SERVICE)
    created = plan_service(DesiredService(service), None, OURS)
    assert created.body is not None
    assert created.body["comment"] == \
        "[managed by serving-reconciler: project=p; id=3f9c2a7e1b4d8c60]"
    assert plan_service(DesiredService(service), live_of(SERVICE, OURS), OURS).action == "no-op"
    theirs = plan_service(DesiredService(service), live_of(SERVICE, OTHER_REPOSITORY), OURS)
    assert theirs.blocked and "id b41d0e9a77c25f13" in theirs.reason
    # A project without an id does not take over a service that carries one.
    assert plan_service(DesiredService(service), live_of(SERVICE, OURS), "p").blocked


def test_a_legacy_marker_is_blocked_unless_adopted_and_adopting_adds_the_id() -> None:
    service = ModelService.model_validate(SERVICE)
    legacy = live_of(SERVICE, "p")
    blocked = plan_service(DesiredService(service), legacy, OURS)
    assert blocked.blocked and "--adopt-legacy-ownership" in blocked.reason
    adopted = plan_service(DesiredService(service), legacy, OURS, adopt_legacy_ownership=True)
    assert (adopted.action, adopted.mask) == ("update", ["comment"])
    assert adopted.body == {"comment": marker(OURS, None), "config": {}}
