"""The facet table is complete and is the one source of facet knowledge."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import get_args

from reconciler.diff.applied_marks import MARK_KEYS
from reconciler.diff.facets import FACET_BY_KEY, FACETS, facet_of_key, facet_of_step
from reconciler.model.endpoint import ServingEndpoint
from reconciler.model.steps import STEP_OPS, PlanStep
from reconciler.model.vocabulary import FACET_ORDER, Facet
from reconciler.registry.routes import route

PACKAGE = Path(__file__).resolve().parents[2] / "reconciler"


def test_every_facet_has_exactly_one_row_in_the_write_order() -> None:
    assert tuple(s.name for s in FACETS) == FACET_ORDER == get_args(Facet)
    assert len({s.key for s in FACETS}) == len({s.mark for s in FACETS}) == len(FACETS)


def test_each_row_names_a_manifest_block_a_step_and_a_route() -> None:
    for spec in FACETS:
        assert spec.key in ServingEndpoint.model_fields
        assert facet_of_key(spec.key) == spec.name and FACET_BY_KEY[spec.key] is spec
        assert spec.op in STEP_OPS
        step_class = next(c for c in get_args(get_args(PlanStep)[0])
                          if c.model_fields["op"].default == spec.op)
        assert step_class.model_fields["facet"].default == spec.name
        step = step_class.model_construct(endpoint="ep", body={}, replace=True)
        assert facet_of_step(step) is spec
        method, path = route(step, "0123abcd")
        assert method in ("PUT", "PATCH")
        # Grants have their own API, keyed by the endpoint's id (known at apply).
        assert path == "/api/2.0/permissions/serving-endpoints/0123abcd" \
            or path.startswith("/api/2.0/serving-endpoints/ep/")
        # A write the service does not guard must be checked after writing.
        assert spec.guarded or spec.lost is not None
    assert {s.name: s.mark for s in FACETS} == MARK_KEYS


def test_no_library_module_branches_on_facet_names() -> None:
    """No ``if facet == "..."`` / ``case "notifications"`` chains outside the table."""
    names = set(FACET_ORDER)
    offenders: list[str] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name in ("facets.py", "vocabulary.py") or "emulator" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Compare) and isinstance(node.left, ast.Name) \
                    and node.left.id in ("facet", "name") and any(
                        isinstance(c, ast.Constant) and c.value in names
                        for c in node.comparators):
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
            if isinstance(node, ast.match_case) and isinstance(node.pattern, ast.MatchValue) \
                    and isinstance(node.pattern.value, ast.Constant) \
                    and node.pattern.value.value in names:
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert not offenders, offenders
