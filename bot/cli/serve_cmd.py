"""``launchready serve`` (the Slack app and the service's HTTP endpoints) and
``launchready manifest`` (the Slack app manifest to create the app in one step)."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

import typer
import yaml

from bot.cli.common import EXIT_USAGE, ConfigOption, err, load_or_exit

__all__ = ["register", "serve"]


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("manifest")(manifest)


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
        # Runs execute in worker processes (LAUNCHREADY_RUN_WORKERS of them); for comparison,
        # LAUNCHREADY_ISOLATE_RUNS=0 keeps them on the service's own event loop and =thread on
        # a loop of their own in a thread of this process.
        mode = os.environ.get("LAUNCHREADY_ISOLATE_RUNS", "1").strip().lower()
        runtime = Runtime.open(app_config, isolate_runs=mode != "0")
        if mode not in ("0", "thread"):
            runtime.workers = run_workers(config, runtime, log_level)
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


def run_workers(config: Path, runtime: Any, log_level: str) -> Any:
    """The worker pool on this machine, for the config file at ``config``."""
    from bot.workers.pool import WorkerPool

    return WorkerPool(config, runtime.services.store, log_level=log_level)


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
