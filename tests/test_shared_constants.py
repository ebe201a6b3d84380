"""The reserved tags and the Databricks-provided prefix are spelled once, in model/vocabulary.py.

A second definition drifts: a renamed tag would be written by one module and not recognised
by another. The check walks every library module's string literals, so a copy anywhere
(an assignment, a default argument, an inline ``startswith("databricks-")``) fails.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import reconciler

LIBRARY = Path(reconciler.__file__).parent
VOCABULARY = LIBRARY / "model" / "vocabulary.py"
RESERVED = re.compile(r"^(databricks-|reconciler-[a-z]+(-[a-z]+)*)$")
# Literals with the same spelling that are not tags: a thread name.
NOT_TAGS = {"reconciler-loop"}


def _copies(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    for node in ast.walk(tree):
        value = node.value if isinstance(node, ast.Constant) else None
        if isinstance(value, str) and RESERVED.match(value) and value not in NOT_TAGS:
            found.append(f"{path.relative_to(LIBRARY.parent)}:{node.lineno}: {value!r}")
    return found


def test_reserved_names_are_defined_only_in_the_vocabulary() -> None:
    copies = [hit for path in sorted(LIBRARY.rglob("*.py")) if path != VOCABULARY
              for hit in _copies(path)]
    assert copies == [], "import these from reconciler.model.vocabulary:\n" + "\n".join(copies)

