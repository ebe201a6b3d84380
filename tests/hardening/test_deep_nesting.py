"""Deep nesting (issue 14, item 7): a deeply nested answer from the registry is a clear error,
the emulator answers a deeply nested request with the API's 400 shape, and no uncaught
traceback can bypass output masking."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from support.cli import run_cli
from support.hostile_http import API, Reply, Request, hostile_server, write_remote_project

from reconciler.emulator.app import EmulatorSettings, create_app
from reconciler.redaction import SECRETS, register_secret


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.mark.parametrize("depth", [400, 5_000, 200_000])
@pytest.mark.parametrize("where", ["list", "get"])
def test_a_deeply_nested_answer_is_a_clear_error(
    depth: int, where: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HOSTILE_TOKEN", "dapi-hostile-token")
    deep = _nested(depth)

    def answer(request: Request) -> Reply:
        if request.path == API:
            if where == "list":
                return Reply(200, b'{"endpoints": [{"name": "own", "tags": ' + deep + b"}]}")
            return Reply.of({"endpoints": [{"name": "own"}]})
        return Reply(200, b'{"name": "own", "config": {"served_entities": [{"name": "m", '
                          b'"x": ' + deep + b"}]}}")

    with hostile_server(answer) as server:
        root = write_remote_project(tmp_path / "p", server.url)
        code, out, err = run_cli(capsys, "plan", "-C", str(root))
    assert code == 1, out
    assert "Traceback" not in err and "RecursionError" not in err
    assert "nested" in err and "GET " in err, err


@pytest.mark.parametrize("depth", [400, 5_000, 200_000])
def test_the_emulator_answers_a_deeply_nested_body_with_a_400(depth: int, tmp_path: Path) -> None:
    app = create_app(EmulatorSettings(db_path=tmp_path / "e.db"))
    body = (b'{"name": "deep", "config": {"served_entities": [{"name": "m", "x": '
            + _nested(depth) + b"}]}}")

    async def scenario() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://emulator") as http:
            return await http.post(API, content=body,
                                   headers={"content-type": "application/json"})

    try:
        response = asyncio.run(scenario())
    finally:
        app.close()
    assert response.status_code == 400, response.text[:200]
    answer = response.json()
    assert answer["error_code"] in ("MALFORMED_REQUEST", "INVALID_PARAMETER_VALUE")
    assert "nest" in answer["message"]


def test_an_uncaught_error_is_masked_and_short(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug anywhere (here: a crash inside the loader) still goes through masking."""
    SECRETS.clear()
    secret = "sk-uncaught-0123456789abcdef"
    register_secret(secret)

    def crash(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError(f"boom while holding {secret}")

    import reconciler.api.validating as validating

    monkeypatch.setattr(validating, "validate_project", crash)
    (tmp_path / "reconciler.yaml").write_text("project: p\n")
    for debug in ([], ["--debug"]):
        code, out, err = run_cli(capsys, "validate", "-C", str(tmp_path), *debug)
        assert code == 1
        assert secret not in out + err
        assert "internal error" in err and "RuntimeError" in err, err
