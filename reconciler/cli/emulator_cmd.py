"""``reconciler emulator serve``: run the local Databricks serving-endpoints API."""

from __future__ import annotations

import secrets
from pathlib import Path

import click

from reconciler.cli.options import FiniteFloatRange
from reconciler.emulator import server
from reconciler.emulator.settings import DEFAULT_CREATOR, EmulatorSettings, parse_normalise
from reconciler.emulator.store import StoreError


@click.group("emulator")
def emulator_group() -> None:
    """The local Databricks serving-endpoints API (for tests, CI and trying things out)."""


def _normalise_option(_ctx: click.Context, _param: click.Parameter,
                      values: tuple[str, ...]) -> dict[str, object]:
    out: dict[str, object] = {}
    for text in values:
        try:
            path, value = parse_normalise(text)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None
        out[path] = value
    return out


@emulator_group.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8787, show_default=True, type=click.IntRange(0, 65535),
              help="Port to bind; 0 picks a free one.")
@click.option("--db", "db", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="SQLite file to keep endpoints in (default: in memory, lost on exit).")
@click.option("--token", envvar="RECONCILER_EMULATOR_TOKEN", default=None,
              help="Bearer token clients must send [env: RECONCILER_EMULATOR_TOKEN]; "
                   "a random one is made and printed if unset.")
@click.option("--ready-after", type=FiniteFloatRange(min=0, max=86400), default=0.0,
              show_default=True,
              metavar="SECONDS", help="How long a create or config update stays in progress.")
@click.option("--latency-ms", type=click.IntRange(min=0), default=0, show_default=True,
              help="Delay added to every API request.")
@click.option("--fault-rate", type=FiniteFloatRange(0, 1), default=0.0, show_default=True,
              help="Share of API requests answered 429 (with Retry-After) or 503.")
@click.option("--drop-rate", type=FiniteFloatRange(0, 1), default=0.0, show_default=True,
              help="Share of API requests whose connection is closed without an answer.")
@click.option("--retry-after", type=click.IntRange(min=0), default=1, show_default=True,
              metavar="SECONDS", help="Retry-After header of injected 429/503 answers.")
@click.option("--max-rps", type=FiniteFloatRange(min=0), default=0.0, show_default=True,
              metavar="N", help="Answer 429 with Retry-After above N API requests in any "
                               "one second, as a throttled workspace does (0: no limit).")
@click.option("--seed", type=int, default=None,
              help="Seed for faults, drops and the traffic split of queries (replayable).")
@click.option("--request-log", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Append one JSON line per request: method, path, status, ms.")
@click.option("--user-name", default=DEFAULT_CREATOR, show_default=True,
              help="The token's identity: creator of new endpoints and SCIM Me's userName "
                   "(a UUID makes it a service principal's application id).")
@click.option("--enforce-unity-gateway", is_flag=True, default=False,
              help="Play the workspace setting: refuse external-model serving endpoints.")
@click.option("--normalise", "normalise", multiple=True, callback=_normalise_option,
              metavar="FIELD=VALUE",
              help="Play a service that keeps VALUE (JSON, else a string) at this config "
                   "path whatever is sent, e.g. served_entities[].scale_to_zero_enabled=false "
                   "([] = every element); repeatable.")
@click.option("--log-level", type=click.Choice(["debug", "info", "warning", "error"]),
              default="warning", show_default=True, help="Server log level.")
def serve_command(host: str, port: int, db: Path | None, token: str | None, ready_after: float,
                  latency_ms: int, fault_rate: float, drop_rate: float, retry_after: int,
                  max_rps: float, seed: int | None, request_log: Path | None, user_name: str,
                  enforce_unity_gateway: bool, normalise: dict[str, object],
                  log_level: str) -> None:
    """Serve the serving-endpoints API until interrupted (Ctrl-C)."""
    if fault_rate + drop_rate > 1:
        raise click.BadParameter("--fault-rate plus --drop-rate must not exceed 1")
    if token is not None and (not token.strip() or token != token.strip()):
        # An empty token would turn authentication off: a server always requires one.
        raise click.BadParameter("must be a non-empty token without surrounding whitespace "
                                 "(omit it for a random one)", param_hint="--token")
    if token is None:
        token = "dapi-emulator-" + secrets.token_hex(12)
        click.echo(f"Generated token: {token}", err=True)
    try:
        settings = EmulatorSettings(
            db_path=db, token=token, ready_after=ready_after, latency_ms=latency_ms,
            fault_rate=fault_rate, drop_rate=drop_rate, seed=seed, request_log=request_log,
            retry_after_seconds=retry_after, creator=user_name, max_rps=max_rps,
            enforce_unity_gateway=enforce_unity_gateway, normalise=normalise,
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"Warning: binding {host}; the emulator is meant for loopback use.", err=True)

    def ready(bound_host: str, bound_port: int) -> None:
        store = str(db) if db else "in memory"
        click.echo(f"Emulator listening on http://{bound_host}:{bound_port} (data: {store})",
                   err=True)
        click.echo(f"  export DATABRICKS_HOST=http://{bound_host}:{bound_port}", err=True)

    try:
        server.serve(settings, host=host, port=port, on_ready=ready, log_level=log_level)
    except StoreError as exc:
        raise click.ClickException(f"{exc}; pass another --db file (or delete this one if it "
                                   "was the emulator's: its endpoints are lost)") from exc


COMMANDS: list[click.Command] = [emulator_group]
