"""`launchready run`, `demo`, `catalog` and `validate` (DESIGN section 2)."""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bot.cli.common import EXIT_OK, EXIT_USAGE, ConfigOption, err, load_or_exit, out
from bot.config import AppConfig, ConfigError, load_config
from bot.services import NotAllowed, RunInProgress, Services, checklist_problems, registry_for
from bot.signoff import broken_text
from checks.catalog import default_registry
from checks.check import Check
from checks.model import CheckResult, RunReport, Status
from reports.run_report import FAIL_ON_CHOICES, FORMATS, exit_code, print_text, render_text

__all__ = ["register"]

_MARK = {
    Status.PASS: "[green]✓ pass   [/]",
    Status.FAIL: "[bold red]✗ fail   [/]",
    Status.ERROR: "[red]! error  [/]",
    Status.WARN: "[yellow]~ warn   [/]",
    Status.SKIPPED: "[dim]- skipped[/]",
    Status.MANUAL: "[cyan]? manual [/]",
    Status.WAIVED: "[magenta]w waived [/]",
}


class Progress:
    """A line on stderr per result as it lands, under a spinner when stderr is a terminal."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self._status = err.status(f"Running {total} checks…") if err.is_terminal else None

    def __enter__(self) -> Progress:
        if self._status is not None:
            self._status.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._status is not None:
            self._status.stop()

    def landed(self, result: CheckResult) -> None:
        self.done += 1
        err.print(
            f"{_MARK[result.status]} {result.check_id:<30} {escape(result.summary)} [dim]({result.duration_ms} ms)[/]",
            soft_wrap=True,
            crop=False,
        )
        if self._status is not None:
            self._status.update(f"Running checks… {self.done}/{self.total} done")


def _fail(lines: list[str] | str) -> typer.Exit:
    for line in [lines] if isinstance(lines, str) else lines:
        err.print(f"[red]error:[/red] {escape(line)}")
    return typer.Exit(EXIT_USAGE)


def _open_services(config: AppConfig, **kwargs: object) -> Services:
    from bot.store import StoreError

    try:
        return Services.open(config, **kwargs)  # type: ignore[arg-type]
    except ConfigError as exc:
        raise _fail(exc.errors) from None
    except StoreError as exc:
        raise _fail(str(exc)) from None


async def _run(
    services: Services, target: str | None, only: list[str] | None, *, trigger: str = "cli"
) -> RunReport:
    checks = services.select(only)
    with Progress(len(checks)) as progress:
        return await services.run(target, only, trigger=trigger, on_result=progress.landed)


async def _stale_ids(services: Services, target: str | None) -> list[str]:
    from bot.freshness import observe_build
    from bot.store import in_thread

    name = services.checklist.target(target)
    await observe_build(services.config, name, services.store, source="status")
    return await in_thread(services.checklist.stale, name)


def _scorecard(report: RunReport) -> None:
    """In colour on a terminal; wide and plain when piped (CI logs, files)."""
    if out.is_terminal:
        print_text(report, out)
    else:
        _emit(render_text(report), None)


def _emit(document: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(document)
        sys.stdout.flush()
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(document, encoding="utf-8")
    err.print(f"Report written to {output}.")


def run(
    config: Path = ConfigOption,
    target: str | None = typer.Option(
        None, "--target", "-t", help="Target name from app.yaml (default: the first)."
    ),
    only: str | None = typer.Option(
        None, "--only", help="Check ids or areas, comma-separated (e.g. auth.private_routes,tls)."
    ),
    format: str = typer.Option(
        "text", "--format", "-f", help="text, json, markdown, sarif or junit."
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the report to this file instead of stdout."
    ),
    fail_on: str = typer.Option(
        "critical",
        "--fail-on",
        help="Exit 1 when a check at or above this severity fails: critical, high, any, never.",
    ),
    stale: bool = typer.Option(
        False,
        "--stale",
        help="Rerun exactly the items whose pass no longer holds (config, commit or build changed).",
    ),
) -> None:
    """Run the checks against a target and print the scorecard."""
    problems = []
    if stale and only:
        problems.append("--stale and --only both choose the checks; use one of them")
    if format not in FORMATS:
        problems.append(f'--format: "{format}" is not a format (use {", ".join(FORMATS)})')
    if fail_on not in FAIL_ON_CHOICES:
        problems.append(
            f'--fail-on: "{fail_on}" is not a threshold (use {", ".join(FAIL_ON_CHOICES)})'
        )
    if problems:
        raise _fail(problems)
    app_config = load_or_exit(config)
    ids = [part.strip() for part in only.split(",") if part.strip()] if only else None
    services = _open_services(app_config)
    try:
        try:
            app_config.target(target)
            services.select(ids)
            problems = services.target_problems(target)
            if problems:
                raise ConfigError(problems)
        except ConfigError as exc:
            raise _fail(exc.errors) from None
        except ValueError as exc:
            raise _fail(f"--only: {exc}") from None
        if stale:
            ids = asyncio.run(_stale_ids(services, target))
            if not ids:
                err.print(
                    "Nothing is stale: every pass still holds for the config, commit and build now."
                )
                raise typer.Exit(EXIT_OK)
            err.print(f"Rerunning {len(ids)} stale item(s): {', '.join(ids)}")
        try:
            report = asyncio.run(_run(services, target, ids))
        except (RunInProgress, NotAllowed) as exc:
            raise _fail(str(exc)) from None
        broken = services.signoffs.broken_by(report)
        if broken is not None:  # on stderr: stdout may be the JSON report
            err.print(f"[yellow]{escape(broken_text(broken))}[/yellow]")
    finally:
        services.close()
    if format == "text" and output is None:
        _scorecard(report)
    else:
        _emit(FORMATS[format](report), output)
    raise typer.Exit(exit_code(report, fail_on))


def demo(
    hardened: bool = typer.Option(
        False, "--hardened", help="Run against the demo with every planted mistake fixed."
    ),
    keep_running: bool = typer.Option(
        False, "--keep-running", help="Keep the demo target up after the run (Ctrl-C stops it)."
    ),
    port: int = typer.Option(
        0, "--port", help="Serve the demo on this port (default: a free one). Fixes its tokens too."
    ),
) -> None:
    """Start the bundled demo app on loopback, run every check against it, print the scorecard."""
    if not 0 <= port <= 65535:
        raise _fail(f"--port: {port} is not a TCP port (0-65535)")
    try:
        asyncio.run(_demo(hardened=hardened, keep_running=keep_running, port=port))
    except KeyboardInterrupt:
        err.print("Demo stopped.")
    except OSError as exc:
        raise _fail(f"the demo target could not start: {exc}") from None
    raise typer.Exit(EXIT_OK)


def _reset_workdir(workdir: Path) -> None:
    """A fresh demo world each time, but the database keeps its history of runs."""
    if workdir.exists():
        for entry in workdir.iterdir():
            if entry.name.startswith("launchready.db"):
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    workdir.mkdir(parents=True, exist_ok=True)


async def _demo(*, hardened: bool, keep_running: bool, port: int) -> None:
    from bot.demo import DemoTarget
    from bot.store import Store

    mode = "hardened" if hardened else "flawed"
    workdir = (Path.cwd() / ".launchready" / "demo" / mode).resolve()
    _reset_workdir(workdir)
    database = f"sqlite:///{workdir / 'launchready.db'}"
    async with DemoTarget(hardened=hardened, workdir=workdir, port=port) as target:
        config_path = target.write_config()
        err.print(f"Demo target ({mode}) is up at {target.state.base_url}.")
        try:
            config = load_config(config_path)
        except ConfigError as exc:  # a demo module wrote a key the config does not know
            raise _fail(
                [f"the demo's generated config is invalid: {line}" for line in exc.errors]
            ) from None
        # The demo's database is its own, whatever LAUNCHREADY_DATABASE_URL says.
        services = _open_services(config, store=Store.open(database))
        try:
            report = await _run(services, None, None, trigger="demo")
            _scorecard(report)
            handover = _write_handover(services, report, Path.cwd() / "HANDOVER.md")
        finally:
            services.close()
        out.print()
        out.print(
            f"This was a demonstration against the {mode} demo target, so the exit code is 0 whatever the verdict; "
            "use [bold]launchready run --fail-on[/bold] to gate a real deploy."
        )
        if not hardened:
            out.print(
                "Run [bold]launchready demo --hardened[/bold] to see the same checks pass once the mistakes are fixed."
            )
        out.print(f"Config:   {config_path}")
        out.print(f"Database: {workdir / 'launchready.db'} (run {report.run_id})")
        out.print(f"Handover: {handover}")
        if keep_running:
            out.print()
            out.print(
                f"The demo target keeps running at [bold]{target.state.base_url}[/bold]. Try, in another shell:"
            )
            out.print(f"  launchready run --config {config_path}")
            if port:
                out.print(
                    f"  DEMO_URL={target.state.base_url} DEMO_DIR={workdir} launchready run --config app.yaml"
                    "   # the shipped app.yaml: same tokens"
                )
            out.print("Press Ctrl-C to stop it.")
            await asyncio.Event().wait()


def _write_handover(services: Services, report: RunReport, path: Path) -> str:
    """HANDOVER.md for the demo run; a failure is a sentence (the scorecard matters more)."""
    from bot.handover_doc import write_handover

    try:
        write_handover(services, report, path)
    except Exception as exc:  # the demo's scorecard matters more than its handover
        return f"not written: {type(exc).__name__}: {exc}"
    return str(path)


def catalog(format: str = typer.Option("text", "--format", "-f", help="text or json.")) -> None:
    """List every check: id, title, severity and mode."""
    if format not in ("text", "json"):
        raise _fail(f'--format: "{format}" is not a format (use text, json)')
    checks: list[Check] = list(default_registry())
    if format == "json":
        sys.stdout.write(json.dumps({"checks": [c.describe() for c in checks]}, indent=2) + "\n")
        return
    table = Table(show_edge=False, pad_edge=False)
    for column in ("id", "severity", "mode", "title"):
        table.add_column(column, overflow="fold")
    for item in checks:
        table.add_row(item.id, str(item.severity), item.mode, escape(item.title))
    console = (
        out
        if out.is_terminal
        else Console(file=sys.stdout, width=160, no_color=True, highlight=False)
    )
    console.print(table)
    automated = sum(1 for c in checks if c.mode == "automated")
    console.print(
        f"\n{len(checks)} checks: {automated} automated, {len(checks) - automated} manual."
    )


def validate(config: Path = ConfigOption) -> None:
    """Check app.yaml and print every problem with its key path."""
    app_config = load_or_exit(config)
    problems = checklist_problems(app_config, registry_for(app_config))
    if problems:
        raise _fail(problems)
    targets, monitors = len(app_config.targets), len(app_config.monitors)
    out.print(
        f"{config} is valid: {targets} target{'s' if targets != 1 else ''}, "
        f"{monitors} monitor{'s' if monitors != 1 else ''}."
    )


def register(app: typer.Typer) -> None:
    app.command("run")(run)
    app.command("demo")(demo)
    app.command("catalog")(catalog)
    app.command("validate")(validate)
