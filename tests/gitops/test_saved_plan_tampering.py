"""A saved plan is applied only as the planner wrote it: an edited step is refused, unsent.

The attack (code review 1.4.5): the reviewed plan says "update chat (tags)", but the file's
step was edited into a DELETE of another endpoint, or into a request to another host (which
would carry the workspace token there). Steps name an operation and their own endpoint; only
the registry makes requests from them, so such a file is refused before any request, with
the step named, and the live endpoints are untouched.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from drift.harness import live, tags_of, write_project
from support.cli import run_cli

from reconciler import errors
from reconciler.registry import NO_RETRIES, RegistryClient


@pytest.fixture
def planned(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, Path]:
    """Both endpoints applied, then a tag change of chat planned into plan.json."""
    root = write_project(tmp_path / "project")
    code, _out, err = run_cli(capsys, "apply", "-C", str(root), "--auto-approve")
    assert code == 0, err
    chat = root / "endpoints" / "chat.yaml"
    chat.write_text(chat.read_text().replace("tier: gold", "tier: platinum"))
    plan_file = tmp_path / "plan.json"
    code, _out, err = run_cli(capsys, "plan", "-C", str(root), "--out", str(plan_file))
    assert code == 0, err
    return root, plan_file


def _tamper(plan_file: Path, edit: Any) -> None:
    data = json.loads(plan_file.read_text())
    [chat] = [a for a in data["actions"] if a["name"] == "chat"]
    assert [s["op"] for s in chat["steps"]] == ["patch_tags"]
    edit(chat)
    plan_file.write_text(json.dumps(data))


def _refused(capsys: pytest.CaptureFixture[str], root: Path, plan_file: Path) -> str:
    code, out, err = run_cli(capsys, "apply", "-C", str(root), str(plan_file),
                             "--auto-approve")
    assert code == 1, out + err
    assert "Traceback" not in err
    # Nothing was sent: chat keeps its old tag, embed still exists.
    assert tags_of(live(root, "chat"))["tier"] == "gold"
    assert live(root, "embed")["name"] == "embed"
    return err


def test_a_delete_of_another_endpoint_inside_an_update_is_refused_naming_the_step(
    capsys: pytest.CaptureFixture[str], planned: tuple[Path, Path]
) -> None:
    root, plan_file = planned

    def edit(chat: dict[str, Any]) -> None:
        chat["steps"] = [{"op": "delete", "endpoint": "embed", "facet": "endpoint"}]

    _tamper(plan_file, edit)
    err = _refused(capsys, root, plan_file)
    assert "refusing the plan file: action 1 ('chat') step 1 (delete): names endpoint " \
        "'embed', not the action's 'chat'" in err
    assert "nothing was sent" in err


@pytest.mark.parametrize("field", ["path", "url", "method"])
def test_a_path_or_url_inside_a_step_is_refused(
    capsys: pytest.CaptureFixture[str], planned: tuple[Path, Path], field: str
) -> None:
    root, plan_file = planned
    _tamper(plan_file, lambda chat: chat["steps"][0].update(
        {field: "https://evil.example/api/2.0/serving-endpoints/embed"}))
    err = _refused(capsys, root, plan_file)
    assert f"action 1 ('chat') step 1: field {field!r} is not allowed" in err


def test_an_unknown_operation_is_refused(
    capsys: pytest.CaptureFixture[str], planned: tuple[Path, Path]
) -> None:
    root, plan_file = planned
    _tamper(plan_file, lambda chat: chat["steps"][0].update({"op": "post_anything"}))
    err = _refused(capsys, root, plan_file)
    assert "action 1 ('chat') step 1: unknown operation 'post_anything'" in err


def test_a_create_step_for_another_name_is_refused(
    capsys: pytest.CaptureFixture[str], planned: tuple[Path, Path]
) -> None:
    root, plan_file = planned

    def edit(chat: dict[str, Any]) -> None:
        chat["action"] = "create"
        chat["steps"] = [{"op": "create", "endpoint": "chat", "facet": "endpoint",
                          "body": {"name": "elsewhere"}}]

    _tamper(plan_file, edit)
    err = _refused(capsys, root, plan_file)
    assert "step 1 (create): the create body names 'elsewhere'" in err


def test_a_plan_of_the_old_schema_says_plan_again(
    capsys: pytest.CaptureFixture[str], planned: tuple[Path, Path]
) -> None:
    root, plan_file = planned
    data = json.loads(plan_file.read_text())
    data["schema_version"] = 1
    for action in data["actions"]:
        action["requests"] = [{"facet": "endpoint", "method": "DELETE",
                               "path": "/api/2.0/serving-endpoints/embed"}]
        del action["steps"]
    plan_file.write_text(json.dumps(data))
    err = _refused(capsys, root, plan_file)
    assert "schema_version 1, written by an older reconciler" in err
    assert "plan again (`reconciler plan --out FILE`)" in err


def test_the_untampered_plan_shows_exactly_what_it_sends_then_applies(
    capsys: pytest.CaptureFixture[str], planned: tuple[Path, Path]
) -> None:
    root, plan_file = planned
    code, out, err = run_cli(capsys, "apply", "-C", str(root), str(plan_file),
                             "--auto-approve")
    assert code == 0, err
    assert "Requests apply will send (1):" in out
    [line] = [ln for ln in out.splitlines() if "/api/2.0/" in ln]
    assert line.split()[:3] == ["chat", "PATCH", "/api/2.0/serving-endpoints/chat/tags"]
    assert '"key":"tier","value":"platinum"' in line
    assert tags_of(live(root, "chat"))["tier"] == "platinum"


def test_plan_show_requests_lists_the_routed_requests(
    capsys: pytest.CaptureFixture[str], planned: tuple[Path, Path]
) -> None:
    root, _plan_file = planned
    code, out, err = run_cli(capsys, "plan", "-C", str(root), "--show-requests")
    assert code == 0, err
    assert "Requests apply will send (1):" in out
    assert "chat  PATCH /api/2.0/serving-endpoints/chat/tags" in out


def test_the_client_never_sends_outside_the_target_host() -> None:
    sent: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda r: sent.append(r) or httpx.Response(200, json={}))
    client = RegistryClient(httpx.AsyncClient(transport=transport,
                                              base_url="https://dbc-1.example"),
                            retry=NO_RETRIES)
    for path in ("https://evil.example/api/2.0/serving-endpoints/x",
                 "//evil.example/api/2.0/serving-endpoints/x", "/other/api"):
        with pytest.raises(errors.RegistryError, match="refusing to send"):
            asyncio.run(client.call("DELETE", path))
    assert sent == []
