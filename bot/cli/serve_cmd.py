"""``launchready serve`` (the Slack app and the service's HTTP endpoints) and
``launchready manifest`` (the Slack app manifest to create the app in one step)."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import typer
import yaml

from bot.cli.common import EXIT_USAGE, ConfigOption, err, load_or_exit

__all__ = ["register", "serve", "worker"]


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("manifest")(manifest)
    app.command("worker")(worker)


def serve(
    config: Path = ConfigOption,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(3000, "--port", min=0, max=65535, help="Port to listen on."),
    log_level: str = typer.Option("info", "--log-level", help="debug, info, warning or error."),
) -> None:
    """Serve the Slack app (POST /slack/events), GET /healthz and the ingest endpoints.

    Reads SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET; SLACK_APP_TOKEN switches to Socket Mode;
    SLACK_API_URL points the Web API client elsewhere (tests use a local fake).
    """
    from aiohttp import web

    from bot.app.runtime import Runtime
    from bot.app.server import build_server
    from bot.slack.app import SettingsError, SlackSettings, build_app
    from bot.store import StoreError

    try:
        settings = SlackSettings.from_env(os.environ)
    except SettingsError as exc:
        err.print(f"[red]error:[/red] {exc}", markup=True)
        raise typer.Exit(EXIT_USAGE) from None
    app_config = load_or_exit(config)
    _configure_logging(log_level, settings.secrets)
    try:
        mode = runs_mode(os.environ)
        runtime = Runtime.open(app_config, isolate_runs=mode != "inprocess")
        if mode in ("workers", "queue"):
            runtime.workers = run_workers(mode, config, runtime, log_level)
    except StoreError as exc:
        err.print(f"[red]error:[/red] database: {exc}", markup=True)
        raise typer.Exit(EXIT_USAGE) from None
    except Exception as exc:  # ConfigError from the checklist, with key paths
        lines = getattr(exc, "errors", None) or [str(exc)]
        for line in lines:
            err.print(f"[red]error:[/red] {line}", markup=True)
        raise typer.Exit(EXIT_USAGE) from None
    bolt = build_app(runtime, settings)
    socket = None
    if settings.app_token:
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        socket = AsyncSocketModeHandler(bolt, settings.app_token)
    application = build_server(runtime, bolt, socket_mode=socket)
    mode = "Socket Mode" if socket else f"http://{host}:{port}/slack/events"
    try:
        web.run_app(
            application,
            host=host,
            port=port,
            access_log=None,
            print=lambda _: err.print(
                f"Launch Ready serving {app_config.project}: Slack via {mode}, "
                f"health at http://{host}:{port}/healthz (Ctrl-C stops)."
            ),
        )
    except OSError as exc:
        err.print(
            f"[red]error:[/red] cannot listen on {host}:{port}: {exc.strerror or exc} "
            "(is another process using the port? pass --port)",
            markup=True,
        )
        raise typer.Exit(EXIT_USAGE) from None


RUN_MODES = ("workers", "queue", "thread", "inprocess")


def runs_mode(env: Mapping[str, str]) -> str:
    """Where runs execute: ``LAUNCHREADY_RUNS`` (workers, queue, thread, inprocess); the older
    ``LAUNCHREADY_ISOLATE_RUNS=0`` still means inprocess (and ``=thread``, thread)."""
    mode = env.get("LAUNCHREADY_RUNS", "").strip().lower()
    if not mode:
        legacy = env.get("LAUNCHREADY_ISOLATE_RUNS", "1").strip().lower()
        mode = {"0": "inprocess", "thread": "thread", "queue": "queue"}.get(legacy, "workers")
    if mode not in RUN_MODES:
        err.print(
            f'[red]error:[/red] LAUNCHREADY_RUNS="{mode}" is not one of {", ".join(RUN_MODES)}',
            markup=True,
        )
        raise typer.Exit(EXIT_USAGE)
    return mode


def run_workers(mode: str, config: Path, runtime: Any, log_level: str) -> Any:
    """The worker pool on this machine (``workers``), or procrastinate workers anywhere (``queue``)."""
    if mode == "queue":
        from bot.workers.distributed import QueueWorkers

        _need_postgres(runtime.config.database_url, "LAUNCHREADY_RUNS=queue")
        return QueueWorkers(runtime.services)
    from bot.workers.pool import WorkerPool

    return WorkerPool(config, runtime.services.store, log_level=log_level)


def _need_postgres(url: str, what: str) -> None:
    if not url.startswith("postgresql"):
        err.print(
            f"[red]error:[/red] {what} needs PostgreSQL (database: postgresql+psycopg://...); with SQLite, "
            "`launchready serve` runs checks in worker processes of its own.",
            markup=True,
        )
        raise typer.Exit(EXIT_USAGE)


def worker(
    config: Path = ConfigOption,
    concurrency: int = typer.Option(
        4, "--concurrency", min=1, max=64, help="Runs executed at once."
    ),
    heartbeat: float = typer.Option(
        10.0, "--heartbeat", min=0.2, help="Seconds between heartbeats."
    ),
    log_level: str = typer.Option("info", "--log-level", help="debug, info, warning or error."),
) -> None:
    """Execute runs queued by `launchready serve` replicas (LAUNCHREADY_RUNS=queue, PostgreSQL).

    Any number of workers on any machines share the queue in the database; SIGTERM or Ctrl-C
    stops one, cancelling (and recording as interrupted) the runs it holds.
    """
    import asyncio

    from bot.store import StoreError
    from bot.workers.child import worker_services
    from bot.workers.distributed import run_worker

    app_config = load_or_exit(config)
    _need_postgres(app_config.database_url, "launchready worker")
    _configure_logging(
        log_level, [os.environ.get(k, "") for k in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")]
    )

    async def main() -> None:
        services, facts = worker_services(app_config)
        try:
            await run_worker(services, concurrency=concurrency, heartbeat=heartbeat)
        finally:
            await facts.aclose()
            services.close()

    try:
        asyncio.run(main())
    except StoreError as exc:
        err.print(f"[red]error:[/red] database: {exc}", markup=True)
        raise typer.Exit(EXIT_USAGE) from None
    except KeyboardInterrupt:
        pass


def _configure_logging(level: str, secrets: list[str]) -> None:
    from bot.app.runtime import SecretFilter

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    # On the handler, so records of every logger (slack_sdk, aiohttp, ours) are scrubbed.
    handler.addFilter(SecretFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(getattr(logging, level.upper(), logging.INFO))


def manifest(
    url: str = typer.Option(None, "--url", help="Public https address of `launchready serve`."),
    name: str = typer.Option("Launch Ready", "--name", help="The app's name in Slack."),
    socket_mode: bool = typer.Option(
        False, "--socket-mode", help="No public URL: receive events over Socket Mode."
    ),
    fmt: str = typer.Option("yaml", "--format", help="yaml or json."),
) -> None:
    """Print the Slack app manifest (api.slack.com/apps > Create New App > From a manifest)."""
    from bot.slack.manifest import ManifestError, build_manifest

    if fmt not in ("yaml", "json"):
        err.print(f'[red]error:[/red] --format "{fmt}" is not yaml or json', markup=True)
        raise typer.Exit(EXIT_USAGE)
    try:
        data = build_manifest(url, name=name, socket_mode=socket_mode)
    except ManifestError as exc:
        err.print(f"[red]error:[/red] {exc}", markup=True)
        raise typer.Exit(EXIT_USAGE) from None
    text = (
        json.dumps(data, indent=2) + "\n"
        if fmt == "json"
        else yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    )
    sys.stdout.write(text)
