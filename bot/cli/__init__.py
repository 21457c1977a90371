"""The `launchready` command line (DESIGN section 2). One module per command group, each
exposing ``register(app)``; they are listed here explicitly."""

from __future__ import annotations

import typer

from bot.cli import checklist_cmd, digest_cmd, handover_cmd, run_cmd, secrets_cmd, serve_cmd

__all__ = ["app", "main"]

app = typer.Typer(
    name="launchready",
    help="Is your AI chatbot or marketplace app ready for strangers? Checks, checklist, Slack.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for module in (run_cmd, checklist_cmd, secrets_cmd, serve_cmd, digest_cmd, handover_cmd):
    module.register(app)


def main() -> None:
    app()
