"""A profile's token goes only to the profile's own host (issue 14, item 3), as the Databricks
CLI refuses "config host mismatch"."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler import errors
from reconciler.model.project import Target
from reconciler.registry.auth import resolve_credentials

CFG = """\
[DEV]
host = https://dbc-123.cloud.databricks.com/
token = dapi-dev-1111111

[NOHOST]
token = dapi-nohost-222222
"""


@pytest.fixture
def cfg_env(tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "databrickscfg"
    path.write_text(CFG)
    return {"DATABRICKS_CONFIG_FILE": str(path)}


def test_a_profile_of_another_host_is_refused(cfg_env: dict[str, str]) -> None:
    target = Target(host="https://attacker.example.com", profile="DEV")
    with pytest.raises(errors.ProjectError) as caught:
        resolve_credentials("dev", target, cfg_env)
    message = str(caught.value)
    assert "host mismatch" in message
    assert "https://attacker.example.com" in message
    assert "https://dbc-123.cloud.databricks.com" in message
    assert "'DEV'" in message and "dapi-dev" not in message


def test_the_same_host_written_differently_is_accepted(cfg_env: dict[str, str]) -> None:
    for written in ("dbc-123.cloud.databricks.com", "https://DBC-123.cloud.databricks.com/",
                    "https://dbc-123.cloud.databricks.com:443"):
        creds = resolve_credentials("dev", Target(host=written, profile="DEV"), cfg_env)
        assert creds.host.lower() == "https://dbc-123.cloud.databricks.com"


def test_sdk_auth_through_a_profile_of_another_host_is_refused(cfg_env: dict[str, str]) -> None:
    target = Target(host="https://attacker.example.com", profile="DEV", auth="sdk")
    with pytest.raises(errors.ProjectError, match="host mismatch"):
        resolve_credentials("dev", target, cfg_env)


def test_a_profile_without_a_host_is_refused_with_a_host_given(cfg_env: dict[str, str]) -> None:
    # The token's host is unknown: sending it anywhere is a guess.
    target = Target(host="https://dbc-123.cloud.databricks.com", profile="NOHOST")
    with pytest.raises(errors.ProjectError, match="has no host"):
        resolve_credentials("dev", target, cfg_env)
