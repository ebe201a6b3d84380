"""Runs every golden plan case (see tests/planning/golden.py for the format)."""

from __future__ import annotations

import json
import os

import pytest

from planning import golden


@pytest.mark.parametrize("case", golden.case_names())
def test_golden_plan(case: str) -> None:
    actual = golden.expected_view(golden.plan_case(case))
    expected_file = golden.CASES / case / "expected.json"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        expected_file.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n")
    assert expected_file.exists(), f"{expected_file} missing: run with UPDATE_GOLDEN=1"
    expected = json.loads(expected_file.read_text())
    assert actual == expected


def test_there_are_enough_cases() -> None:
    assert len(golden.case_names()) >= 20
