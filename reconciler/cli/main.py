"""Entry point of ``reconciler``: builds the command group and maps errors to exit codes.

Exit codes (DESIGN.md section 3): 0 success or nothing to do; 1 any error; 2 changes found by
``plan --detailed-exitcode`` or ``drift``; 130 stopped by SIGINT or SIGTERM
(cli/interrupts.py). ``ReconcilerError`` is printed as its message;
anything else is a bug, reported as one short masked line (the masked traceback with
``--debug``): an uncaught traceback would bypass the masking of the output streams.
"""

from __future__ import annotations

import sys
import traceback

import click

from reconciler import errors
from reconciler.cli import commands
from reconciler.redaction import redact_text, redacted_stdio, secret_run


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="serving-reconciler", prog_name="reconciler")
def cli() -> None:
    """Keep Databricks Model Serving endpoints in Git: validate, plan, apply."""
    # The command runs in one secret run (the one main() opened, or a new one when the group
    # is invoked directly, as click's test runner does), ended when the command is.
    click.get_current_context().with_resource(secret_run())


for _command in commands.ALL:
    cli.add_command(_command)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI and exit with its code; never shows a traceback unless ``--debug``.

    Everything written to stdout and stderr passes through the redaction layer (DESIGN.md
    section 7): one boundary for every command, format and log line. The invocation is one
    secret run: what it loads or resolves is masked in all its output, errors included, and
    nothing of it is left for the next invocation in the same process.
    """
    with secret_run(), redacted_stdio():
        _main(argv)


def _main(argv: list[str] | None) -> None:
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        result = cli.main(args=args, prog_name="reconciler", standalone_mode=False)
    except click.exceptions.Abort as exc:
        # click turns Ctrl-C (KeyboardInterrupt) into Abort: an interrupt exits 130; a
        # prompt answered "no" (or Ctrl-C at the prompt, which click raises from None) 1.
        if isinstance(exc.__cause__, KeyboardInterrupt):
            click.echo("Interrupted.", err=True)
            sys.exit(130)
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except errors.ReconcilerError as exc:
        if debug:
            click.echo(redact_text(traceback.format_exc()), err=True, nl=False)
        click.echo(f"Error: {redact_text(str(exc))}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except Exception as exc:  # a bug: still masked, still short unless --debug
        # Left to Python, the traceback would be printed after the masked streams are gone.
        if debug:
            click.echo(redact_text(traceback.format_exc()), err=True, nl=False)
        where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
        at = f" at {where.filename}:{where.lineno}" if where else ""
        click.echo(f"Error: internal error {type(exc).__name__}{at}: "
                   f"{redact_text(str(exc))[:500]}; this is a bug in serving-reconciler, "
                   "please report it (with --debug for the traceback)", err=True)
        sys.exit(1)
    sys.exit(result if isinstance(result, int) else 0)
