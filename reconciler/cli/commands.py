"""The commands `reconciler` offers; each area keeps its commands in a `*_cmd` module."""

from __future__ import annotations

import click

from reconciler.cli import (
    completion,
    emulator_cmd,
    gitops_cmd,
    init_cmd,
    migrate_cmd,
    plan_cmd,
    reconcile_cmd,
    show_cmd,
    test_cmd,
    validate_cmd,
)

ALL: list[click.Command] = [*validate_cmd.COMMANDS, *plan_cmd.COMMANDS, *emulator_cmd.COMMANDS]
ALL += reconcile_cmd.COMMANDS
ALL += gitops_cmd.COMMANDS
ALL += [*show_cmd.COMMANDS, *init_cmd.COMMANDS, *completion.COMMANDS]
ALL += migrate_cmd.COMMANDS
ALL += test_cmd.COMMANDS
