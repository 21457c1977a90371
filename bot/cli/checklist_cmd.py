"""`launchready status | assign | done | waive`: the launch checklist from a terminal.

Each command syncs the checklist (catalog + app.yaml) first, makes its change as
``cli:$USER``, prints one sentence and exits 0; a bad item, target, date or reason prints one
sentence on stderr and exits 2.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from enum import StrEnum
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from bot.checklist import (
    Actor,
    ChecklistService,
    assign_sentence,
    done_sentence,
    parse_due,
    summary_sentence,
    waive_sentence,
)
from bot.cli.common import EXIT_USAGE, err, load_or_exit, out
from bot.config import AppConfig, ConfigError
from bot.freshness import observe_build
from bot.services import Services
from bot.signoff import state_line
from bot.store import ChecklistError, ChecklistItem, StoreError

__all__ = ["register"]

ConfigOpt = typer.Option(Path("app.yaml"), "--config", "-c", help="Path to app.yaml.")
TargetOpt = typer.Option(
    None, "--target", "-t", help="Target name (default: the first in app.yaml)."
)

_STATUS_STYLE = {
    "fail": "bold red",
    "error": "red",
    "stale": "magenta",
    "contradicted": "bold red",
    "warn": "yellow",
    "manual": "cyan",
    "open": "cyan",
    "waived": "magenta",
    "skipped": "dim",
    "done": "green",
    "attested": "green",
    "pass": "green",
}


class StatusFormat(StrEnum):
    text = "text"
    json = "json"


def cli_actor() -> Actor:
    try:
        user = os.environ.get("USER") or getpass.getuser()
    except Exception:  # getpass raises when no user database entry exists (containers)
        user = "unknown"
    return Actor.cli(f"cli:{user}")


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {escape(message)}")
    return typer.Exit(EXIT_USAGE)


@contextmanager
def _checklist(
    config_path: Path, target: str | None
) -> Iterator[tuple[AppConfig, str, ChecklistService]]:
    """Load app.yaml, open the store, sync the target's checklist; exit 2 with a sentence on error."""
    config = load_or_exit(config_path)
    try:
        name, _ = config.target(target)
    except ConfigError as exc:
        raise _fail(exc.errors[0]) from None
    try:
        # The catalog plus the team's own manual items; a checklist key naming no check is a
        # configuration error here exactly as it is for `launchready run`.
        services = Services.open(config)
    except ConfigError as exc:
        for line in exc.errors:
            err.print(f"[red]error:[/red] {escape(line)}")
        raise typer.Exit(EXIT_USAGE) from None
    except (StoreError, ValueError) as exc:  # ValueError: an unknown check id in checklist:
        raise _fail(str(exc)) from None
    try:
        services.checklist.sync(name)
        yield config, name, services.checklist
    except ChecklistError as exc:
        raise _fail(str(exc)) from None
    finally:
        services.close()


def register(app: typer.Typer) -> None:
    @app.command("status")
    def status(
        config: Path = ConfigOpt,
        target: str | None = TargetOpt,
        format: StatusFormat = typer.Option(
            StatusFormat.text, "--format", "-f", help="text or json."
        ),
    ) -> None:
        """The launch checklist as a table, worst first: status, owner, due date, waiver, last result."""
        with _checklist(config, target) as (cfg, name, checklist):
            # Ask the app which build it is now, so a pass measured on another build reads stale.
            asyncio.run(observe_build(cfg, name, checklist.store, source="status"))
            status = checklist.status(name, with_report=False)
            items, now = status.items, status.now
            runs = checklist.store.list_runs(name, limit=1)
            signed = checklist.store.signoffs.latest(name)
        if format is StatusFormat.json:
            typer.echo(
                json.dumps(
                    {
                        "project": cfg.project,
                        "target": name,
                        "generated_at": now.isoformat(timespec="seconds").replace("+00:00", "Z"),
                        "summary": summary_sentence(items, now),
                        "last_run": runs[0].to_dict() if runs else None,
                        "items": [item.to_dict(now) for item in items],
                        "signoff": signed.to_dict() if signed else None,
                    },
                    indent=2,
                )
            )
            return
        out.print(
            f"[bold]{escape(cfg.project)}[/bold] · {escape(name)}: {summary_sentence(items, now)}"
        )
        out.print(_table(items, now))
        if runs:
            run = runs[0]
            verdict = run.verdict or run.state
            out.print(
                f"Last run {run.run_id}: {verdict}, started {_when(run.started_at)} ({run.trigger})."
            )
        else:
            out.print("No run yet: `launchready run` records one.")
        out.print(escape(state_line(signed)))

    @app.command("assign")
    def assign(
        item: str = typer.Argument(..., help="Check id, e.g. auth.private_routes."),
        owner: str = typer.Argument(..., help="Who owns it: a Slack user id (U0ALICE) or a name."),
        due: str | None = typer.Option(None, "--due", help="Due date, YYYY-MM-DD."),
        config: Path = ConfigOpt,
        target: str | None = TargetOpt,
    ) -> None:
        """Give a checklist item an owner (and a due date)."""
        with _checklist(config, target) as (_cfg, name, checklist):
            due_date = parse_due(due) if due is not None else None
            change = checklist.assign(name, item, owner, due=due_date, actor=cli_actor())
        out.print(escape(assign_sentence(change.before, change.after)))

    @app.command("done")
    def done(
        item: str = typer.Argument(..., help="Check id, e.g. manual.keys_rotated."),
        note: str | None = typer.Option(
            None, "--note", help="What was done (kept in the audit log)."
        ),
        config: Path = ConfigOpt,
        target: str | None = TargetOpt,
    ) -> None:
        """Attest a manual item, or mark an automated one fixed (the next run confirms it)."""
        with _checklist(config, target) as (_cfg, name, checklist):
            updated = checklist.done(name, item, note=note, actor=cli_actor())
            now = checklist.store.now()
        out.print(escape(done_sentence(updated, now)))

    @app.command("waive")
    def waive(
        item: str = typer.Argument(..., help="Check id, e.g. http.hsts."),
        days: int = typer.Option(..., "--days", help="How long the waiver lasts (1-365 days)."),
        reason: str = typer.Option(..., "--reason", help="Why launching without it is acceptable."),
        config: Path = ConfigOpt,
        target: str | None = TargetOpt,
    ) -> None:
        """Waive an item for N days with a reason; it reports waived (never pass) until it lapses."""
        with _checklist(config, target) as (_cfg, name, checklist):
            updated = checklist.waive(name, item, days=days, reason=reason, actor=cli_actor())
        out.print(escape(waive_sentence(updated)))


def _table(items: list[ChecklistItem], now: datetime) -> Table:
    table = Table(show_lines=False, header_style="bold", expand=False)
    for column in ("Item", "Severity", "Status", "Owner", "Due", "Waiver", "Last result"):
        table.add_column(column, overflow="fold")
    for item in items:
        status = item.display_status(now)
        due = item.due.isoformat() if item.due else ""
        if item.overdue(now):
            due = f"[bold red]{due} overdue[/bold red]"
        waiver = ""
        if item.waiver_active(now) and item.waiver_expires:
            waiver = f"until {item.waiver_expires.date().isoformat()}: {escape(item.waiver_reason or '')}"
        elif item.waiver_reason and item.waiver_expires:
            waiver = f"[dim]lapsed {item.waiver_expires.date().isoformat()}[/dim]"
        last = item.contradicted or item.stale or item.last_summary or ""
        if item.is_manual and item.attested_at:
            last = f"attested {_when(item.attested_at)} by {item.attested_by}" + (
                f": {item.attestation_note}" if item.attestation_note else ""
            )
        table.add_row(
            item.check_id,
            str(item.severity),
            f"[{_STATUS_STYLE.get(status, '')}]{status}[/]" if status in _STATUS_STYLE else status,
            escape(item.owner or "—"),
            due,
            waiver,
            escape(last),
        )
    return table


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%MZ")
