"""The layer contract of DESIGN.md section 4 (and docs/architecture.md), checked on the source.

Data flows one way: a layer imports only those below it, each outside library sits behind one
layer, the pure layers do no I/O, and only the CLI prints. A violation fails here, naming the
file, the line and the import. Every import form counts: ``import reconciler.x``, ``from
reconciler.x import y``, ``from reconciler import x``, relative imports, imports inside
functions and under ``TYPE_CHECKING``.

``tests/test_architecture_probe.py`` plants a violation of each kind in a copy of a module and
checks that these rules catch it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "reconciler"

# layer -> reconciler layers it may import (itself always allowed). ``errors`` and
# ``redaction`` are the bottom: every layer may import them, they import nothing above.
ALLOWED_INTERNAL: dict[str, set[str]] = {
    "errors": set(),
    "redaction": {"errors"},
    "model": set(),
    "emulator": {"model"},
    "loading": {"model"},  # "load, then validate" is composed in api (api/validating.py)
    "validation": {"model"},
    "diff": {"model"},
    "planning": {"diff", "model"},
    "registry": {"model", "emulator"},
    "applying": {"planning", "diff", "registry", "model"},
    "api": {"loading", "validation", "diff", "planning", "applying", "registry", "model"},
    "render": {"planning", "diff", "applying", "validation", "loading", "model"},
    "cli": {"api", "render", "model", "loading", "validation", "planning", "applying",
            "emulator", "registry", "diff"},
}
SHARED = {"__version__", "errors", "redaction"}

# Outside libraries and the only layers allowed to import them.
ALLOWED_EXTERNAL: dict[str, set[str]] = {
    "httpx": {"registry", "emulator"},
    "yaml": {"loading"},
    "deepdiff": {"diff"},
    "jsonschema": {"loading", "validation"},
    "starlette": {"emulator"},
    "uvicorn": {"emulator"},
    "sqlite3": {"emulator"},
    "click": {"cli", "render"},
    "databricks": {"registry"},
}

# The pure core does no I/O, reads no clock and no randomness, and starts no event loop.
PURE = {"diff", "planning", "validation"}
IMPURE_MODULES = {
    "asyncio", "datetime", "http", "httpx", "io", "os", "pathlib", "random", "requests",
    "shutil", "socket", "sqlite3", "subprocess", "tempfile", "threading", "time", "urllib",
}
IMPURE_CALLS = {"open", "input", "print"}

# Only the command lines write to the terminal: ``cli`` and the GitHub Action's entry point
# (``github_action``, which drives the CLI as a subprocess). ``redaction.redacted_stdio``
# wraps the streams for the CLI (it masks, it does not print).
PRINT_CALLS = {"print", "echo", "secho"}
PRINTERS = {"cli", "github_action"}
STREAM_OWNERS = PRINTERS | {"redaction"}


@dataclass(frozen=True)
class Import:
    name: str
    line: int


def layer_of(path: Path, package: Path = PACKAGE) -> str:
    rel = path.relative_to(package)
    return rel.parts[0].removesuffix(".py") if len(rel.parts) > 1 or rel.suffix else ""


def imports_of(tree: ast.AST, module_parts: tuple[str, ...]) -> list[Import]:
    """Every imported module, with ``from X import y`` recorded as ``X.y`` too (so ``from
    reconciler import registry`` is an import of ``reconciler.registry``)."""
    found: list[Import] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(Import(alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module_parts[: len(module_parts) - node.level]
                module = ".".join((*base, node.module or "")).rstrip(".")
            else:
                module = node.module or ""
            found.append(Import(module, node.lineno))
            found.extend(Import(f"{module}.{alias.name}", node.lineno) for alias in node.names
                         if module.split(".")[0] == "reconciler")
    return found


def _allowed(layer: str, inner: str) -> bool:
    first = inner.split(".")[0]
    if first == layer or first in SHARED:
        return True
    return any(inner == a or inner.startswith(a + ".") for a in ALLOWED_INTERNAL.get(layer, ()))


def problems_in(path: Path, package: Path = PACKAGE) -> list[str]:
    """Every contract violation in one module of ``package``."""
    layer = layer_of(path, package)
    if layer in {"", "__init__", "__main__"}:
        return []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parts = ("reconciler", *path.relative_to(package).with_suffix("").parts)
    problems: list[str] = []
    for imp in imports_of(tree, parts):
        top = imp.name.split(".")[0]
        where = f"line {imp.line}"
        if top == "reconciler":
            inner = imp.name.removeprefix("reconciler").lstrip(".")
            if inner and not _allowed(layer, inner):
                problems.append(f"{where}: {layer} must not import reconciler.{inner}")
        elif top in ALLOWED_EXTERNAL and layer not in ALLOWED_EXTERNAL[top]:
            problems.append(f"{where}: {layer} must not import {imp.name} (kept behind "
                            f"{', '.join(sorted(ALLOWED_EXTERNAL[top]))})")
        if layer in PURE and top in IMPURE_MODULES:
            problems.append(f"{where}: {layer} is pure and must not import {imp.name}")
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call | ast.Attribute):
            continue
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else (
                func.attr if isinstance(func, ast.Attribute) else "")
            if layer in PURE and isinstance(func, ast.Name) and name in IMPURE_CALLS:
                problems.append(f"line {node.lineno}: {layer} is pure and must not call "
                                f"{name}()")
            elif layer not in PRINTERS and name in PRINT_CALLS and (
                    isinstance(func, ast.Name) or _is_click(func)):
                problems.append(f"line {node.lineno}: only cli prints ({name}() in {layer})")
        elif node.attr in ("stdout", "stderr") and isinstance(node.value, ast.Name) \
                and node.value.id == "sys" and layer not in STREAM_OWNERS:
            problems.append(f"line {node.lineno}: only cli writes to sys.{node.attr}")
    return problems


def _is_click(func: ast.expr) -> bool:
    return isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
        and func.value.id == "click"


def _sources() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_layer_contract(path: Path) -> None:
    problems = problems_in(path)
    assert not problems, f"{path.relative_to(PACKAGE.parent)}: " + "; ".join(problems)


def private_imports_in(path: Path, package: Path = PACKAGE) -> list[str]:
    """``from reconciler.x import _name`` from another module: a private name used outside
    its module (shared helpers belong in a module of their own, e.g. ``cli/options.py``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parts = ("reconciler", *path.relative_to(package).with_suffix("").parts)
    found: list[str] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level:
            base = parts[: len(parts) - node.level]
            module = ".".join((*base, node.module or "")).rstrip(".")
        else:
            module = node.module or ""
        if module.split(".")[0] != "reconciler" or module == ".".join(parts):
            continue
        found.extend(f"line {node.lineno}: {alias.name} from {module}" for alias in node.names
                     if alias.name.startswith("_") and not alias.name.startswith("__"))
    return found


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_private_name_is_imported_from_another_module(path: Path) -> None:
    found = private_imports_in(path)
    assert not found, f"{path.relative_to(PACKAGE.parent)}: " + "; ".join(found)
