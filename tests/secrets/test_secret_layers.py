"""The pieces of the secrets design, one by one: digest, markers, masking, late resolution.

The end-to-end scans (test_secret_scan.py, test_secret_rotation.py) prove the whole; these
pin each rule where it lives, including the ``plaintext_secrets: allow`` literal, which the
env-only scan project cannot contain.
"""

from __future__ import annotations

import io
import json
import logging
import secrets
import sys
from pathlib import Path

import httpx
import pytest
from secrets_harness import leaks, run_cli

from reconciler import errors
from reconciler.api.secrets import check_apply_env, plaintext_resolver
from reconciler.diff import secret_digest
from reconciler.model.steps import CreateStep
from reconciler.planning.plan import EndpointAction, Plan
from reconciler.planning.serialize import masked_secret_paths, plan_from_json, plan_to_json
from reconciler.redaction import (
    MASK,
    RedactingFilter,
    RedactingStream,
    redact_text,
    redacted_stdio,
    register_plaintext_values,
    register_secret,
)
from reconciler.registry.auth import SdkAuth

FIELD = "config.served_entities[gpt].external_model.openai_config.openai_api_key_plaintext"


def _key() -> str:
    return "sk-proj-" + secrets.token_urlsafe(30)


# -- digest ----------------------------------------------------------------------------------


def test_digest_is_salted_stable_and_short() -> None:
    values = {FIELD: "sk-one"}
    tag = secret_digest.compute_tag_value(values, "00aa11bb22cc")
    assert tag == secret_digest.compute_tag_value(values, "00aa11bb22cc")
    assert tag.startswith("v1:00aa11bb22cc:") and len(tag) == len("v1:00aa11bb22cc:") + 16
    assert tag != secret_digest.compute_tag_value(values, "ffaa11bb22cc")  # salt matters
    assert "sk-one" not in tag
    assert secret_digest.secrets_status(tag, values) == "current"
    assert secret_digest.secrets_status(tag, {FIELD: "sk-two"}) == "rotated"
    assert secret_digest.secrets_status(tag, {FIELD: "sk-one", "other_plaintext": "x"}) == \
        "rotated"  # a field added or moved counts
    for bad in (None, "", "v2:00aa11bb22cc:0123456789abcdef", "v1:xyz:0123", "garbage"):
        assert secret_digest.secrets_status(bad, values) == "untracked"
    with pytest.raises(ValueError):
        secret_digest.compute_tag_value(values, "not-hex")


def test_plaintext_fields_are_keyed_by_entity_name() -> None:
    body = {"name": "e", "config": {"served_entities": [
        {"name": "gpt", "external_model": {"openai_config": {
            "openai_api_key_plaintext": "${env.K}"}}},
        {"external_model": {"name": "claude.v2", "anthropic_config": {
            "anthropic_api_key_plaintext": "lit"}}},
    ]}}
    assert secret_digest.plaintext_fields(body) == {
        FIELD: "${env.K}",
        "config.served_entities[claude-v2].external_model.anthropic_config."
        "anthropic_api_key_plaintext": "lit",
    }
    # a config PUT body gets the same paths as the create body
    assert secret_digest.plaintext_fields(body["config"]) == \
        secret_digest.plaintext_fields(body)
    assert secret_digest.common_path(["a.b[x].c_plaintext", "a.b[x].d_plaintext"]) == "a.b[x]"


# -- markers, late resolution ----------------------------------------------------------------


def _plan(body: dict[str, object]) -> Plan:
    step = CreateStep(endpoint="e", body={"name": "e", **body})
    return Plan(project="p", target_name="t",
                actions=[EndpointAction(name="e", action="create", steps=[step])])


def test_apply_resolves_the_marker_from_the_values_it_sends() -> None:
    key = _key()
    raw = {FIELD: "${env.OPENAI_KEY}"}
    body = {"config": {"served_entities": [{"name": "gpt", "external_model": {
        "openai_config": {"openai_api_key_plaintext": "${env.OPENAI_KEY}"}}}]},
        "tags": [{"key": secret_digest.SECRETS_TAG, "value": secret_digest.digest_marker(raw)}]}
    sent = plaintext_resolver({"OPENAI_KEY": key}, salt=lambda: "0123456789ab")(body)
    entity = sent["config"]["served_entities"][0]
    assert entity["external_model"]["openai_config"]["openai_api_key_plaintext"] == key
    tag = sent["tags"][0]["value"]
    assert tag == secret_digest.compute_tag_value({FIELD: key}, "0123456789ab")
    assert body["tags"][0]["value"] == secret_digest.digest_marker(raw)  # plan untouched


def test_a_missing_variable_stops_apply_naming_variable_and_field() -> None:
    body = {"config": {"openai_api_key_plaintext": "${env.NOT_SET_ANYWHERE}"}}
    with pytest.raises(errors.ManifestError) as caught:
        check_apply_env(_plan(body), {})
    message = str(caught.value)
    assert "NOT_SET_ANYWHERE" in message and "openai_api_key_plaintext" in message
    assert "e:" in message  # the endpoint


def test_saved_plans_keep_references_and_mask_literals_even_in_markers() -> None:
    literal = _key()
    body = {"config": {"openai_api_key_plaintext": literal},
            "tags": [{"key": secret_digest.SECRETS_TAG,
                      "value": secret_digest.digest_marker({FIELD: literal})}]}
    text = plan_to_json(_plan(body))
    assert literal not in text and MASK in text
    assert masked_secret_paths(plan_from_json(text)) == [
        "e: step 1 (create): config.openai_api_key_plaintext"]
    referenced = plan_to_json(_plan({"tags": [{"key": secret_digest.SECRETS_TAG,
                                               "value": secret_digest.digest_marker(
                                                   {FIELD: "${env.K}"})}]}))
    assert "${env.K}" in referenced


# -- masking at the boundary -----------------------------------------------------------------


def test_loaded_plaintext_is_registered_literal_or_from_env() -> None:
    literal, from_env = _key(), _key()
    register_plaintext_values({"a": {"x_plaintext": literal, "y_plaintext": "${env.KEY}",
                                     "name": "not-a-secret-value"}}, {"KEY": from_env})
    stream = io.StringIO()
    RedactingStream(stream).write(f"{literal} {from_env} not-a-secret-value")
    assert stream.getvalue() == f"{MASK} {MASK} not-a-secret-value"


def test_cli_streams_and_logs_are_masked() -> None:
    key = _key()
    register_secret(key)
    captured = io.StringIO()
    original = sys.stdout
    sys.stdout = captured
    try:
        with redacted_stdio():
            print(f"value {key}")
            assert sys.stdout.isatty() is False
    finally:
        sys.stdout = original
    assert captured.getvalue() == f"value {MASK}\n"
    log_stream = io.StringIO()
    handler = logging.StreamHandler(log_stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("httpx")
    logger.addHandler(handler)
    try:
        logger.warning("Authorization: Bearer %s", key)
    finally:
        logger.removeHandler(handler)
    assert key not in log_stream.getvalue() and MASK in log_stream.getvalue()


# -- plaintext_secrets: allow, through the CLI -----------------------------------------------

ALLOW_PROJECT = """\
project: allow-literal
manifests: [endpoints/]
targets:
  local: {local: .reconciler/local.db}
policy:
  plaintext_secrets: allow
"""
LITERAL_ENDPOINT = """\
name: literal-key
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


@pytest.mark.e2e
def test_a_literal_allowed_by_policy_is_masked_everywhere(tmp_path: Path) -> None:
    key = _key()
    root = tmp_path / "project"
    (root / "endpoints").mkdir(parents=True)
    (root / "reconciler.yaml").write_text(ALLOW_PROJECT)
    (root / "endpoints" / "chat.yaml").write_text(LITERAL_ENDPOINT.format(key=key))
    outputs: list[str] = []
    for args in (("validate", "--format", "json"), ("plan", "--format", "json"),
                 ("plan", "--format", "markdown"), ("plan", "--out", str(tmp_path / "p.json")),
                 ("apply", "--auto-approve", "--debug"), ("plan", "--debug"),
                 ("export", "--all")):
        result = run_cli(root, {}, *args)
        assert result.returncode == 0, (args, result.stderr)
        outputs += [result.stdout, result.stderr]
    refused = run_cli(root, {}, "apply", str(tmp_path / "p.json"), "--auto-approve")
    assert refused.returncode == 1 and "masked plaintext secrets" in refused.stderr
    outputs += [refused.stdout, refused.stderr]
    assert json.loads((tmp_path / "p.json").read_text())["actions"][0]["action"] == "create"
    files = [p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and "endpoints" not in
             p.parts]
    assert [leaks(text, [key]) for text in [*outputs, *files] if leaks(text, [key])] == []


def test_tokens_from_databricks_unified_auth_are_masked_too() -> None:
    token = "eyJ" + secrets.token_urlsafe(40)

    class FakeConfig:
        def authenticate(self) -> dict[str, str]:
            return {"Authorization": f"Bearer {token}"}

    flow = SdkAuth(FakeConfig()).auth_flow(httpx.Request("GET", "https://example.invalid/"))
    request = next(flow)
    assert request.headers["Authorization"] == f"Bearer {token}"
    assert redact_text(f"header was Bearer {token}") == f"header was Bearer {MASK}"
