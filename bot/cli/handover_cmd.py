"""`launchready handover`: write the handover document from the latest stored run."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.markup import escape

from bot.cli.common import EXIT_USAGE, ConfigOption, err, load_or_exit, out
from bot.config import ConfigError
from handover.render import FORMATS

__all__ = ["register"]


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {escape(message)}")
    return typer.Exit(EXIT_USAGE)


def handover(
    config: Path = ConfigOption,
    target: str | None = typer.Option(
        None, "--target", "-t", help="Target name from app.yaml (default: the first)."
    ),
    output: Path | None = typer.Option(
        None,
        "--output",
        "-o",
        help="Where to write it (default HANDOVER.md, or HANDOVER.html for html); - for stdout.",
    ),
    format: str = typer.Option("markdown", "--format", "-f", help="markdown or html."),
    template: Path | None = typer.Option(
        None, "--template", help='Your own Jinja2 template (it may {% extends "handover.md.j2" %}).'
    ),
) -> None:
    """Write the handover document (checklist, waivers, owners, edge facts, secrets, monitoring)
    from the latest run of a target."""
    from bot.handover_doc import HandoverError, NoRunYet, build_input
    from bot.services import Services
    from bot.store import StoreError
    from handover.render import render_handover

    if format not in FORMATS:
        raise _fail(f'--format: "{format}" is not a handover format (use {", ".join(FORMATS)})')
    if template is not None and not template.is_file():
        raise _fail(f"--template: {template} is not a file")
    app_config = load_or_exit(config)
    try:
        name, _ = app_config.target(target)
        services = Services.open(app_config)
    except ConfigError as exc:
        raise _fail("; ".join(exc.errors)) from None
    except StoreError as exc:
        raise _fail(str(exc)) from None
    try:
        report = services.store.latest_report(name)
        if report is None:
            raise NoRunYet(
                f"No finished run of target {name} is stored yet: run `launchready run --config {config} "
                f"--target {name}` first, then write the handover."
            )
        document = render_handover(build_input(services, report), fmt=format, template=template)
    except HandoverError as exc:
        raise _fail(str(exc)) from None
    finally:
        services.close()
    if output is not None and str(output) == "-":
        sys.stdout.write(document)
        return
    path = output or Path("HANDOVER.html" if format == "html" else "HANDOVER.md")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(document, encoding="utf-8")
    except OSError as exc:
        raise _fail(f"{path}: cannot be written: {exc.strerror or exc}") from None
    out.print(
        f"Handover for target {escape(name)} (run {report.run_id}, verdict {report.verdict}) written to {escape(str(path))}."
    )


def register(app: typer.Typer) -> None:
    app.command("handover")(handover)
