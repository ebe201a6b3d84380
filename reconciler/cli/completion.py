"""Shell completion (bash, zsh, fish) with the project's own target and endpoint names.

Click does the shell side (``_RECONCILER_COMPLETE=bash_source reconciler`` prints the script;
``reconciler completion bash`` is the same, easier to remember). The functions here complete
``-t/--target`` with the targets of ``reconciler.yaml`` and ``--select`` (and ``import``'s
names) with the endpoint names of the manifests, read from ``-C DIR`` when given on the line,
else the current folder. Completion must never fail or print: any problem yields nothing.
"""

from __future__ import annotations

from pathlib import Path

import click
from click.shell_completion import CompletionItem, get_completion_class

from reconciler import errors
from reconciler.loading import project as project_loading

SHELLS = ("bash", "zsh", "fish")


def _root(ctx: click.Context) -> Path:
    value = ctx.params.get("project_dir")
    return value if isinstance(value, Path) else Path(".")


def complete_targets(ctx: click.Context, _param: click.Parameter,
                     incomplete: str) -> list[CompletionItem]:
    try:
        project_file, _ = project_loading.read_project_file(_root(ctx))
    except (errors.ReconcilerError, OSError):
        return []
    return [CompletionItem(name, help=target.host or target.local or None)
            for name, target in sorted(project_file.targets.items())
            if name.startswith(incomplete)]


def complete_endpoints(ctx: click.Context, _param: click.Parameter,
                       incomplete: str) -> list[CompletionItem]:
    target = ctx.params.get("target")
    try:
        parts = project_loading.read_project_parts(
            _root(ctx), target if isinstance(target, str) else None)
    except (errors.ReconcilerError, OSError):
        return []
    # "a,b,c": complete the last name of a comma-separated --select value.
    head, _, last = incomplete.rpartition(",")
    prefix = f"{head}," if head else ""
    names = sorted({e.endpoint.name for e in parts.project.endpoints})
    return [CompletionItem(prefix + name) for name in names if name.startswith(last)]


@click.command("completion")
@click.argument("shell", type=click.Choice(SHELLS))
def completion_command(shell: str) -> None:
    """Print the shell completion script: eval "$(reconciler completion bash)".

    \b
    bash: eval "$(reconciler completion bash)"          (in ~/.bashrc)
    zsh:  eval "$(reconciler completion zsh)"           (in ~/.zshrc)
    fish: reconciler completion fish > ~/.config/fish/completions/reconciler.fish
    """
    root = click.get_current_context().find_root()
    cls = get_completion_class(shell)
    assert cls is not None  # every name in SHELLS is one of click's
    script = cls(root.command, {}, "reconciler", "_RECONCILER_COMPLETE").source()
    click.echo(script, nl=not script.endswith("\n"))


COMMANDS: list[click.Command] = [completion_command]
