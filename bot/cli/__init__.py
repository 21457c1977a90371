"""The `launchready` command line (DESIGN section 2). One module per command group, each
exposing ``register(app)``; they are listed here explicitly.

`main()` imports only the group of the command being run: `launchready secrets` needs neither
SQLAlchemy nor Slack nor checkdmarc, and a scanner that spends two seconds importing them is
a slow scanner. `--help` (or no command) loads every group. ``from bot.cli import app`` gives
the full application, for tests and embedding.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import typer

__all__ = ["COMMANDS", "build_app", "main"]

# command name -> the module (under bot.cli) that registers it
COMMANDS: dict[str, str] = {
    "run": "run_cmd",
    "demo": "run_cmd",
    "catalog": "run_cmd",
    "validate": "run_cmd",
    "init": "init_cmd",
    "status": "checklist_cmd",
    "assign": "checklist_cmd",
    "done": "checklist_cmd",
    "waive": "checklist_cmd",
    "secrets": "secrets_cmd",
    "serve": "serve_cmd",
    "manifest": "serve_cmd",
    "worker": "serve_cmd",
    "digest": "digest_cmd",
    "handover": "handover_cmd",
    "leaks": "leaks_cmd",
    "rotated": "leaks_cmd",
    "signoff": "signoff_cmd",
}


def build_app(command: str | None = None) -> typer.Typer:
    """The CLI with every command group, or only the group that registers ``command``."""
    app = typer.Typer(
        name="launchready",
        help="Is your AI chatbot or marketplace app ready for strangers? Checks, checklist, Slack.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )

    @app.callback()
    def root() -> None:
        """Is your AI chatbot or marketplace app ready for strangers? Checks, checklist, Slack."""

    groups = [COMMANDS[command]] if command in COMMANDS else list(dict.fromkeys(COMMANDS.values()))
    for group in groups:
        importlib.import_module(f"bot.cli.{group}").register(app)
    return app


def __getattr__(name: str) -> Any:
    if name == "app":
        return build_app()
    raise AttributeError(f"module 'bot.cli' has no attribute {name!r}")


def main() -> None:
    command = next((arg for arg in sys.argv[1:] if not arg.startswith("-")), None)
    build_app(command)(prog_name="launchready")
