"""Pure: who moved a Unity AI Gateway service (``service_plan.attribute``) and what export
writes for a live one (``service_export.service_manifest``)."""

from __future__ import annotations

from typing import Any

from reconciler.planning.service_export import service_manifest
from reconciler.planning.service_plan import (
    SENSITIVE,
    ServiceAction,
    ServiceChange,
    attribute,
    marker,
)

CI = "ci@corp.example"


def action(*changes: ServiceChange) -> ServiceAction:
    return ServiceAction(kind="ModelService", name="main.genai.chat", action="update",
                         changes=list(changes))


def live(writer: str, project: str | None = "p") -> dict[str, Any]:
    return {"comment": marker(project, None) if project else "hand made",
            "updated_by": writer}


def causes(planned: ServiceAction) -> list[str | None]:
    return [c.cause for c in planned.changes]


def test_the_last_writer_says_who_moved() -> None:
    limits = ServiceChange(path="config.rate_limits", before=[1], after=[2])
    assert causes(attribute(action(limits), live("alice@corp.example"), CI)) == ["drift"]
    assert causes(attribute(action(limits), live(CI), CI)) == ["repository"]
    assert causes(attribute(action(limits), live(CI), None)) == ["unknown"]
    assert causes(attribute(action(limits), live("alice@corp.example", None), CI)) == [
        "unknown"]  # not this project's yet: cannot be attributed


def test_a_rotated_key_is_the_repository_and_grants_are_always_reported() -> None:
    key = ServiceChange(path="config.provider", before=SENSITIVE, after=SENSITIVE)
    grant = ServiceChange(path="grants[devs]", before=[], after=["EXECUTE"])
    assert causes(attribute(action(key, grant), live(CI), CI)) == ["repository", "drift"]


def test_export_drops_the_marker_read_only_members_and_writes_env_for_plaintext() -> None:
    body = {
        "name": "model-provider-services/main.genai.openai_prod", "etag": "E",
        "comment": "OpenAI\n\n" + marker("p", "ab.cd"), "updated_by": CI,
        "config": {"provider_type": "EXTERNAL_MODEL_PROVIDER_TYPE_OPENAI",
                   "openai": {"direct": {"api_key": {}}},
                   "inference_table": {"parent": "schemas/main.logs", "table": "tables/x",
                                       "is_deleted": False}}}
    manifest, refs = service_manifest("model-provider-services", body, {"devs": ["EXECUTE"]})
    assert manifest == {
        "kind": "ModelProviderService", "name": "main.genai.openai_prod", "comment": "OpenAI",
        "config": {"provider_type": "EXTERNAL_MODEL_PROVIDER_TYPE_OPENAI",
                   "openai": {"direct": {"api_key": {
                       "plaintext": "${env.OPENAI_PROD_API_KEY}"}}},
                   "inference_table": {"parent": "schemas/main.logs"}},
        "grants": {"devs": ["EXECUTE"]}}
    assert [(r.path, r.variable) for r in refs] == [
        ("config.openai.direct.api_key.plaintext", "OPENAI_PROD_API_KEY")]
