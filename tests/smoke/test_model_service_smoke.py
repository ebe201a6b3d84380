"""``reconciler test`` queries Unity AI Gateway model services end to end: the applied
example's chat and embeddings services answer on /ai-gateway/mlflow/v1 with ``model`` set
to their full name, a service whose every destination fails is a failed smoke query with
the status, and a service not applied yet fails naming why (issue 16)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support.cli import run_cli
from support.emulator_inprocess import InProcessApi
from support.registry_harness import EXAMPLES, copy_project


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(EXAMPLES / "model-services", tmp_path / "project")


def _apply(capsys: pytest.CaptureFixture[str], root: Path) -> None:
    code, _out, err = run_cli(capsys, "apply", "-C", str(root), "--auto-approve")
    assert code == 0, err


def _results(capsys: pytest.CaptureFixture[str], root: Path, *args: str,
             ) -> tuple[int, dict[str, dict[str, Any]]]:
    code, out, _err = run_cli(capsys, "test", "-C", str(root), "--format", "json", *args)
    return code, {r["name"]: r for r in json.loads(out)["results"]}


def test_applied_model_services_answer_their_smoke_queries(
        capsys: pytest.CaptureFixture[str], project: Path) -> None:
    _apply(capsys, project)
    code, results = _results(capsys, project)
    assert code == 0, results
    assert set(results) == {"legacy-openai-chat", "main.genai.assistant",
                            "main.genai.embeddings"}
    chat, embed = results["main.genai.assistant"], results["main.genai.embeddings"]
    assert (chat["result"], chat["task"], chat["status_code"]) == ("passed", "llm/v1/chat", 200)
    assert chat["answered_by"] in {"mini", "full"}  # the destination, by traffic
    assert (embed["result"], embed["task"], embed["answered_by"]) == (
        "passed", "llm/v1/embeddings", "small")
    code, out, _ = run_cli(capsys, "test", "-C", str(project), "--select",
                           "main.genai.embeddings")
    assert code == 0 and "main.genai.embeddings" in out and "assistant" not in out


def test_a_model_service_whose_destinations_all_fail_is_a_failed_query(
        capsys: pytest.CaptureFixture[str], project: Path) -> None:
    _apply(capsys, project)
    with InProcessApi(db_path=project / ".reconciler" / "local.db") as api:
        knob = api.post("/_emulator/unity-gateway", json={"failing_destinations": [
            "main.genai.assistant/mini", "main.genai.assistant/full",
            "main.genai.assistant/hosted"]})
        assert knob.status_code == 200
    code, results = _results(capsys, project, "--select", "main.genai.assistant")
    assert code == 1
    failed = results["main.genai.assistant"]
    assert (failed["result"], failed["status_code"]) == ("failed", 503)
    assert failed["error_code"] == "TEMPORARILY_UNAVAILABLE"


def test_a_fallback_answers_when_the_primary_destinations_fail(
        capsys: pytest.CaptureFixture[str], project: Path) -> None:
    _apply(capsys, project)
    with InProcessApi(db_path=project / ".reconciler" / "local.db") as api:
        assert api.post("/_emulator/unity-gateway", json={"failing_destinations": [
            "main.genai.assistant/mini", "main.genai.assistant/full"]}).status_code == 200
    code, results = _results(capsys, project, "--select", "main.genai.assistant")
    assert code == 0
    assert results["main.genai.assistant"]["answered_by"] == "hosted"


def test_a_model_service_not_applied_fails_saying_so(
        capsys: pytest.CaptureFixture[str], project: Path) -> None:
    code, results = _results(capsys, project, "--select", "main.genai.assistant")
    assert code == 1
    assert "does not exist on the target (apply first)" in \
        results["main.genai.assistant"]["message"]
    code, _out, err = run_cli(capsys, "test", "-C", str(project), "--select", "main.genai.nope")
    assert code == 1 and "no manifest declares: main.genai.nope" in err


def test_apply_smoke_queries_the_model_services_it_created_or_changed(
        capsys: pytest.CaptureFixture[str], project: Path) -> None:
    code, out, err = run_cli(capsys, "apply", "-C", str(project), "--auto-approve", "--smoke",
                             "--format", "json")
    assert code == 0, err
    outcomes = {o["name"]: o for o in json.loads(out)["outcomes"]}
    chat = outcomes["model-services/main.genai.assistant"]
    assert chat["smoke"]["result"] == "passed" and "smoke passed" in chat["note"]
    assert outcomes["model-services/main.genai.embeddings"]["smoke"]["result"] == "passed"
    assert outcomes["model-provider-services/main.genai.openai_prod"].get("smoke") is None
    with InProcessApi(db_path=project / ".reconciler" / "local.db") as api:
        assert api.post("/_emulator/unity-gateway", json={"failing_destinations": [
            "main.genai.assistant/mini", "main.genai.assistant/full",
            "main.genai.assistant/hosted"]}).status_code == 200
    manifest = project / "services" / "assistant.yaml"
    manifest.write_text(manifest.read_text().replace("requests: 20", "requests: 30"))
    code, out, _ = run_cli(capsys, "apply", "-C", str(project), "--auto-approve", "--smoke",
                           "--format", "json")
    assert code == 1
    [failed] = [o for o in json.loads(out)["outcomes"] if o["status"] == "failed"]
    assert (failed["name"], failed["failure"]) == ("model-services/main.genai.assistant",
                                                   "smoke")
    assert "503" in failed["error"]
