"""The CLI's signal handler alone (cli/interrupts.py): flags, escalation, restoring.

The processes that receive real signals are in tests/e2e/test_cli_interrupts.py; here the
handler is called in-process by ``signal.raise_signal`` to pin each step.
"""

from __future__ import annotations

import signal

import pytest

from reconciler.cli.interrupts import Interrupts, stop_on_signals


def test_first_signal_asks_to_finish_the_second_to_stop_now_the_third_raises() -> None:
    with stop_on_signals(Interrupts()) as interrupts:
        signal.raise_signal(signal.SIGTERM)
        assert interrupts.finish.is_set() and not interrupts.now.is_set()
        signal.raise_signal(signal.SIGINT)
        assert interrupts.now.is_set()
        with pytest.raises(KeyboardInterrupt):
            signal.raise_signal(signal.SIGINT)


def test_a_second_signal_where_nothing_listens_raises_at_once() -> None:
    with stop_on_signals(Interrupts(), listening=lambda: False) as interrupts:
        signal.raise_signal(signal.SIGINT)
        with pytest.raises(KeyboardInterrupt):
            signal.raise_signal(signal.SIGINT)
        assert interrupts.now.is_set()  # the run that catches it knows why


def test_the_previous_handlers_are_restored() -> None:
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    with stop_on_signals(Interrupts()):
        assert signal.getsignal(signal.SIGINT) is not before[signal.SIGINT]
    assert {sig: signal.getsignal(sig) for sig in before} == before
