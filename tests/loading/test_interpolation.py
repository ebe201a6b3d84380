"""``${var.NAME}`` / ``${env.NAME}``: resolved at load, except secrets kept for apply."""

from __future__ import annotations

import pytest

from reconciler import errors
from reconciler.loading.interpolation import (
    ENV_REF_PATTERN,
    interpolate,
    is_env_reference,
    resolve_env_refs,
)
from reconciler.loading.yaml_reader import read_documents


def run(text: str, variables: dict[str, str], env: dict[str, str]) -> tuple[object, list[str]]:
    docs, issues = read_documents(text, "f.yaml")
    assert not issues
    found = interpolate(docs[0], variables, env)
    return docs[0].data, [
        f"{i.location.line}:{i.location.column} {i.rule}" for i in found if i.location
    ]


def test_variables_and_environment_are_substituted() -> None:
    data, issues = run(
        'name: "${var.team}-chat"\ndescription: owner ${env.OWNER}, $${var.kept}\n',
        {"team": "genai"},
        {"OWNER": "alice"},
    )
    assert issues == []
    assert data == {"name": "genai-chat", "description": "owner alice, ${var.kept}"}


def test_undefined_references_are_reported_at_their_own_column() -> None:
    _, issues = run("a: x ${var.nope} ${env.NOPE}\nb: '${oops}'\n", {}, {})
    assert issues == ["1:6 INTERP-001", "1:18 INTERP-002", "2:5 INTERP-003"]


def test_plaintext_fields_keep_env_references_verbatim() -> None:
    text = "openai_config:\n  openai_api_key_plaintext: ${env.OPENAI_API_KEY}\n"
    data, issues = run(text, {}, {"OPENAI_API_KEY": "sk-secret"})
    assert issues == []
    assert data == {"openai_config": {"openai_api_key_plaintext": "${env.OPENAI_API_KEY}"}}
    _, issues = run(text, {}, {})
    assert issues == ["2:29 INTERP-002"]


def test_resolve_env_refs_for_apply() -> None:
    assert resolve_env_refs("${env.K}", {"K": "sk-1"}) == "sk-1"
    assert resolve_env_refs("a $${env.K} b", {}) == "a ${env.K} b"
    with pytest.raises(errors.ManifestError, match="K is not set") as caught:
        resolve_env_refs("${env.K}", {"OTHER": "sk-secret"})
    assert "sk-secret" not in str(caught.value)


def test_env_reference_pattern() -> None:
    assert is_env_reference("${env.OPENAI_API_KEY}")
    assert not is_env_reference("sk-${env.SUFFIX}")
    assert ENV_REF_PATTERN.findall("${env.A} $${env.B} ${env.C}") == ["A", "C"]
