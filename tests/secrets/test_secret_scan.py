"""No key ever reaches an output: every command, every format, with and without --debug.

Real-looking keys sit in the environment (an OpenAI project key and an AWS key pair referenced
as ``${env.NAME}`` from ``*_plaintext`` fields, and a Databricks token that is both the
emulator's token and ``DATABRICKS_TOKEN``). Every command the CLI has runs against
``reconciler emulator serve`` on loopback; stdout, stderr (debug logs of httpx and httpcore
included), every file written (plan files, exported manifests, reconcile logs) and the
emulator's own files (SQLite database with its journal, request log, server log) are then
searched for the key values: zero hits. A key is also rotated mid-way, so two OpenAI keys are
searched for.
"""

from __future__ import annotations

import concurrent.futures
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from secrets_harness import Keys, leaks, run_cli, write_project
from support.emulator_server import EmulatorServer

from reconciler.cli.main import cli

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# Commands of issue 5 that may not exist yet in this checkout; scanned when they do.
OPTIONAL_COMMANDS = ("drift", "import", "reconcile")
AT_ONCE = 3  # CLI processes at a time where the order of the commands does not matter


@dataclass
class Scan:
    """Every output collected so far, by label."""

    outputs: list[tuple[str, str]] = field(default_factory=list)
    ran: list[str] = field(default_factory=list)

    def add(self, label: str, text: str) -> None:
        self.outputs.append((label, text))


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys.fresh()


@pytest.fixture(scope="module")
def server(keys: Keys, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    folder = tmp_path_factory.mktemp("emulator")
    with EmulatorServer.start(db_path=folder / "emulator.db", token=keys.databricks,
                              log_path=folder / "server.log",
                              request_log=folder / "requests.jsonl") as running:
        yield running


def _present(name: str) -> bool:
    return name in cli.commands


def _run(scan: Scan, root: Path, env: dict[str, str], *args: str,
         expect: tuple[int, ...] = (0,)) -> str:
    """Run a command with and without --debug; return the plain run's stdout."""
    plain = ""
    for debug in (False, True):
        argv = [*args, "--debug"] if debug else list(args)
        result = run_cli(root, env, *argv)
        label = " ".join(argv)
        scan.add(f"{label} [stdout]", result.stdout)
        scan.add(f"{label} [stderr]", result.stderr)
        scan.ran.append(label)
        assert result.returncode in expect, (label, result.returncode, result.stderr[-2000:])
        assert "Traceback" not in result.stderr or debug, (label, result.stderr[-2000:])
        if not debug:
            plain = result.stdout
    return plain


def _run_each(scan: Scan, root: Path, env: dict[str, str], *commands: tuple[str, ...],
              expect: tuple[int, ...] = (0,)) -> None:
    """``_run`` each of ``commands``, ``AT_ONCE`` at a time: they only read (the target, or
    nothing), so the order they run in changes nothing the scan sees."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=AT_ONCE) as pool:
        runs = [pool.submit(_run, scan, root, env, *command, expect=expect)
                for command in commands]
        for done in runs:
            done.result()


def _files(*folders: Path) -> Iterator[tuple[str, bytes]]:
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                yield str(path), path.read_bytes()


def test_no_key_in_any_output_file_or_log(
    keys: Keys, server: EmulatorServer, tmp_path: Path
) -> None:
    root = write_project(tmp_path / "project", server.url)
    out = tmp_path / "out"
    out.mkdir()
    env = keys.env()
    rotated = Keys.fresh().openai
    secrets = [*keys.values(), rotated]
    scan = Scan()

    _run_each(scan, root, env,
              *(("validate", "--format", fmt) for fmt in ("text", "json", "github", "markdown")),
              *(("plan", "--format", fmt) for fmt in ("text", "json", "markdown")))
    _run(scan, root, env, "plan", "--out", str(out / "create-plan.json"))
    saved = (out / "create-plan.json").read_text()
    assert "${env.OPENAI_KEY}" in saved and "${env.AWS_SECRET}" in saved

    # apply the saved plan (creates both endpoints), then nothing to do
    first = run_cli(root, env, "apply", str(out / "create-plan.json"), "--auto-approve",
                    "--debug")
    scan.add("apply saved plan --debug", first.stdout + first.stderr)
    assert first.returncode == 0, first.stderr[-2000:]
    _run(scan, root, env, "apply", "--auto-approve")
    _run(scan, root, env, "apply", "--auto-approve", "--format", "json")
    _run(scan, root, env, "plan", "--detailed-exitcode")

    # rotate the OpenAI key: one change, applied with debug logs on (requests carry the key)
    env_rotated = {**env, "OPENAI_KEY": rotated}
    plan_json = _run(scan, root, env_rotated, "plan", "--format", "json",
                     "--detailed-exitcode", expect=(2,))
    changed = [a for a in json.loads(plan_json)["actions"] if a["action"] != "no-op"]
    assert [a["name"] for a in changed] == ["scan-openai"]
    _run(scan, root, env_rotated, "plan", "--out", str(out / "rotate-plan.json"),
         expect=(0,))
    rotate = run_cli(root, env_rotated, "apply", str(out / "rotate-plan.json"),
                     "--auto-approve", "--format", "json", "--debug")
    scan.add("apply rotation --debug", rotate.stdout + rotate.stderr)
    assert rotate.returncode == 0, rotate.stderr[-2000:]
    _run(scan, root, env_rotated, "plan", "--detailed-exitcode")

    # a key missing at apply time: the error names the variable, not a value
    missing = {k: v for k, v in env_rotated.items() if k != "AWS_SECRET"}
    failed = run_cli(root, missing, "plan")
    scan.add("plan without AWS_SECRET", failed.stdout + failed.stderr)
    assert failed.returncode == 1 and "AWS_SECRET" in failed.stderr

    # smoke queries (their answers and errors too), export to stdout and drift: all read
    _run_each(scan, root, env_rotated,
              *(("test", "--format", fmt, "--each-entity") for fmt in ("text", "json", "markdown")),
              ("export",))
    _run(scan, root, env_rotated, "export", "--all", "--force", "--out", str(out / "exported"))
    if _present("drift"):
        _run_each(scan, root, env_rotated, ("drift",), ("drift", "--format", "markdown"),
                  expect=(0, 2))
    if _present("reconcile"):
        _run(scan, root, env_rotated, "reconcile", "--interval", "1s", "--max-cycles", "1",
             "--report-only", "--log-file", str(out / "reconcile.log"))
    if _present("import"):
        adopt = tmp_path / "adopt"
        write_project(adopt, server.url)
        shutil.rmtree(adopt / "endpoints")
        (adopt / "endpoints").mkdir()
        _run(scan, adopt, env_rotated, "import", "scan-openai", "scan-bedrock",
             expect=(0, 1))

    hits = [(label, found) for label, text in scan.outputs if (found := leaks(text, secrets))]
    emulator_files = server.db_path.parent if server.db_path else tmp_path
    hits += [(name, found) for name, data in _files(tmp_path, emulator_files)
             if (found := leaks(data, secrets))]
    assert not hits, f"keys leaked into: {hits}"
    # the scan saw something: a debug run logs requests, and the database exists
    assert any("--debug" in label and "serving-endpoints" in text
               for label, text in scan.outputs)
    assert (emulator_files / "emulator.db").stat().st_size > 0
    assert (emulator_files / "requests.jsonl").read_text().count("\n") > 10


@pytest.mark.parametrize("command", OPTIONAL_COMMANDS)
def test_optional_commands_are_scanned_when_present(command: str) -> None:
    """Reports (as a skip) which issue-5 commands did not exist when the scan ran."""
    if not _present(command):
        pytest.skip(f"`reconciler {command}` does not exist in this checkout: not scanned")
