"""A project copied from ``examples/`` (or written by a test) and pointed at a served
emulator (``support.emulator_server``), and the CLI run against it as a real process.

    with EmulatorServer.start(db_path=tmp_path / "e.db") as server:
        root = remote_copy(EXAMPLES / "model-services", tmp_path / "p", server)
        done = reconciler(root, server, "apply", "--auto-approve")

The target is ``emu`` (``host`` = the server's loopback URL, the token in ``EMU_TOKEN``,
never on the command line) and becomes the project's default target.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from support import cli_process
from support.emulator_server import EmulatorServer
from support.registry_harness import copy_project

TOKEN_ENV = "EMU_TOKEN"
TARGET = "emu"


def point_at(root: Path, server: EmulatorServer) -> Path:
    """Make the served emulator the default target of the project at ``root``."""
    path = root / "reconciler.yaml"
    text = re.sub(r"(?m)^default_target:.*\n", "", path.read_text())
    line = f"  {TARGET}: {{host: '{server.url}', token_env: {TOKEN_ENV}}}\n"
    if re.search(r"(?m)^targets:\s*$", text):
        text = re.sub(r"(?m)^targets:\s*\n", "targets:\n" + line, text, count=1)
    else:
        text += "targets:\n" + line
    path.write_text(text + f"default_target: {TARGET}\n")
    return root


def remote_copy(source: Path, destination: Path, server: EmulatorServer) -> Path:
    """A copy of the project at ``source`` whose default target is ``server``."""
    return point_at(copy_project(source, destination), server)


def reconciler(root: Path, server: EmulatorServer, *args: str,
               env: Mapping[str, str] | None = None) -> cli_process.Finished:
    """``reconciler COMMAND -C root ARGS...`` as a process (``support.cli_process``), with the
    server's token in ``EMU_TOKEN``."""
    return cli_process.run(root, *args, env={TOKEN_ENV: server.token, **(env or {})})
