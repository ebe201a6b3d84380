"""Secrets are scoped to a run (redaction.secret_run), not to the process (issue 11 item 8).

A run is one CLI invocation, or one library call on a loaded project (``Project.secrets``).
What a run loads is masked in all of that run's output, errors and ``--debug`` tracebacks
included; another run in the same process neither masks it nor keeps it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.cli import run_cli

from reconciler import api, errors
from reconciler.api import workflow
from reconciler.redaction import MASK, SECRETS, current_run, redact_text, secret_run

KEY_A = "sk-run-a-5b1e0c9d7f3a2e41"
KEY_B = "sk-run-b-0f8e7d6c5b4a3921"

PROJECT = """\
project: {name}
manifests: [endpoints/]
default_target: local
targets:
  local:
    local: .reconciler/local.db
policy:
  plaintext_secrets: allow
"""

ENDPOINT = """\
name: {name}-chat
tags: {{note: "{note}"}}
config:
  served_entities:
    - name: gpt
      external_model:
        name: gpt-4o
        provider: openai
        task: llm/v1/chat
        openai_config:
          openai_api_key_plaintext: "{key}"
"""


def _project(root: Path, name: str, key: str, note: str = "none") -> Path:
    (root / "endpoints").mkdir(parents=True)
    (root / "reconciler.yaml").write_text(PROJECT.format(name=name), encoding="utf-8")
    (root / "endpoints" / "chat.yaml").write_text(
        ENDPOINT.format(name=name, key=key, note=note), encoding="utf-8")
    return root


@pytest.fixture(autouse=True)
def _nothing_outside_runs() -> None:
    SECRETS.clear()


def test_two_loaded_projects_do_not_share_their_secrets(tmp_path: Path) -> None:
    a = api.load_project(_project(tmp_path / "a", "a", KEY_A), env={})
    b = api.load_project(_project(tmp_path / "b", "b", KEY_B), env={})
    assert current_run() is None
    assert redact_text(KEY_A) == KEY_A  # loading filled no process-wide registry
    with secret_run(a.secrets):
        assert redact_text(f"{KEY_A} {KEY_B}") == f"{MASK} {KEY_B}"
    with secret_run(b.secrets):
        assert redact_text(f"{KEY_A} {KEY_B}") == f"{KEY_A} {MASK}"


def test_an_error_leaving_a_library_call_is_masked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = api.load_project(_project(tmp_path, "a", KEY_A), env={})

    async def leak(*_args: object, **_kwargs: object) -> None:
        raise errors.RegistryError(f"the server echoed {KEY_A}")

    monkeypatch.setattr(workflow, "plan_with", leak)
    with pytest.raises(errors.RegistryError) as raised:
        api.plan(project)
    assert KEY_A not in str(raised.value) and MASK in str(raised.value)


def test_two_cli_runs_in_one_process_do_not_share_secrets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = _project(tmp_path / "a", "a", KEY_A)
    # In project b the same text is an ordinary tag value, not a secret: shown as written.
    b = _project(tmp_path / "b", "b", KEY_B, note=KEY_A)
    code, out, err = run_cli(capsys, "validate", "-C", str(a), "--format", "json")
    assert code == 0, err
    code, out, err = run_cli(capsys, "plan", "-C", str(b), "--format", "json")
    assert code == 0, err
    assert KEY_B not in out and KEY_A in out
    creates = [a for a in json.loads(out)["actions"] if a["name"] == "b-chat"]
    assert creates, out


@pytest.mark.parametrize("debug", [[], ["--debug"]], ids=["plain", "debug"])
@pytest.mark.parametrize("error", [errors.RegistryError, RuntimeError], ids=["ours", "bug"])
def test_a_secret_loaded_in_a_cli_run_is_masked_in_its_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    debug: list[str], error: type[Exception],
) -> None:
    root = _project(tmp_path, "a", KEY_A)

    async def leak(*_args: object, **_kwargs: object) -> None:
        raise error(f"the server echoed {KEY_A}")

    monkeypatch.setattr(workflow, "plan_with", leak)
    code, out, err = run_cli(capsys, "plan", "-C", str(root), *debug)
    assert code == 1
    assert KEY_A not in out + err
    assert f"the server echoed {MASK}" in err
    if debug:
        assert "Traceback" in err
    assert current_run() is None and SECRETS.values() == ()
