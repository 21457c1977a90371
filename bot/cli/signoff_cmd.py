"""`launchready signoff`: sign the go/no-go as it stands (the CLI acts as an operator, like
`waive`); `launchready signoff --show` prints the last one and whether it still holds."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.markup import escape

from bot.cli.checklist_cmd import ConfigOpt, TargetOpt, _checklist, _fail, cli_actor
from bot.cli.common import out
from bot.signoff import NothingToSign, SignoffService, signed_text, state_line

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    @app.command("signoff")
    def signoff(
        note: str | None = typer.Option(
            None, "--note", help="Why the team agrees (kept with the record)."
        ),
        show: bool = typer.Option(
            False,
            "--show",
            help="Print the last sign-off and whether it still holds; sign nothing.",
        ),
        format: str = typer.Option("text", "--format", "-f", help="text or json."),
        config: Path = ConfigOpt,
        target: str | None = TargetOpt,
    ) -> None:
        """Sign the go/no-go: the verdict as it stands, its run and the waivers in force."""
        if format not in ("text", "json"):
            raise _fail(f'--format: "{format}" is not a format (use text, json)')
        with _checklist(config, target) as (_cfg, name, checklist):
            service = SignoffService(checklist, checklist.store, checklist.policy)
            if show:
                signed = service.current(name)
            else:
                try:
                    signed = service.sign(name, actor=cli_actor(), note=note)
                except NothingToSign as exc:
                    raise _fail(str(exc)) from None
        if format == "json":
            typer.echo(json.dumps(signed.to_dict() if signed else None, indent=2))
        elif show or signed is None:
            out.print(escape(state_line(signed)))
        else:
            out.print(escape(signed_text(signed).replace("*", "")))
