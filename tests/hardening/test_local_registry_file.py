"""The local registry file (issue 14 item 10, issue 10 part 7): ``targets.*.local`` stays in
the project unless an absolute path is typed, a file that is not ours is refused untouched,
and a corrupt one is a clear error naming the file and what to do (was a 61-line traceback).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from support.cli import run_cli
from support.hostile_http import OWN_MANIFEST


def _project(root: Path, local: str) -> Path:
    (root / "endpoints").mkdir(parents=True)
    (root / "endpoints" / "own.yaml").write_text(OWN_MANIFEST)
    (root / "reconciler.yaml").write_text(
        f"project: p\nmanifests: [endpoints/]\ntargets:\n  l: {{local: '{local}'}}\n")
    return root


@pytest.mark.parametrize("local", ["../outside/reg.db", "sub/../../outside/reg.db"])
def test_a_relative_path_leaving_the_project_is_refused(
    local: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path / "p", local)
    code, _out, err = run_cli(capsys, "plan", "-C", str(root))
    assert code == 1
    assert "outside the project" in err and local in err, err
    assert not (tmp_path / "outside").exists()  # no folder made there


def test_a_link_leading_out_of_the_project_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "elsewhere").mkdir()
    root = _project(tmp_path / "p", "state/reg.db")
    os.symlink(tmp_path / "elsewhere", root / "state")
    code, _out, err = run_cli(capsys, "plan", "-C", str(root))
    assert code == 1 and "outside the project" in err
    assert list((tmp_path / "elsewhere").iterdir()) == []


def test_an_absolute_path_the_user_typed_is_accepted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "shared" / "reg.db"
    root = _project(tmp_path / "p", str(db))
    code, _out, err = run_cli(capsys, "plan", "-C", str(root))
    assert code == 0, err
    assert db.exists()


def test_another_programs_sqlite_file_is_refused_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path / "p", "app.db")
    with sqlite3.connect(root / "app.db") as conn:
        conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT)")
        conn.execute("INSERT INTO users (email) VALUES ('a@example.com')")
    conn.close()
    before = (root / "app.db").read_bytes()
    code, _out, err = run_cli(capsys, "plan", "-C", str(root))
    assert code == 1
    assert "app.db" in err and "not a reconciler local registry" in err, err
    assert (root / "app.db").read_bytes() == before
    with sqlite3.connect(root / "app.db") as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()
    assert tables == {"users"}


@pytest.mark.parametrize("content", [b"this is not a database\n" * 50,
                                     b"SQLite format 3\x00" + b"\xff" * 4000])
@pytest.mark.parametrize("command", ["plan", "apply"])
def test_a_corrupt_file_is_a_clear_error(
    content: bytes, command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path / "p", ".reconciler/local.db")
    (root / ".reconciler").mkdir()
    (root / ".reconciler" / "local.db").write_bytes(content)
    extra = ["--auto-approve"] if command == "apply" else []
    code, _out, err = run_cli(capsys, command, "-C", str(root), *extra)
    assert code == 1
    assert "Traceback" not in err
    assert "local.db" in err and "delete it" in err, err
    assert len(err.strip().splitlines()) <= 3, err


def test_the_emulator_server_refuses_a_corrupt_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "bad.db"
    db.write_bytes(b"garbage" * 100)
    code, _out, err = run_cli(capsys, "emulator", "serve", "--port", "0", "--token",
                              "dapi-test-token", "--db", str(db))
    assert code in (1, 2)
    assert "Traceback" not in err and "bad.db" in err, err
