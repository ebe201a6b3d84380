"""Every form a secret can take in output is masked, and a token with whitespace or control
characters is refused without being shown (issue 14, item 2)."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from support.cli import run_cli
from support.hostile_http import API, Reply, Request, hostile_server, write_remote_project

from reconciler.redaction import MASK, SECRETS, redact_text, register_secret

AWKWARD_KEY = 'sk-proj-Ab3"quoted\\back\nnewline\ttab/slash+plus&amp'
ENDPOINT = """\
name: leaky
tags: {team: genai}
config:
  served_entities:
    - name: gpt
      external_model:
        name: gpt-4o
        provider: openai
        task: llm/v1/chat
        openai_config:
          openai_api_key_plaintext: ${env.AWKWARD_KEY}
"""


@pytest.fixture(autouse=True)
def _fresh_secrets() -> None:
    SECRETS.clear()


def _fragments(secret: str) -> list[str]:
    """Pieces of the secret long enough that seeing one in output is a leak."""
    return [p for p in ("Ab3", "quoted", "back", "newline", "slash", "dapi-leak") if p in secret]


def test_every_encoded_form_of_a_registered_secret_is_masked() -> None:
    register_secret(AWKWARD_KEY)
    forms = {
        "raw": AWKWARD_KEY,
        "stripped": AWKWARD_KEY.strip(),
        "json": json.dumps(AWKWARD_KEY)[1:-1],
        "json-unicode": json.dumps(AWKWARD_KEY + "é", ensure_ascii=True)[1:-7],
        "url": quote(AWKWARD_KEY, safe=""),
        "url-plus": quote_plus(AWKWARD_KEY),
        "json-of-json": json.dumps(json.dumps(AWKWARD_KEY))[1:-1],
    }
    for kind, form in forms.items():
        text = redact_text(f"server said: ...{form}...")
        assert MASK in text, kind
        assert "quoted" not in text and "newline" not in text, (kind, text)


def test_a_padded_secret_is_masked_in_its_stripped_form_too() -> None:
    register_secret("  dapi-padded-secret-value\n")
    assert redact_text("token dapi-padded-secret-value sent") == f"token {MASK} sent"


@pytest.mark.parametrize("token", ["dapi-leak-0123456789\n", "dapi-leak-0123456789\r",
                                   "dapi-leak-0123456789\t", " dapi-leak-0123456789",
                                   "dapi-leak\x7f-0123456789", "dapi-leak\x1b[2J0123456789"])
@pytest.mark.parametrize("debug", [False, True])
def test_a_token_with_whitespace_or_control_characters_is_refused_unseen(
    token: str, debug: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HOSTILE_TOKEN", token)
    with hostile_server(lambda _r: Reply.of({"endpoints": []})) as server:
        root = write_remote_project(tmp_path / "p", server.url)
        code, out, err = run_cli(capsys, "plan", "-C", str(root), *(["--debug"] if debug else []))
        assert server.seen == []  # never sent
    assert code == 1
    assert "HOSTILE_TOKEN" in err and "whitespace or control characters" in err, err
    for fragment in ("dapi-leak", "0123456789"):
        assert fragment not in out + err


def test_a_key_echoed_json_escaped_by_the_server_is_masked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOSTILE_TOKEN", "dapi-hostile-token-123")
    monkeypatch.setenv("AWKWARD_KEY", AWKWARD_KEY)

    def answer(request: Request) -> Reply:
        if request.method == "GET" and request.path == API:
            return Reply.of({"endpoints": []})
        if request.method == "GET":
            return Reply.of({"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "no"}, 404)
        # A careless server quoting the request back: the key JSON-escaped in the message,
        # URL-encoded in a "detail" link.
        text = request.body.decode()
        return Reply.of({"error_code": "INVALID_PARAMETER_VALUE",
                         "message": f"cannot parse {text} (see /docs?q={quote(AWKWARD_KEY)})"},
                        400)

    with hostile_server(answer) as server:
        root = write_remote_project(tmp_path / "p", server.url,
                                    extra="}\npolicy: {plaintext_secrets: env-only")
        (root / "endpoints" / "own.yaml").write_text(ENDPOINT)
        for debug in ([], ["--debug"]):
            code, out, err = run_cli(capsys, "apply", "-C", str(root), "--auto-approve",
                                     "--format", "json", *debug)
            assert code == 1
            assert "cannot parse" in out + err  # the server's message is shown, masked
            for fragment in _fragments(AWKWARD_KEY):
                assert fragment not in out + err, (debug, fragment)
