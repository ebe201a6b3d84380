"""The emulator never runs without authentication (issue 14, item 11)."""

from __future__ import annotations

import pytest
from support.cli import run_cli

from reconciler.emulator.app import create_app
from reconciler.emulator.settings import EmulatorSettings


@pytest.mark.parametrize("token", ["", "   ", " dapi-padded"])
def test_serve_refuses_an_empty_or_padded_token(
    token: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out, err = run_cli(capsys, "emulator", "serve", "--port", "0", "--token", token)
    assert code == 2
    assert "--token" in err and "non-empty" in err


def test_an_empty_token_in_settings_is_refused() -> None:
    with pytest.raises(ValueError, match="token"):
        create_app(EmulatorSettings(token=""))
