"""A rotated ``${env.NAME}`` key plans as exactly one change; an unchanged one as none.

Against ``reconciler emulator serve`` through the CLI, as a user runs it. The emulator keeps
only a digest of plaintext values, so its database file never holds a key either.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from secrets_harness import Keys, leaks, run_cli, write_project
from support.emulator_server import EmulatorServer

from reconciler.diff.fields import SECRETS_TAG
from reconciler.diff.secret_digest import parse_tag_value

pytestmark = pytest.mark.e2e

OPENAI_FIELD = "config.served_entities[gpt].external_model.openai_config.openai_api_key_plaintext"
BEDROCK_KEYS = "config.served_entities[claude].external_model.amazon_bedrock_config.*_plaintext"


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys.fresh()


@pytest.fixture(scope="module")
def server(keys: Keys, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    db = tmp_path_factory.mktemp("rotation") / "emulator.db"
    with EmulatorServer.start(db_path=db, token=keys.databricks) as running:
        yield running


def _plan(root: Path, env: dict[str, str]) -> tuple[int, dict[str, Any]]:
    result = run_cli(root, env, "plan", "--format", "json", "--detailed-exitcode")
    assert result.returncode in (0, 2), result.stderr
    return result.returncode, json.loads(result.stdout)


def _changed(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for a in plan["actions"] if a["action"] != "no-op"]


def _apply(root: Path, env: dict[str, str]) -> None:
    result = run_cli(root, env, "apply", "--auto-approve")
    assert result.returncode == 0, result.stderr


def _tag(server: EmulatorServer, name: str) -> str | None:
    response = httpx.get(f"{server.url}/api/2.0/serving-endpoints/{name}",
                         headers={"Authorization": f"Bearer {server.token}"})
    response.raise_for_status()
    tags = {t["key"]: t.get("value") for t in response.json().get("tags", [])}
    return tags.get(SECRETS_TAG)


def test_rotation_is_one_change_and_unchanged_keys_none(
    keys: Keys, server: EmulatorServer, tmp_path: Path
) -> None:
    root = write_project(tmp_path / "project", server.url)
    env = keys.env()
    _apply(root, env)
    first_tag = _tag(server, "scan-openai")
    assert parse_tag_value(first_tag) is not None
    assert _plan(root, env)[0] == 0  # just applied: nothing to do

    rotated = {**env, "OPENAI_KEY": Keys.fresh().openai}
    code, plan = _plan(root, rotated)
    assert code == 2
    (action,) = _changed(plan)
    assert action["name"] == "scan-openai" and action["facets"] == ["config"]
    (change,) = action["changes"]
    assert change["path"] == OPENAI_FIELD and change.get("cause") in (None, "repository")
    assert (change["old"], change["new"], change["impact"]) == (
        "(sensitive)", "(sensitive)", "rolling")
    assert [s["op"] for s in action["steps"]] == ["update_config", "patch_tags"]
    tag_write = action["steps"][1]["add_tags"]
    assert tag_write == [{"key": SECRETS_TAG, "value": {
        "$secrets_digest": {OPENAI_FIELD: "${env.OPENAI_KEY}"}}}]
    text = run_cli(root, rotated, "plan").stdout
    assert f"~ {OPENAI_FIELD}: (sensitive) -> (sensitive)" in text
    assert "Plan: 0 to create, 1 to update" in text

    _apply(root, rotated)
    new_tag = _tag(server, "scan-openai")
    assert new_tag != first_tag and parse_tag_value(new_tag) is not None
    assert _plan(root, rotated)[0] == 0  # applied: empty again
    assert _plan(root, rotated)[0] == 0  # and stays empty while the key is unchanged
    assert _plan(root, env)[0] == 2  # going back to the old key is a rotation too

    # both AWS values live in one digest: changing one is one change on their block
    aws = {**rotated, "AWS_SECRET": Keys.fresh().aws_secret}
    code, plan = _plan(root, aws)
    (action,) = _changed(plan)
    assert action["name"] == "scan-bedrock"
    (change,) = action["changes"]
    assert change["path"] == BEDROCK_KEYS and "2 plaintext fields" in change["origin"]
    assert change.get("cause") in (None, "repository")  # the environment moved, not live
    assert "(sensitive) -> (sensitive)" in run_cli(root, aws, "plan").stdout
    _apply(root, aws)
    assert _plan(root, aws)[0] == 0


def test_an_endpoint_without_the_digest_tag_gets_its_key_sent_once(
    keys: Keys, server: EmulatorServer, tmp_path: Path
) -> None:
    """Created before this feature or by hand: untracked, so the key is sent again once."""
    root = write_project(tmp_path / "project", server.url)
    env = keys.env()
    _apply(root, env)
    httpx.patch(f"{server.url}/api/2.0/serving-endpoints/scan-openai/tags",
                headers={"Authorization": f"Bearer {server.token}"},
                json={"delete_tags": [SECRETS_TAG]}).raise_for_status()
    code, plan = _plan(root, env)
    assert code == 2
    (action,) = _changed(plan)
    (change,) = action["changes"]
    assert change["path"] == OPENAI_FIELD and "not tracked" in change["origin"]
    _apply(root, env)
    assert _tag(server, "scan-openai") is not None
    assert _plan(root, env)[0] == 0


def test_the_emulator_database_holds_no_key(
    keys: Keys, server: EmulatorServer, tmp_path: Path
) -> None:
    root = write_project(tmp_path / "project", server.url)
    _apply(root, keys.env())
    assert server.db_path is not None
    files = [p for p in server.db_path.parent.iterdir() if p.is_file()]
    assert any(p.name == "emulator.db" for p in files)
    content = b"".join(p.read_bytes() for p in files)
    assert leaks(content, keys.values()[:3]) == []
    assert b"v1:" in content  # the digest tag is what it keeps
