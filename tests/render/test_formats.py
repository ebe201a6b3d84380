"""Every command's ``--format`` comes from its report's format table (render/formats.py)."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from reconciler.cli.main import cli
from reconciler.render import formats

TABLES = {
    "plan": formats.PLAN, "show": formats.PLAN, "apply": formats.APPLY, "drift": formats.DRIFT,
    "validate": formats.ISSUES, "test": formats.SMOKE,
}


@pytest.mark.parametrize("command", sorted(TABLES))
def test_format_choices_are_the_tables_names(command: str) -> None:
    assert isinstance(cli, click.Group)
    cmd = cli.commands[command]
    option = next(p for p in cmd.params if p.name == "fmt")
    assert isinstance(option.type, click.Choice)
    assert list(option.type.choices) == list(TABLES[command])
    assert option.default == "text"


def test_every_validate_format_lists_the_rules() -> None:
    assert list(formats.RULES) == list(formats.ISSUES)
    runner = CliRunner()
    for fmt in formats.RULES:
        result = runner.invoke(cli, ["validate", "--list-rules", "--format", fmt])
        assert result.exit_code == 0, result.output
        assert "LOAD-001" in result.output
