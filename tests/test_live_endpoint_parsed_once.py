"""A live endpoint is parsed once, in the registry (docs/architecture.md, "The live endpoint").

Library code reads endpoints through ``RegistryClient.read_endpoint/read_endpoints``, which
hand out a ``LiveEndpoint``, and passes that view down: the planner and the diff take it too
(``build_plan`` maps names to views). A second ``LiveEndpoint.of`` or a raw
``get_endpoint``/``list_endpoints`` read elsewhere re-parses the body by another route, and
the two readings drift (a hostile shape handled in one and not the other). The check walks
every library module outside registry/ for such calls.
"""

from __future__ import annotations

import ast
from pathlib import Path

import reconciler

LIBRARY = Path(reconciler.__file__).parent
REGISTRY = LIBRARY / "registry"
EMULATOR = LIBRARY / "emulator"
RAW_READS = {"get_endpoint", "list_endpoints"}


def _reparses(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        func = node.func
        parses = func.attr == "of" and isinstance(func.value, ast.Name) \
            and func.value.id == "LiveEndpoint"
        if parses or func.attr in RAW_READS:
            found.append(f"{path.relative_to(LIBRARY.parent)}:{node.lineno}: .{func.attr}(")
    return found


def test_only_the_registry_parses_live_endpoints() -> None:
    offenders = [
        hit for path in sorted(LIBRARY.rglob("*.py"))
        # the registry parses; the emulator is the server, not a reader
        if REGISTRY not in path.parents and EMULATOR not in path.parents
        for hit in _reparses(path)
    ]
    assert offenders == [], ("read endpoints with registry.read_endpoint/read_endpoints and "
                             "pass the LiveEndpoint down:\n" + "\n".join(offenders))
