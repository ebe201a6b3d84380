"""export and import write only NAME.yaml inside the chosen folder, and never over a file
without --force (issue 14, item 1): the file name comes from the registry or the user."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

import pytest
from support.cli import run_cli
from support.hostile_http import API, Reply, Request, hostile_server, write_remote_project

ENTITY = {"name": "m", "entity_name": "main.ml.m", "entity_version": "1",
          "workload_size": "Small", "scale_to_zero_enabled": True}


def _registry_of(names: list[str]):  # type: ignore[no-untyped-def]
    def answer(request: Request) -> Reply:
        if request.path == API:
            return Reply.of({"endpoints": [{"name": n} for n in names]})
        name = unquote(request.path[len(API) + 1:])
        return Reply.of({"name": name, "config": {"served_entities": [ENTITY]}})
    return answer


@pytest.mark.parametrize("bad", ["../escaped", "/tmp/absolute-x", "a\x00b", "sub/dir", ".."])
def test_export_refuses_a_registry_name_that_is_not_an_endpoint_name(
    bad: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HOSTILE_TOKEN", "dapi-hostile-token")
    with hostile_server(_registry_of(["fine", bad])) as server:
        root = write_remote_project(tmp_path / "p", server.url)
        out = tmp_path / "p" / "out"
        code, _out, err = run_cli(capsys, "export", "-C", str(root), "--all", "--out", str(out))
    assert code == 1, err
    assert "Traceback" not in err
    assert "not a valid endpoint name" in err
    assert repr(bad) in err or bad.replace("\x00", "\\x00") in err
    written = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*.yaml")
                     if p.name != "reconciler.yaml")
    assert written == ["p/endpoints/own.yaml"], written  # nothing written if one name is bad
    assert not (tmp_path / "escaped.yaml").exists()


def test_export_refuses_to_overwrite_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOSTILE_TOKEN", "dapi-hostile-token")
    with hostile_server(_registry_of(["alpha", "beta"])) as server:
        root = write_remote_project(tmp_path / "p", server.url)
        out = root / "exported"
        out.mkdir()
        kept = "# hand-written: keep me\nname: beta\ntags: {env: '${var.env}'}\n"
        (out / "beta.yaml").write_text(kept)
        code, _out, err = run_cli(capsys, "export", "-C", str(root), "--all", "--out", str(out))
        assert code == 1
        assert "beta.yaml already exists" in err and "--force" in err
        assert (out / "beta.yaml").read_text() == kept
        assert not (out / "alpha.yaml").exists()  # refused before anything is written

        code, _out, err = run_cli(capsys, "export", "-C", str(root), "--all", "--out", str(out),
                                  "--force")
        assert code == 0, err
        assert "overwrote" in err
        assert (out / "beta.yaml").read_text() != kept
        assert (out / "alpha.yaml").exists()


@pytest.mark.parametrize("bad", ["../escaped", "/tmp/absolute-x", "sub/dir"])
def test_import_refuses_a_name_that_is_not_an_endpoint_name(
    bad: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HOSTILE_TOKEN", "dapi-hostile-token")
    with hostile_server(_registry_of([bad])) as server:
        root = write_remote_project(tmp_path / "p", server.url)
        code, _out, err = run_cli(capsys, "import", "-C", str(root), bad)
    assert code == 1, err
    assert "not a valid endpoint name" in err
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.rglob("*.yaml")) == ["own.yaml", "reconciler.yaml"]
