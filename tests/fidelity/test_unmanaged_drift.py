"""Issue 12 item 13: out-of-band changes to blocks the manifest does not manage are reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from drift.harness import API, behind_our_back, write_project
from support.cli import run_cli as run


@pytest.fixture
def applied(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    root = write_project(tmp_path / "repo")
    code, _out, err = run(capsys, "apply", "-C", str(root), "--auto-approve")
    assert code == 0, err
    return root


def test_gateway_enabled_out_of_band_on_an_unmanaged_block_is_its_own_section(
    applied: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with behind_our_back(applied) as api:  # embed's manifest has no ai_gateway
        response = api.put(f"{API}/embed/ai-gateway",
                           json={"usage_tracking_config": {"enabled": True}})
        assert response.status_code == 200, response.text
    code, out, err = run(capsys, "drift", "-C", str(applied))
    assert code == 0, err  # apply would not change it: not drift by default
    assert "No drift: none of 2" not in out
    assert ("Changed outside the repository, not managed by the manifest; apply leaves it:"
            in out)
    assert "~ embed" in out and "ai_gateway.usage_tracking_config.enabled: live true" in out

    code, out, _ = run(capsys, "drift", "-C", str(applied), "--format", "json")
    data = json.loads(out)
    assert data["drift"] is False
    assert data["unmanaged"] == [{
        "name": "embed", "source": data["unmanaged"][0]["source"],
        "fields": [{"path": "ai_gateway.usage_tracking_config.enabled", "live": True,
                    "note": "changed outside the repository, not managed by the manifest; "
                            "apply leaves it"}],
    }]

    code, _out, _err = run(capsys, "drift", "-C", str(applied), "--fail-on-unmanaged")
    assert code == 2

    code, out, _ = run(capsys, "plan", "-C", str(applied))
    assert code == 0  # and apply leaves it: nothing to do


def test_no_unmanaged_section_when_nothing_changed(
    applied: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "drift", "-C", str(applied), "--fail-on-unmanaged")
    assert code == 0
    assert "not managed by the manifest" not in out
    assert "No drift: none of 2 endpoint(s) was changed outside the repository." in out
