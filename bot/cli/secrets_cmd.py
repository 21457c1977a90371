"""``launchready secrets PATH``: the standalone secret scanner (exit 1 when it finds any)."""

from __future__ import annotations

from pathlib import Path

import typer

from bot.cli.common import EXIT_FAIL, EXIT_OK, EXIT_USAGE, err
from checks.secrets.engine import ScanReport, config_for, default_workers, scan_history, scan_tree
from checks.secrets.rules import RuleError, load_rules
from checks.secrets.sources import SourceError, is_git_repo
from checks.secrets.suppress import Baseline, BaselineError, write_baseline
from reports.secrets import FORMATS

__all__ = ["register"]


def secrets(
    path: Path = typer.Argument(
        ..., help="Directory (or file) to scan; a git repository's ignored files are skipped."
    ),
    history: bool = typer.Option(
        False, "--history", help="Also scan every commit reachable from any ref (added lines)."
    ),
    format: str = typer.Option(
        "text",
        "--format",
        "-f",
        help="text, json, sarif (SARIF 2.1.0) or gitleaks-json (gitleaks' report, redacted).",
    ),
    baseline: Path | None = typer.Option(
        None, "--baseline", help="Report only findings not in this baseline file."
    ),
    write_baseline_to: Path | None = typer.Option(
        None, "--write-baseline", help="Write the current findings as a baseline file and exit 0."
    ),
    config: Path | None = typer.Option(
        None,
        "--config",
        help="A gitleaks-format rule file (default: PATH/.gitleaks.toml if present, else ours).",
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the report to this file instead of stdout."
    ),
    workers: int = typer.Option(
        0, "--workers", help="Processes for the tree and history scans (0: one per core)."
    ),
    all_files: bool = typer.Option(
        False,
        "--all-files",
        help="Scan every file under PATH, git-ignored ones too (what `gitleaks dir` scans).",
    ),
) -> None:
    """Scan a directory (and optionally its git history) for secrets: exit 1 when any is found."""
    if format not in FORMATS:
        _usage(f"--format must be one of {', '.join(FORMATS)}, not {format!r}.")
    if not path.exists():
        _usage(f"{path} does not exist.")
    try:
        rules = load_rules(config_for(path, config))
        known = Baseline.load(baseline) if baseline is not None else None
    except (RuleError, BaselineError) as exc:
        _usage(str(exc))
    reports: list[ScanReport] = []
    if history and not is_git_repo(path):
        _usage(
            f"{path} is not a git repository (or git is not installed), so --history has nothing to read."
        )
    try:
        reports.append(
            scan_tree(
                path,
                rules=rules,
                baseline=known,
                workers=workers or default_workers(),
                all_files=all_files,
            )
        )
        if history:
            reports.append(
                scan_history(
                    path, rules=rules, baseline=known, workers=workers or default_workers()
                )
            )
    except SourceError as exc:
        _usage(str(exc))
    findings = [f for r in reports for f in r.findings]
    if write_baseline_to is not None:
        count = write_baseline(write_baseline_to, findings)
        err.print(
            f"Wrote {count} findings to the baseline {write_baseline_to}; later scans with --baseline report only new ones."
        )
        raise typer.Exit(EXIT_OK)
    body = FORMATS[format](reports, rules)
    if output is not None:
        output.write_text(body + "\n", encoding="utf-8")
        err.print(f"{len(findings)} finding(s); report written to {output}.")
    else:
        typer.echo(body)  # verbatim: no markup, emoji or wrapping in JSON/SARIF
    raise typer.Exit(EXIT_FAIL if findings else EXIT_OK)


def _usage(message: str) -> None:
    err.print(f"error: {message}", markup=False, highlight=False)
    raise typer.Exit(EXIT_USAGE)


def register(app: typer.Typer) -> None:
    app.command("secrets")(secrets)
