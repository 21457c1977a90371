"""`launchready leaks` (the rotation items of leaked secrets) and `launchready rotated`
(attest that a leaked key was rotated: who did it and when)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from bot.checklist import parse_due
from bot.checklist.policy import NotPermitted
from bot.cli.checklist_cmd import ConfigOpt, TargetOpt, _checklist, _fail, cli_actor
from bot.cli.common import out
from bot.rotation import RotationService
from bot.store import Rotation

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    @app.command("leaks")
    def leaks(
        config: Path = ConfigOpt,
        target: str | None = TargetOpt,
        format: str = typer.Option("text", "--format", "-f", help="text or json."),
    ) -> None:
        """Leaked secrets and their rotation state: open until the key is shown dead."""
        if format not in ("text", "json"):
            raise _fail(f'--format: "{format}" is not a format (use text, json)')
        with _checklist(config, target) as (cfg, name, checklist):
            items = RotationService.for_config(cfg, checklist.store).items(name)
        if format == "json":
            typer.echo(
                json.dumps({"target": name, "leaks": [i.to_dict() for i in items]}, indent=2)
            )
            return
        if not items:
            out.print(f"No leaked secret has been found in {escape(name)}'s repository.")
            return
        open_count = sum(1 for i in items if not i.closed)
        out.print(f"{escape(name)}: {open_count} of {len(items)} leaked secret(s) still open.")
        out.print(_table(items))

    @app.command("rotated")
    def rotated(
        key: str = typer.Argument(
            ...,
            help="The leak's key from `launchready leaks` (file:rule:line, or an unambiguous part).",
        ),
        by: str = typer.Option(
            ..., "--by", help="Who rotated the key (a Slack user id or a name)."
        ),
        on: str = typer.Option(..., "--on", help="When it was rotated, YYYY-MM-DD."),
        config: Path = ConfigOpt,
        target: str | None = TargetOpt,
    ) -> None:
        """Attest that a leaked key was rotated: history then no longer holds its item open."""
        try:
            day = parse_due(on)
        except ValueError as exc:
            raise _fail(f"--on: {exc}") from None
        when = datetime(day.year, day.month, day.day, tzinfo=UTC)
        with _checklist(config, target) as (cfg, name, checklist):
            try:
                item = RotationService.for_config(cfg, checklist.store).attest(
                    name, key, rotated_by=by, rotated_at=when, actor=cli_actor()
                )
            except NotPermitted:  # the CLI acts as an operator; kept for symmetry with Slack
                raise _fail("only the leak's owner or an admin may attest its rotation") from None
        out.print(
            f"Recorded: {escape(item.key)} rotated by {escape(by)} on {day.isoformat()}. Now {escape(item.state)}."
        )


def _table(items: list[Rotation]) -> Table:
    table = Table(header_style="bold")
    for column in ("Leak", "Owner", "Opened", "State"):
        table.add_column(column, overflow="fold")
    for item in items:
        style = "green" if item.closed else "bold red"
        table.add_row(
            escape(item.key),
            escape(item.owner or "—"),
            item.opened_at.strftime("%Y-%m-%d"),
            f"[{style}]{escape(item.state)}[/]",
        )
    return table
