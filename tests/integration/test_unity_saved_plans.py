"""A saved plan's Unity AI Gateway steps are applied only as the planner wrote them: a step
edited into a write of another service, a wider update mask, a config member outside the
mask, an operation its action never has or a request field is refused before any request
(issue 16: services on typed steps, like the endpoint steps)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support.cli import run_cli
from support.emulator_inprocess import InProcessApi
from support.registry_harness import EXAMPLES, copy_project

ASSISTANT = "/api/2.1/unity-catalog/model-services/main.genai.assistant"
PROVIDER = "/api/2.1/unity-catalog/model-provider-services/main.genai.openai_prod"


@pytest.fixture
def planned(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, Path]:
    """The example applied, then a rate-limit change of the assistant planned into a file."""
    root = copy_project(EXAMPLES / "model-services", tmp_path / "project")
    code, _out, err = run_cli(capsys, "apply", "-C", str(root), "--auto-approve")
    assert code == 0, err
    manifest = root / "services" / "assistant.yaml"
    manifest.write_text(manifest.read_text().replace("requests: 20", "requests: 50"))
    plan_file = tmp_path / "plan.json"
    code, _out, err = run_cli(capsys, "plan", "-C", str(root), "--out", str(plan_file))
    assert code == 0, err
    return root, plan_file


def _service(data: dict[str, Any], name: str) -> dict[str, Any]:
    [found] = [s for s in data["services"] if s["name"] == name]
    return found


def _tampered(plan_file: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    data = json.loads(plan_file.read_text())
    assistant = _service(data, "main.genai.assistant")
    assert [s["op"] for s in assistant["steps"]] == ["update_service"]
    edit(data)
    out = plan_file.with_name("tampered.json")
    out.write_text(json.dumps(data))
    return out


def _live(root: Path, path: str) -> dict[str, Any]:
    with InProcessApi(db_path=root / ".reconciler" / "local.db") as api:
        answer = api.get(path)
        return dict(answer.json()) if answer.status_code == 200 else {}


def _step(data: dict[str, Any]) -> dict[str, Any]:
    return dict(_service(data, "main.genai.assistant")["steps"][0])


def _retarget(data: dict[str, Any]) -> None:
    _service(data, "main.genai.assistant")["steps"][0]["service"] = "main.genai.embeddings"


def _wider_mask(data: dict[str, Any]) -> None:
    _service(data, "main.genai.assistant")["steps"][0]["update_mask"] = ["config"]


def _config_outside_mask(data: dict[str, Any]) -> None:
    _service(data, "main.genai.assistant")["steps"][0]["config"]["routing"] = {
        "destinations": []}


def _delete_in_a_no_op(data: dict[str, Any]) -> None:
    provider = _service(data, "main.genai.openai_prod")
    provider["steps"] = [{"op": "delete_service", "service": "main.genai.openai_prod",
                          "collection": "model-provider-services", "etag": "x"}]


def _path_field(data: dict[str, Any]) -> None:
    _service(data, "main.genai.assistant")["steps"][0]["path"] = "/api/2.0/anything"


def _unknown_op(data: dict[str, Any]) -> None:
    _service(data, "main.genai.assistant")["steps"][0]["op"] = "replace_service"


@pytest.mark.parametrize(("edit", "says"), [
    (_retarget, "names model-services/main.genai.embeddings, not the action's"),
    (_wider_mask, "update_mask path 'config' is not one this reconciler writes"),
    (_config_outside_mask, "config.routing is not covered by the update_mask"),
    (_delete_in_a_no_op, "a no-op action does not delete_service"),
    (_path_field, "field 'path' is not allowed"),
    (_unknown_op, "unknown operation 'replace_service'"),
])
def test_a_tampered_service_step_is_refused_before_any_request(
        capsys: pytest.CaptureFixture[str], planned: tuple[Path, Path],
        edit: Callable[[dict[str, Any]], None], says: str) -> None:
    root, plan_file = planned
    before = (_live(root, ASSISTANT), _live(root, PROVIDER))
    tampered = _tampered(plan_file, edit)
    code, out, err = run_cli(capsys, "apply", "-C", str(root), str(tampered), "--auto-approve")
    assert code == 1, out + err
    assert says in err and "nothing was sent" in err
    assert "Traceback" not in err
    assert (_live(root, ASSISTANT), _live(root, PROVIDER)) == before  # etags too: no write


def test_the_untampered_plan_applies_as_one_patch(
        capsys: pytest.CaptureFixture[str], planned: tuple[Path, Path]) -> None:
    root, plan_file = planned
    code, out, err = run_cli(capsys, "apply", "-C", str(root), str(plan_file), "--auto-approve")
    assert code == 0, out + err
    # apply FILE shows the requests the route table makes of the steps.
    assert "PATCH /api/2.1/unity-catalog/model-services/main.genai.assistant?update_mask=" \
        "config.rate_limits&etag=" in out + err
    assert _live(root, ASSISTANT)["config"]["rate_limits"][0]["requests"] == 50
