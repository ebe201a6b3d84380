"""The layer contract of DESIGN.md section 4, checked on the source with ``ast``.

Data flows one way: a layer imports only those below it, and each outside library sits
behind one layer. A violation fails here, naming the file and the import.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "reconciler"

# layer -> reconciler layers it may import (itself always allowed).
ALLOWED_INTERNAL: dict[str, set[str]] = {
    "errors": set(),
    "model": {"errors"},
    "emulator": {"model"},
    "loading": {"model", "errors", "validation"},
    "validation": {"model", "errors", "loading.source"},
    "diff": {"model", "errors"},
    "planning": {"diff", "model", "errors"},
    "registry": {"model", "errors", "emulator", "loading.project"},
    "applying": {"planning", "diff", "registry", "model", "errors"},
    "api": {
        "loading", "validation", "diff", "planning", "applying", "registry", "model", "errors",
    },
    "render": {"planning", "diff", "applying", "validation", "loading", "model", "errors"},
    "cli": {"api", "render", "errors", "model", "loading", "validation", "planning",
            "applying", "emulator", "registry", "diff"},
}

# Outside libraries and the only layers allowed to import them.
ALLOWED_EXTERNAL: dict[str, set[str]] = {
    "httpx": {"registry"},
    "yaml": {"loading"},
    "deepdiff": {"diff"},
    "jsonschema": {"loading", "validation"},
    "starlette": {"emulator"},
    "uvicorn": {"emulator"},
    "sqlite3": {"emulator"},
    "click": {"cli", "render"},
    "databricks": {"registry"},
}

# The pure core does no I/O and reads no clock.
PURE = {"diff", "planning", "validation"}
IMPURE_MODULES = {"socket", "subprocess", "sqlite3", "httpx", "time", "urllib", "requests"}


def _layer_of(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0].removesuffix(".py") if len(rel.parts) > 1 or rel.suffix else ""


def _imports(tree: ast.AST, module_parts: tuple[str, ...]) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module_parts[: len(module_parts) - node.level]
                names.append(".".join(("reconciler", *base[1:], node.module or "")).rstrip("."))
            elif node.module:
                names.append(node.module)
    return names


def _sources() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py"))


def _allowed(layer: str, target: str) -> bool:
    allowed = ALLOWED_INTERNAL.get(layer, set())
    first = target.split(".")[0]
    return first == layer or target in allowed or first in allowed or any(
        target == a or target.startswith(a + ".") for a in allowed
    )


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_layer_imports(path: Path) -> None:
    layer = _layer_of(path)
    if layer in {"", "__init__", "__main__", "errors", "redaction"}:
        return
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parts = ("reconciler", *path.relative_to(PACKAGE).with_suffix("").parts)
    problems: list[str] = []
    for name in _imports(tree, parts):
        top = name.split(".")[0]
        if top == "reconciler":
            inner = name.removeprefix("reconciler").lstrip(".")
            shared = {"__version__", "errors", "redaction"}
            if inner and inner.split(".")[0] not in shared and not _allowed(layer, inner):
                problems.append(f"{layer} must not import reconciler.{inner}")
        elif top in ALLOWED_EXTERNAL and layer not in ALLOWED_EXTERNAL[top]:
            problems.append(f"{layer} must not import {name} (kept behind another layer)")
        if layer in PURE and top in IMPURE_MODULES:
            problems.append(f"{layer} is pure and must not import {name}")
    assert not problems, f"{path.relative_to(PACKAGE.parent)}: " + "; ".join(problems)
