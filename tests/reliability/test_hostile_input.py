"""Hostile input through the whole command line path: YAML bombs, path tricks, mutated text.

* YAML bombs (billion laughs, deep nesting, huge scalars, oversized files) are refused fast,
  in bounded memory, with a located ``LOAD-00x`` error: by the loader (CPU time and
  ``tracemalloc`` peak measured) and by ``reconciler validate`` / ``plan`` processes (CPU
  time and peak RSS of the process measured, killed if still running after 3 minutes).
* ``manifests:`` entries cannot reach outside the project (``..``, absolute paths, globs,
  symlinks): ``LOAD-008``.
* Mutation fuzzing with hypothesis: the example manifests, mutated as text (lines dropped,
  duplicated, re-indented, spliced with YAML syntax), go through ``reconciler plan``
  in-process (loader, validator, planner, renderer): every input ends in exit 0 with a plan
  or exit 1 with located errors, never a traceback.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import time
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.measured_process import run_reconciler

from reconciler.cli.main import main
from reconciler.loading.project import load_bytes

ROOT = Path(__file__).resolve().parents[2]
PROJECT_FILE = ("project: hostile\nmanifests: [endpoints/]\ndefault_target: local\n"
                "targets:\n  local: {local: .reconciler/local.db}\n")


def laughs(levels: int = 9) -> bytes:
    lines = ['name: lol', 'l0: &l0 "lol"']
    for level in range(1, levels + 1):
        refs = ", ".join([f"*l{level - 1}"] * 10)
        lines.append(f"l{level}: &l{level} [{refs}]")
    lines.append(f"tags: {{bomb: *l{levels}}}")
    return "\n".join(lines).encode()


DEEP_BLOCK = ("name: deep\n" + "".join(f"{' ' * i}k{i}:\n" for i in range(3000))).encode() \
    + b" " * 3000 + b"v\n"
BOMBS: dict[str, tuple[bytes, str]] = {
    "billion-laughs": (laughs(), "LOAD-004"),
    "quadratic-aliases": (b"a: &a [" + b",".join([b"x"] * 5000) + b"]\nb: [" +
                          b",".join([b"*a"] * 5000) + b"]\n", "LOAD-004"),
    "deep-flow-nesting": (b"name: deep\nx: " + b"[" * 200_000 + b"]" * 200_000, "LOAD-004"),
    "deep-block-nesting": (DEEP_BLOCK, "LOAD-004"),
    "recursive-alias": (b"name: r\nx: &x [*x]\n", "LOAD-00"),
    "oversized-file": (b"name: big\ndescription: '" + b"x" * (5 * 1024 * 1024) + b"'\n",
                       "LOAD-004"),
    "huge-scalar-name": (b"name: " + b"n" * (3 * 1024 * 1024) + b"\n", "ENDPOINT-001"),
    "many-documents": (b"---\n".join(b"name: d%d\nconfig: {}\n" % i for i in range(5_000)),
                       "ENDPOINT-"),
}
# "Refused fast" is a bound on work done, so it is measured in CPU seconds (this process's
# own, which do not grow when other processes keep the machine's cores busy; wall-clock 5 s
# bounds failed under heavy load). An expanded bomb or an exponential walk would take
# minutes of CPU. The wall-clock bounds only catch a process that waits without working
# (measured CPU: loader 0.0-1.1 s per case, a CLI process 0.5-2 s).
LOADER_CPU_SECONDS = 5.0
LOADER_WALL_SECONDS = 120.0
LOADER_PEAK_MB = 80
CLI_CPU_SECONDS = 15.0
CLI_WALL_SECONDS = 180.0  # the process is killed then: a hang fails, never blocks the suite
CLI_PEAK_RSS_MB = 150  # measured 52-69 MB; an expanded bomb would be gigabytes
LINE_LIMIT = 2000  # a clear error, not the bomb echoed back


@pytest.mark.parametrize("case", sorted(BOMBS))
def test_loader_refuses_bombs_fast_in_bounded_memory(case: str) -> None:
    content, rule = BOMBS[case]
    tracemalloc.start()
    started, cpu_started = time.perf_counter(), time.process_time()
    try:
        _endpoints, issues = load_bytes(content, "bomb.yaml", {}, {})
        cpu = time.process_time() - cpu_started
        elapsed = time.perf_counter() - started
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    if rule.startswith("LOAD"):
        assert any(i.rule.startswith(rule) for i in issues), issues[:3]
        assert all(i.location is not None for i in issues)
    assert cpu < LOADER_CPU_SECONDS, f"{case}: {cpu:.1f} CPU s"
    assert elapsed < LOADER_WALL_SECONDS, f"{case}: {elapsed:.1f}s"
    assert peak < LOADER_PEAK_MB * 2**20 + 3 * len(content), f"{case}: {peak / 2**20:.0f} MB"


def _project(root: Path, manifest: bytes) -> Path:
    (root / "endpoints").mkdir(parents=True)
    (root / "reconciler.yaml").write_text(PROJECT_FILE)
    (root / "endpoints" / "bomb.yaml").write_bytes(manifest)
    return root


def _measured_cli(*args: str) -> tuple[int, str, float, float]:
    """exit code, stdout+stderr, CPU seconds, peak RSS (MB) of this one reconciler process
    (killed, and the test failed, if it still runs after ``CLI_WALL_SECONDS``).

    The peak is the process's own VmHWM (see tests/support/measured_process.py), not
    ``wait4``'s ``ru_maxrss``, which starts from pytest's own RSS at fork time and so grew
    with the rest of the session.
    """
    run = run_reconciler(list(args), merge_stderr=True, timeout=CLI_WALL_SECONDS)
    return run.returncode, run.stdout.decode(errors="replace"), run.cpu_seconds, run.peak_rss_mb


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(BOMBS))
@pytest.mark.parametrize("command", ["validate", "plan"])
def test_cli_refuses_bombs_with_a_located_error(case: str, command: str, tmp_path: Path) -> None:
    content, rule = BOMBS[case]
    root = _project(tmp_path / "project", content)
    code, output, cpu, rss = _measured_cli(command, "-C", str(root))
    assert code == 1, output[-2000:]
    assert "Traceback" not in output
    assert "endpoints/bomb.yaml:" in output and rule in output, output[-2000:]
    longest = max(len(line) for line in output.splitlines())
    assert longest < LINE_LIMIT, f"{case}: a {longest}-character line (input echoed back?)"
    assert cpu < CLI_CPU_SECONDS, f"{case}: {cpu:.1f} CPU s"
    assert rss < CLI_PEAK_RSS_MB, f"{case}: {rss:.0f} MB"


# -- path tricks -------------------------------------------------------------------------------

ESCAPES = ["../outside/*.yaml", "../outside/", "endpoints/../../outside/x.yaml",
           "/etc/*.yaml", "{outside}/x.yaml", "./../outside/**/*.yaml"]


@pytest.mark.parametrize("entry", ESCAPES)
def test_manifest_entries_cannot_leave_the_project(entry: str, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.yaml").write_text("name: stolen\n")
    root = tmp_path / "project"
    root.mkdir()
    (root / "reconciler.yaml").write_text(PROJECT_FILE.replace(
        "[endpoints/]", json.dumps([entry.format(outside=outside)])))
    code, output = _run_main("plan", "-C", str(root))
    assert code == 1 and "LOAD-008" in output and "stolen" not in output, output


def test_symlinks_out_of_the_project_are_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.yaml").write_text("name: stolen\n")
    root = _project(tmp_path / "project", b"name: ours\n")
    (root / "endpoints" / "link.yaml").symlink_to(outside / "x.yaml")
    (root / "endpoints" / "linked-dir").symlink_to(outside, target_is_directory=True)
    code, output = _run_main("validate", "-C", str(root))
    # The linked file is refused; the linked folder is not even walked into.
    assert code == 1 and "LOAD-008" in output and "1 file, 1 endpoint" in output, output
    assert "stolen" not in output


# -- mutation fuzzing of the command line path -------------------------------------------------

SEED_TEXTS = [p.read_text() for p in sorted((ROOT / "examples" / "endpoints").glob("*.yaml"))]
SPLICES = ["", ":", "- ", "{", "}", "[", "]", "&a ", "*a", "!!python/object ", "---\n", "'",
           '"', "${var.nope}", "${env.NOPE}", "{{secrets/a/b}}", "\t", "null", "~", "<<: *a",
           "name: x\n", "  ", "\ufeff", "\x00", "9" * 40, "calls: -1", "route_optimized: yes"]


def _run_main(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            main(list(args))
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue()


@st.composite
def mutated_texts(draw: st.DrawFn) -> str:
    lines = draw(st.sampled_from(SEED_TEXTS)).splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            break
        at = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["drop", "duplicate", "indent", "dedent", "splice"]))
        if op == "drop":
            del lines[at]
        elif op == "duplicate":
            lines.insert(at, lines[at])
        elif op == "indent":
            lines[at] = "  " + lines[at]
        elif op == "dedent":
            lines[at] = lines[at].lstrip()
        else:
            column = draw(st.integers(0, len(lines[at])))
            lines[at] = lines[at][:column] + draw(st.sampled_from(SPLICES)) + lines[at][column:]
    return "".join(lines)


INPUTS_TRIED: list[int] = []


@pytest.mark.slow
@settings(max_examples=150, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(text=mutated_texts())
def test_mutated_manifests_through_plan_give_a_plan_or_located_errors(
    text: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    INPUTS_TRIED.append(1)
    root = tmp_path_factory.mktemp("fuzz")
    (root / "endpoints").mkdir()
    (root / "reconciler.yaml").write_text(PROJECT_FILE)
    (root / "endpoints" / "fuzz.yaml").write_text(text, encoding="utf-8", errors="replace")
    env = {"OPENAI_API_KEY": "sk-fuzz-not-real-0000"}
    with _environ(env):
        code, output = _run_main("plan", "-C", str(root), "--format", "json")
    assert "Traceback" not in output
    assert code in (0, 1), output
    if code == 0:
        plan = json.loads(output[output.index("{"):])
        assert {a["action"] for a in plan["actions"]} <= {"create"}
    else:
        assert "Error" in output or " error " in output, output


@contextlib.contextmanager
def _environ(extra: dict[str, str]):  # type: ignore[no-untyped-def]
    saved = {k: os.environ.get(k) for k in extra}
    os.environ.update(extra)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
