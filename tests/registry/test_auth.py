"""Which credentials a workspace target uses, and that the token never leaks."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from reconciler import errors
from reconciler.model.project import Target
from reconciler.registry.auth import (
    BearerAuth,
    SdkAuth,
    normalise_host,
    resolve_credentials,
)

CFG = """\
[DEFAULT]
host = https://default.cloud.databricks.com
token = dapi-default-000000

[DEV]
host = dev.cloud.databricks.com/
token = dapi-dev-1111111

[SDK]
host = http://127.0.0.1:9
token = dapi-sdk-2222222
# the SDK probes the host for metadata first; the probe must give up fast in a test
retry_timeout_seconds = 1

[OAUTH]
host = https://oauth.cloud.databricks.com
client_id = abc
client_secret = def
"""


def header_of(auth: httpx.Auth) -> str:
    request = httpx.Request("GET", "https://ws/api")
    flow = auth.sync_auth_flow(request)
    return next(flow).headers["Authorization"]


@pytest.fixture
def cfg_env(tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "databrickscfg"
    path.write_text(CFG)
    return {"DATABRICKS_CONFIG_FILE": str(path)}


def test_host_is_normalised() -> None:
    assert normalise_host("dbc-1.cloud.databricks.com/") == "https://dbc-1.cloud.databricks.com"
    assert normalise_host("https://x.com:443") == "https://x.com"
    assert normalise_host("http://127.0.0.1:8787") == "http://127.0.0.1:8787"


def test_token_env_wins_over_databricks_token() -> None:
    target = Target(host="https://ws", token_env="PROD_TOKEN")
    creds = resolve_credentials("prod", target, {"PROD_TOKEN": "t-prod-123456",
                                                 "DATABRICKS_TOKEN": "t-other-123456"})
    assert header_of(creds.auth) == "Bearer t-prod-123456"
    assert creds.source == "$PROD_TOKEN"


def test_missing_token_env_is_a_clear_error() -> None:
    target = Target(host="https://ws", token_env="PROD_TOKEN")
    with pytest.raises(errors.RegistryAuthError, match=r"\$PROD_TOKEN, which is not set"):
        resolve_credentials("prod", target, {})


def test_profile_token_and_host_from_config_file(cfg_env: dict[str, str]) -> None:
    creds = resolve_credentials("dev", Target(profile="DEV"), cfg_env)
    assert creds.host == "https://dev.cloud.databricks.com"
    assert header_of(creds.auth) == "Bearer dapi-dev-1111111"


def test_unknown_profile_is_named(cfg_env: dict[str, str]) -> None:
    with pytest.raises(errors.ProjectError, match="profile 'NOPE' is not in"):
        resolve_credentials("dev", Target(profile="NOPE"), cfg_env)


def test_databricks_token_is_the_fallback() -> None:
    creds = resolve_credentials("t", Target(host="ws.example.com"), {"DATABRICKS_TOKEN": "abcdefg"})
    assert creds.host == "https://ws.example.com"
    assert header_of(creds.auth) == "Bearer abcdefg"


def test_target_without_host_is_a_project_error() -> None:
    with pytest.raises(errors.ProjectError, match="neither 'host' nor 'local'"):
        resolve_credentials("t", Target(), {})


def test_sdk_unified_auth_through_a_profile(
    cfg_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in ("DATABRICKS_TOKEN", "DATABRICKS_HOST", "DATABRICKS_CLIENT_ID"):
        monkeypatch.delenv(key, raising=False)
    creds = resolve_credentials("dev", Target(profile="SDK", auth="sdk"), cfg_env)
    assert isinstance(creds.auth, SdkAuth)
    assert header_of(creds.auth) == "Bearer dapi-sdk-2222222"


def test_bearer_auth_repr_hides_the_token() -> None:
    assert "secret" not in repr(BearerAuth("secret-token"))


def test_token_is_sent_as_bearer_header() -> None:
    from reconciler.registry import open_remote

    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization", ""))
        return httpx.Response(200, json={})

    async def scenario() -> None:
        async with open_remote("https://ws", "dapi-xyz-987654") as client:
            client._http._transport = httpx.MockTransport(handler)
            await client.list_endpoints()

    asyncio.run(scenario())
    assert seen == ["Bearer dapi-xyz-987654"]
