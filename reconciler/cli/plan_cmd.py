"""``reconciler plan``, ``apply`` and ``export``: parse options, call reconciler.api, render, exit.

Exit codes (DESIGN.md section 3): 0 success or nothing to do; 1 error, failed apply or stale
plan; 2 when ``plan --detailed-exitcode`` finds changes. Progress goes to stderr, results to
stdout; colour only on a terminal and never with NO_COLOR.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click

from reconciler import errors
from reconciler.api import progressive as api_progressive
from reconciler.api import saved_plans, service_gitops, workflow
from reconciler.api.manifest_files import manifest_files, write_manifest
from reconciler.applying.rollout import RolloutOptions
from reconciler.cli.interrupts import (
    APPLY_FIRST,
    APPLY_SECOND,
    INTERRUPTED_EXIT,
    Interrupts,
    stop_on_signals,
)
from reconciler.cli.options import (
    colour,
    common_options,
    echo_report,
    format_option,
    load_cli_project,
    max_rps_option,
    parallelism_option,
    parse_duration,
    say_env_references,
    select_option,
)
from reconciler.cli.progress import ProgressDisplay
from reconciler.planning.plan import Plan
from reconciler.planning.rollout import parse_steps
from reconciler.render import formats, manifest_yaml, plan_requests, rollout


def _parse_steps(_ctx: click.Context, _param: click.Parameter, value: str | None
                 ) -> tuple[int, ...] | None:
    if value is None:
        return None
    try:
        return tuple(parse_steps(value))
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


progressive_option = click.option(
    "--progressive", "progressive", metavar="STEPS", default=None, callback=_parse_steps,
    help="Stage updates that move traffic to a new served entity: percentages, e.g. 10,50,100.")
gate_queries_option = click.option(
    "--gate-queries", type=click.IntRange(1, 1000), default=10, show_default=True,
    help="Smoke queries after each rollout step (--progressive).")


def apply_hint(project_dir: Path, target: str, cli_vars: tuple[str, ...], out: Path) -> str:
    """The command that applies a saved plan, with the folder, target and variables it was
    planned with (without them it would load another project or target, and fail)."""
    args = ["reconciler", "apply"]
    if project_dir != Path("."):
        args += ["-C", str(project_dir)]
    args += ["-t", target]
    for pair in cli_vars:
        args += ["--var", pair]
    return shlex.join([*args, str(out)])


adopt_option = click.option(
    "--adopt-legacy-ownership", "adopt_legacy_ownership", is_flag=True,
    help="Adopt the endpoints (and Unity services) that a manifest declares and that are "
         "tagged with this project's name but no project id (written before project ids): "
         "apply adds the id. Only from the repository that really owns them "
         "(docs/ownership.md).")


@click.command("plan")
@common_options
@max_rps_option
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Also save the plan as JSON, for `reconciler apply FILE`.")
@format_option(formats.PLAN)
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when there are changes.")
@select_option
@click.option("--prune", is_flag=True, help="Plan deletes of our endpoints not in manifests.")
@click.option("--allow-recreate", is_flag=True, help="Plan recreates where a change needs one.")
@adopt_option
@click.option("--show-requests", is_flag=True,
              help="Also list every request apply will send (method, URL, body).")
@parallelism_option
@progressive_option
@gate_queries_option
def plan_command(project_dir: Path, target: str | None, cli_vars: tuple[str, ...],
                 out: Path | None, fmt: str, detailed_exitcode: bool, select: tuple[str, ...],
                 prune: bool, allow_recreate: bool, adopt_legacy_ownership: bool,
                 show_requests: bool, parallelism: int, progressive: tuple[int, ...] | None,
                 gate_queries: int) -> int:
    """Show what apply would change on the target (read-only)."""
    project = load_cli_project(project_dir, target, cli_vars)
    settings = workflow.PlanSettings(select=workflow.selected(select), prune=prune,
                                     allow_recreate=allow_recreate, parallelism=parallelism,
                                     adopt_legacy_ownership=adopt_legacy_ownership)
    plan = workflow.plan(project, settings)
    if out is not None:
        saved_plans.save_plan(plan, out)
        click.echo(f"Saved the plan to {out}; apply it with: "
                   f"{apply_hint(project_dir, plan.target_name, cli_vars, out)}", err=True)
    echo_report(formats.PLAN, fmt, plan)
    if show_requests:
        # On stderr for the machine formats, so their stdout stays one document.
        click.echo(plan_requests.render_requests(saved_plans.planned_requests(plan)), nl=False,
                   err=fmt != "text")
    if progressive is not None:
        staged = api_progressive.preview(project, plan, progressive, parallelism)
        # Machine formats keep stdout one document: the steps go to stderr then.
        click.echo(rollout.preview_text(
            staged, progressive, gate_queries), err=fmt != "text")
    return 2 if detailed_exitcode and plan.has_changes else 0


@click.command("apply")
@common_options
@max_rps_option
@click.argument("planfile", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--auto-approve", is_flag=True, help="Apply without asking.")
@parallelism_option
@click.option("--no-wait", is_flag=True, help="Do not wait for config updates to finish.")
@click.option("--timeout", default="20m", show_default=True, callback=parse_duration,
              help="How long to wait for config updates (90s, 20m, 1h).")
@click.option("--allow-recreate", is_flag=True, help="Recreate where a change needs it.")
@click.option("--prune", is_flag=True, help="Delete our endpoints that no manifest declares.")
@adopt_option
@select_option
@format_option(formats.APPLY, help="Format of the apply report on stdout.")
@click.option("--smoke", is_flag=True,
              help="Send each created or changed endpoint its smoke query once it is ready.")
@progressive_option
@click.option("--step-pause", default="0s", show_default=True, callback=parse_duration,
              help="Pause after each rollout step's update, before its gate (--progressive).")
@gate_queries_option
@click.option("--gate-success", type=click.FloatRange(0.0, 1.0), default=1.0,
              show_default=True, help="Share of gate queries that must pass (--progressive).")
def apply_command(project_dir: Path, target: str | None, cli_vars: tuple[str, ...],
                  planfile: Path | None, auto_approve: bool, parallelism: int, no_wait: bool,
                  timeout: float, allow_recreate: bool, prune: bool,
                  adopt_legacy_ownership: bool, select: tuple[str, ...],
                  fmt: str, smoke: bool, progressive: tuple[int, ...] | None,
                  step_pause: float, gate_queries: int, gate_success: float) -> int:
    """Converge the target to the manifests (or to a saved PLANFILE), then report."""
    if (smoke or progressive) and no_wait:
        raise click.UsageError("--smoke and --progressive query endpoints once they are "
                               "ready: they cannot be combined with --no-wait")
    project = load_cli_project(project_dir, target, cli_vars)
    if planfile is not None and (allow_recreate or prune or select or adopt_legacy_ownership):
        raise click.UsageError("--allow-recreate, --prune, --adopt-legacy-ownership and "
                               "--select are set when the plan is made (`reconciler plan "
                               "--out FILE ...`), not here")
    plan = saved_plans.load_saved_plan(planfile, project) if planfile else workflow.plan(
        project, workflow.PlanSettings(select=workflow.selected(select), prune=prune,
                                       allow_recreate=allow_recreate, parallelism=parallelism,
                                       adopt_legacy_ownership=adopt_legacy_ownership))
    to_stderr = fmt == "json"
    echo_report(formats.PLAN, "text", plan, err=to_stderr)
    if planfile is not None and plan.has_changes:
        # A saved plan is applied as written: show exactly what that sends before asking.
        click.echo(plan_requests.render_requests(saved_plans.planned_requests(plan)), nl=False,
                   err=to_stderr)
    if not plan.has_changes:
        if fmt != "text":  # a machine format always gets its document
            echo_report(formats.APPLY, fmt, workflow.empty_report(plan))
        return 0
    confirm_apply(plan, auto_approve)
    plan = plan.for_apply()  # shown and approved: let its field-by-field changes go
    progress = ProgressDisplay(sys.stderr, interactive=sys.stderr.isatty(),
                               colour=colour("stderr"))
    # SIGINT/SIGTERM from here on: finish what is being written and report (exit 130);
    # a second signal stops at once and still reports (docs/apply.md, "Interrupting").
    with stop_on_signals(Interrupts(), say=(APPLY_FIRST, APPLY_SECOND)) as interrupts:
        report = workflow.apply(project, plan, workflow.ApplySettings(
            parallelism=parallelism, wait=not no_wait, timeout=timeout,
            on_event=progress.event, on_wait_progress=progress.waiting, smoke=smoke,
            progressive=None if progressive is None else RolloutOptions(
                steps=progressive, step_pause=step_pause, gate_queries=gate_queries,
                gate_success=gate_success),
            stop_requested=interrupts.finish.is_set, stop_now=interrupts.now.is_set),
            saved=planfile is not None)
    progress.finish()
    echo_report(formats.APPLY, fmt, report)
    if interrupts.signalled:
        return INTERRUPTED_EXIT
    return 0 if report.ok else 1


def confirm_apply(plan: Plan, auto_approve: bool) -> None:
    """Ask on a terminal; refuse rather than hang without one."""
    if auto_approve:
        return
    if not sys.stdin.isatty():
        raise errors.ConfirmationRequired(
            "apply needs confirmation and there is no terminal to ask on; review the plan "
            "and pass --auto-approve (or apply a saved plan: reconciler apply FILE "
            "--auto-approve)")
    click.confirm(f"Apply these changes to target {plan.target_name!r}?", abort=True, err=True)


@click.command("export")
@common_options
@max_rps_option
@select_option
@click.option("--all", "all_", is_flag=True,
              help="Every live endpoint (and service of the schemas), not only ours.")
@click.option("--schema", "schemas", multiple=True, metavar="CATALOG.SCHEMA",
              help="Also export the Unity AI Gateway services of this schema (repeatable; "
                   "the schemas the project's service manifests use are always read).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Write one NAME.yaml per endpoint into this folder (default: stdout).")
@click.option("--force", is_flag=True, help="Overwrite existing NAME.yaml files in --out.")
@parallelism_option
def export_command(project_dir: Path, target: str | None, cli_vars: tuple[str, ...],
                   select: tuple[str, ...], all_: bool, schemas: tuple[str, ...],
                   out: Path | None, force: bool, parallelism: int) -> int:
    """Write clean manifests for live endpoints and Unity AI Gateway services (ours,
    --select'ed by name or catalog.schema.id, or --all)."""
    project = load_cli_project(project_dir, target, cli_vars)
    manifests = workflow.export(project, workflow.ExportSettings(
        select=workflow.selected(select), all=all_, parallelism=parallelism,
        schemas=workflow.selected(schemas)))
    say_env_references(manifests)
    if out is None:
        click.echo(manifest_yaml.to_yaml_documents(manifests), nl=False)
        return 0
    endpoints = [m for m in manifests if "kind" not in m]
    services = [m for m in manifests if "kind" in m]
    manifests = endpoints + services
    files = manifest_files(out, [str(m["name"]) for m in endpoints], force=force,
                           origin="the registry's endpoint name") + manifest_files(
        out, [str(m["name"]) for m in services], force=force,
        origin="the registry's service name", check=service_gitops.check_service_name)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise errors.ReconcilerError(f"cannot create {out}: {exc.strerror}") from exc
    for file, manifest in zip(files, manifests, strict=True):
        write_manifest(file, manifest_yaml.to_yaml(manifest))
        click.echo(f"{'overwrote' if file.exists else 'wrote'} {file.path}", err=True)
    if not manifests:
        click.echo("No endpoints or services to export.", err=True)
    return 0


COMMANDS: list[click.Command] = [plan_command, apply_command, export_command]
