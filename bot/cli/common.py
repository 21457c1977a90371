"""What every command shares: loading the config with exit code 2 on errors, stderr console."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from bot.config import AppConfig, ConfigError, load_config

__all__ = ["EXIT_FAIL", "EXIT_OK", "EXIT_USAGE", "err", "load_or_exit", "out"]

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2

out = Console(soft_wrap=True, highlight=False)
err = Console(stderr=True, soft_wrap=True, highlight=False)

ConfigOption = typer.Option(Path("app.yaml"), "--config", "-c", help="Path to app.yaml.")


def load_or_exit(path: Path) -> AppConfig:
    try:
        return load_config(path)
    except ConfigError as exc:
        for line in exc.errors:
            err.print(f"[red]error:[/red] {line}", markup=True)
        raise typer.Exit(EXIT_USAGE) from None
