"""Start ``reconciler emulator serve`` as a real subprocess on a free loopback port.

Used by the emulator's own tests and by end-to-end tests of the CLI::

    with EmulatorServer.start(db_path=tmp_path / "e.db", ready_after=0) as server:
        env = server.client_env()      # DATABRICKS_HOST / DATABRICKS_TOKEN for the SDKs
        ...
        server.kill()                  # SIGKILL, as a crash would
        server.restart()               # same port, same database

The process is always stopped when the ``with`` block ends, whatever happens in it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

DEFAULT_TOKEN = "dapi-emulator-test-token"
STARTUP_TIMEOUT_S = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class EmulatorServer:
    """One emulator subprocess; ``start`` it, use ``url``/``token``, it stops on exit."""

    port: int
    token: str = DEFAULT_TOKEN
    db_path: Path | None = None
    knobs: dict[str, Any] = field(default_factory=dict)
    log_path: Path | None = None
    process: subprocess.Popen[bytes] | None = None

    @classmethod
    def start(cls, *, db_path: Path | None = None, token: str = DEFAULT_TOKEN,
              port: int | None = None, log_path: Path | None = None,
              **knobs: Any) -> EmulatorServer:
        """Start a server; ``knobs`` are serve options by keyword (``ready_after=0.5``,
        ``latency_ms=20``, ``fault_rate=0.1``, ``drop_rate``, ``seed``, ``request_log``)."""
        server = cls(port=port or free_port(), token=token, db_path=db_path, knobs=knobs,
                     log_path=log_path)
        server._launch()
        return server

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client_env(self) -> dict[str, str]:
        """Environment for the Databricks SDK and MLflow: only host and token."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("DATABRICKS_")}
        env.update(DATABRICKS_HOST=self.url, DATABRICKS_TOKEN=self.token)
        return env

    def _command(self) -> list[str]:
        # The token goes by environment variable, as the docs advise (not visible in ps).
        cmd = [sys.executable, "-m", "reconciler", "emulator", "serve",
               "--host", "127.0.0.1", "--port", str(self.port)]
        if self.db_path is not None:
            cmd += ["--db", str(self.db_path)]
        for name, value in self.knobs.items():
            # A list is a repeated option (``normalise=["a=1", "b=2"]``).
            for one in value if isinstance(value, (list, tuple)) else [value]:
                if one is not None:
                    cmd += ["--" + name.replace("_", "-"), str(one)]
        return cmd

    def _launch(self) -> None:
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        try:
            self.process = subprocess.Popen(
                self._command(), stdout=out, stderr=out, stdin=subprocess.DEVNULL,
                env={**os.environ, "RECONCILER_EMULATOR_TOKEN": self.token})
        finally:
            if self.log_path:
                out.close()  # type: ignore[union-attr]
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"emulator exited with {self.process.returncode} on start")
            try:
                with urllib.request.urlopen(self.url + "/_emulator/health", timeout=1) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"emulator did not answer on {self.url} within {STARTUP_TIMEOUT_S}s")

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a crash."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not stop in time."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()

    def restart(self) -> None:
        """Stop (if running) and start again on the same port and database."""
        self.stop()
        self._launch()

    def __enter__(self) -> EmulatorServer:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
