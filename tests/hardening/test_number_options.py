"""Every duration and number option refuses non-finite and out-of-range values (issue 14,
item 9): ``--interval nan`` hot-looped and ``--interval 1e400`` gave a traceback."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from support.cli import run_cli

from reconciler.emulator.settings import EmulatorSettings

BAD = ["nan", "NaN", "inf", "-inf", "1e400", "infinity", "-5", "99999999h"]
# (command and its other arguments, the option under test)
OPTIONS = [
    (["reconcile", "--max-cycles", "2"], "--interval"),
    (["reconcile", "--interval", "1s", "--max-cycles", "1"], "--max-backoff"),
    (["reconcile", "--interval", "1s", "--max-cycles", "1"], "--timeout"),
    (["apply", "--auto-approve"], "--timeout"),
    (["emulator", "serve", "--port", "0"], "--ready-after"),
    (["emulator", "serve", "--port", "0"], "--fault-rate"),
    (["emulator", "serve", "--port", "0"], "--drop-rate"),
]


@pytest.mark.parametrize("value", BAD)
@pytest.mark.parametrize(("argv", "option"), OPTIONS, ids=[f"{a[0]}{o}" for a, o in OPTIONS])
def test_a_bad_number_is_a_usage_error(
    argv: list[str], option: str, value: str, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if value == "-5" and option in ("--timeout",):
        pass  # negative durations are refused like the rest
    (tmp_path / "endpoints").mkdir()
    (tmp_path / "reconciler.yaml").write_text("project: p\nmanifests: [endpoints/]\n")
    extra = [] if argv[0] == "emulator" else ["-C", str(tmp_path)]
    started = time.monotonic()
    code, out, err = run_cli(capsys, *argv, *extra, f"{option}={value}")
    assert time.monotonic() - started < 10
    assert code == 2, (out, err)
    assert "Traceback" not in err
    assert option in err and ("finite" in err or "range" in err or "between" in err
                              or "at least" in err or "more than" in err), err


@pytest.mark.parametrize("field", ["ready_after", "fault_rate", "drop_rate"])
def test_emulator_settings_refuse_nan(field: str) -> None:
    with pytest.raises(ValueError, match=field):
        EmulatorSettings(**{field: float("nan")})


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 0.0, -1.0])
def test_the_reconcile_library_refuses_a_bad_interval(value: float) -> None:
    from reconciler import errors
    from reconciler.api.reconciling import ReconcileSettings

    with pytest.raises(errors.ReconcilerError, match="finite"):
        ReconcileSettings(interval=value)
