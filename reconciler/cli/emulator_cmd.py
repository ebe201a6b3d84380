"""Commands of this area; see the module that registers them in ``commands.py``."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
