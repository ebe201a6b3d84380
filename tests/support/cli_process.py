"""``reconciler`` run as a real process: the one launcher of the tests that need the process
itself (exit codes, signals and SIGKILL, a terminal, a served emulator)::

    done = run(root, "plan", "--detailed-exitcode", env={"EMU_TOKEN": server.token})
    assert done.returncode == 0, done.output
    with started(root, "apply", "--auto-approve", env=...) as process:
        process.send_signal(signal.SIGINT)
        done = finish(process)

The child gets the caller's environment less ``DATABRICKS_*``, ``NO_COLOR`` and
``RECONCILER_*`` (a developer's own workspace, colours or default target never reach a test),
plus ``env``. Its stdin is empty unless the caller gives one. Every wait has a deadline: a
process still running then is killed and the test fails with the tail of its output. A
``started`` process still running when its block ends is killed, so none outlives its test.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SCRUBBED = ("DATABRICKS_", "NO_COLOR", "RECONCILER_")
TIMEOUT_S = 180.0  # wall seconds; generous: the CLI's own retry budget is 120 s


@dataclass(frozen=True)
class Finished:
    """A process that ended: its exit code and what it wrote."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def environment(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The caller's environment less the scrubbed variables, plus ``env``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(SCRUBBED)}
    return {**clean, **(env or {})}


def command(root: Path, *args: str) -> list[str]:
    """``python -m reconciler COMMAND -C root ARGS...``."""
    return [sys.executable, "-m", "reconciler", args[0], "-C", str(root), *args[1:]]


def start(root: Path, *args: str, env: Mapping[str, str] | None = None,
          stdin: int = subprocess.DEVNULL, cwd: Path | None = None) -> subprocess.Popen[str]:
    """Start ``reconciler ARGS`` on the project at ``root``; stdout and stderr are piped.
    Prefer ``started`` (kills it when the block ends) or ``run``; end it with ``finish``."""
    return subprocess.Popen(command(root, *args), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=stdin, text=True,
                            env=environment(env), cwd=cwd)


def finish(process: subprocess.Popen[str], *, input: str | None = None,
           timeout: float = TIMEOUT_S) -> Finished:
    """Wait for the process and read its output; still running after ``timeout`` seconds, it
    is killed and the call fails with the tail of what it wrote."""
    try:
        out, err = process.communicate(input, timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        raise AssertionError(f"reconciler {' '.join(map(str, process.args[3:]))[:300]} still "
                             f"ran after {timeout} s (killed): {(out + err)[-2000:]}") from None
    return Finished(process.returncode, out, err)


@contextmanager
def started(root: Path, *args: str, env: Mapping[str, str] | None = None,
            stdin: int = subprocess.DEVNULL,
            cwd: Path | None = None) -> Iterator[subprocess.Popen[str]]:
    """``start``, and kill the process if it is still running when the block ends."""
    with start(root, *args, env=env, stdin=stdin, cwd=cwd) as process:
        try:
            yield process
        finally:
            if process.poll() is None:
                process.kill()


def run(root: Path, *args: str, env: Mapping[str, str] | None = None,
        input: str | None = None, stdin: int = subprocess.DEVNULL, cwd: Path | None = None,
        timeout: float = TIMEOUT_S) -> Finished:
    """``reconciler ARGS`` on the project at ``root``, to its end; ``input`` is written to its
    stdin (else ``stdin``: empty, or a file descriptor such as a terminal's)."""
    with started(root, *args, env=env, stdin=subprocess.PIPE if input is not None else stdin,
                 cwd=cwd) as process:
        return finish(process, input=input, timeout=timeout)
