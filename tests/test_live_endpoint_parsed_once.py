"""A live endpoint is parsed once, in the registry (docs/architecture.md, "The live endpoint").

Library code reads endpoints through ``RegistryClient.read_endpoint/read_endpoints``, which
hand out a ``LiveEndpoint``, and passes that view down. A second ``LiveEndpoint.of`` or a raw
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
# Modules not moved to the typed view yet (issue 11 item 3); each must leave this list, never
# join it. The test fails when one listed no longer needs to be.
NOT_YET: set[str] = {
    "reconciler/planning/planner.py",
    "reconciler/diff/compare.py",
    "reconciler/diff/applied_marks.py",
}


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


def _offenders() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for path in sorted(LIBRARY.rglob("*.py")):
        if REGISTRY in path.parents or EMULATOR in path.parents:
            continue  # the registry parses; the emulator is the server, not a reader
        hits = _reparses(path)
        if hits:
            out[str(path.relative_to(LIBRARY.parent))] = hits
    return out


def test_only_the_registry_parses_live_endpoints() -> None:
    offenders = _offenders()
    new = [hit for module, hits in offenders.items() if module not in NOT_YET for hit in hits]
    assert new == [], ("read endpoints with registry.read_endpoint/read_endpoints and pass "
                       "the LiveEndpoint down:\n" + "\n".join(new))


def test_the_list_of_modules_not_yet_moved_is_current() -> None:
    done = sorted(NOT_YET - set(_offenders()))
    assert done == [], f"these modules no longer re-parse: remove them from NOT_YET: {done}"
