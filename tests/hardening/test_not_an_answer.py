"""A redirect or an empty body on the list call is an error, never "no endpoints" (issue 14,
item 5): otherwise plan shows every endpoint as a create and drift says "No drift"."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.cli import run_cli
from support.hostile_http import API, Reply, Request, hostile_server, write_remote_project

ANSWERS = {
    "redirect-302": Reply(302, b"", {"location": "https://login.example.com/sso?next=/api"}),
    "redirect-301-json": Reply(301, b"{}", {"location": "/elsewhere",
                                            "content-type": "application/json"}),
    "redirect-307": Reply(307, b"", {"location": "https://other.example.com/api"}),
    "empty-200": Reply(200, b"", {"content-type": "application/json"}),
    "blank-200": Reply(200, b"  \n", {"content-type": "application/json"}),
    "no-content-204": Reply(204, b"", {}),
    "html-sign-in": Reply(200, b"<html>Sign in</html>", {"content-type": "text/html"}),
}


@pytest.mark.parametrize("case", sorted(ANSWERS))
@pytest.mark.parametrize("command", ["plan", "drift"])
def test_a_list_that_is_not_an_answer_is_an_error(
    case: str, command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HOSTILE_TOKEN", "dapi-hostile-token")

    def answer(request: Request) -> Reply:
        if request.path == API:
            return ANSWERS[case]
        return Reply.of({"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "no"}, 404)

    with hostile_server(answer) as server:
        root = write_remote_project(tmp_path / "p", server.url)
        code, out, err = run_cli(capsys, command, "-C", str(root))
    assert code == 1, (out, err)
    assert "Traceback" not in err
    assert f"GET {API}" in err
    assert "No drift" not in out and "create" not in out.lower(), out
    if case.startswith("redirect"):
        assert "redirect" in err and ANSWERS[case].headers["location"] in err
    if "200" in case or "204" in case:
        assert "empty" in err
