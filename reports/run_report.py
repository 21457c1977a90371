"""How a RunReport is written out: one function per format, listed in :data:`FORMATS`.

Every formatter takes the report and returns the whole document as a string: text (the
terminal scorecard), JSON, Markdown here; SARIF (:mod:`reports.sarif`) and JUnit
(:mod:`reports.junit`) beside it. `launchready run --format` offers exactly these. Adding a
format is one function and one entry in the dict.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from checks.catalog import default_registry
from checks.model import CheckResult, RunReport, Severity, Status, Verdict
from reports.durations import elapsed
from reports.evidence import evidence_line, evidence_lines, shorten
from reports.findings import group_findings
from reports.junit import to_junit
from reports.order import worst_first
from reports.sarif import to_sarif

__all__ = [
    "FORMATS",
    "evidence_line",
    "exit_code",
    "print_text",
    "render_json",
    "render_markdown",
    "render_text",
    "worst_first",
]

_STYLE = {
    Status.PASS: "green",
    Status.FAIL: "bold red",
    Status.ERROR: "red",
    Status.WARN: "yellow",
    Status.WAIVED: "magenta",
    Status.MANUAL: "cyan",
    Status.SKIPPED: "dim",
}
_VERDICT_STYLE = {
    Verdict.GO: "bold green",
    Verdict.GO_WITH_WARNINGS: "bold yellow",
    Verdict.NO_GO: "bold red",
}
_FAIL_ON = {
    "critical": {Severity.CRITICAL},
    "high": {Severity.CRITICAL, Severity.HIGH},
    "any": set(Severity),
    "never": set(),
}
FAIL_ON_CHOICES = tuple(_FAIL_ON)


def exit_code(report: RunReport, fail_on: str) -> int:
    """1 when a fail/error result is at or above ``fail_on``'s severity; waived never counts."""
    blocking = _FAIL_ON[fail_on]
    return int(
        any(
            r.status in (Status.FAIL, Status.ERROR) and r.severity in blocking
            for r in report.results
        )
    )


def _duration(report: RunReport) -> str:
    return elapsed(report.finished_at - report.started_at, tenths=True)


def _counts(report: RunReport) -> str:
    return " · ".join(f"{name} {count}" for name, count in report.summary.items())


def _verdict_reason(report: RunReport) -> str:
    blocking = [
        r.check_id
        for r in report.results
        if r.severity is Severity.CRITICAL and r.status in (Status.FAIL, Status.ERROR)
    ]
    if report.verdict is Verdict.NO_GO:
        return f"critical checks not passing: {', '.join(blocking)}"
    if report.verdict is Verdict.GO_WITH_WARNINGS:
        return "nothing critical is failing, but some checks need attention"
    return "every check passed or was skipped"


def _needs_findings(result: CheckResult) -> bool:
    return result.status in (Status.FAIL, Status.ERROR, Status.WARN)


def print_text(report: RunReport, console: Console) -> None:
    """The scorecard: verdict, counts, a table worst first, then the findings that need work."""
    verdict = report.verdict
    console.print(
        f"[bold]{escape(report.project or 'Launch Ready')}[/bold] · target [bold]{escape(report.target)}[/bold] "
        f"({escape(report.base_url)}) · run {report.run_id}"
    )
    console.print(
        f"Verdict: [{_VERDICT_STYLE[verdict]}]{verdict}[/] ({escape(_verdict_reason(report))})"
    )
    console.print(f"{_counts(report)} · {report.requests} requests in {_duration(report)}")
    table = Table(show_edge=False, pad_edge=False, expand=False)
    for column in ("status", "check", "severity", "owner"):
        table.add_column(column, no_wrap=True)
    table.add_column("summary", overflow="fold", ratio=1)
    for result in worst_first(report.results):
        table.add_row(
            f"[{_STYLE[result.status]}]{result.status.upper()}[/]",
            result.check_id,
            str(result.severity),
            escape(result.owner or "-"),
            escape(result.summary),
        )
    console.print()
    console.print(table)
    attention = [r for r in worst_first(report.results) if _needs_findings(r)]
    if attention:
        console.print()
        console.print("[bold]Findings[/bold]")
    for result in attention:
        console.print(
            f"\n[{_STYLE[result.status]}]{result.status.upper()}[/] [bold]{result.check_id}[/bold] "
            f"{escape(result.title)} ({result.severity})"
        )
        for group in group_findings(result.findings):
            first = group.findings[0]
            # soft_wrap: a long line stays one line in a file; a terminal wraps it by itself.
            if len(group.findings) == 1:
                console.print(
                    f"  - {escape(first.resource)}: {escape(first.message)}", soft_wrap=True
                )
                label = "evidence:"
            else:
                console.print(f"  - {escape(group.headline())}", soft_wrap=True)
                console.print(
                    f"    {escape(shorten(', '.join(group.resources), 300))}", soft_wrap=True
                )
                label = f"evidence ({escape(first.resource)}):"
            if first.evidence:
                console.print(f"    {label}", style="dim")
                for line in evidence_lines(first.evidence):
                    console.print(f"      {escape(line)}", style="dim", soft_wrap=True)
        if result.remediation:
            console.print(f"  fix: {escape(result.remediation)}")


def render_text(report: RunReport) -> str:
    buffer = io.StringIO()
    print_text(
        report,
        Console(
            file=buffer,
            width=140,
            no_color=True,
            highlight=False,
            soft_wrap=False,
            force_terminal=False,
        ),
    )
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"


def render_json(report: RunReport) -> str:
    return json.dumps(report.to_dict(), indent=2, default=str) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: RunReport) -> str:
    lines = [
        f"# Launch readiness: {report.project or 'Launch Ready'} ({report.target})",
        "",
        f"**Verdict: {report.verdict}**: {_verdict_reason(report)}.",
        "",
        f"Run `{report.run_id}` against {report.base_url}, {report.requests} requests in {_duration(report)}.",
        "",
        "| " + " | ".join(report.summary) + " |",
        "|" + "---|" * len(report.summary),
        "| " + " | ".join(str(v) for v in report.summary.values()) + " |",
        "",
        "## Results",
        "",
        "| Status | Check | Severity | Owner | Summary |",
        "|---|---|---|---|---|",
    ]
    for result in worst_first(report.results):
        lines.append(
            f"| {result.status.upper()} | `{result.check_id}` | {result.severity} | {_cell(result.owner or '-')} | {_cell(result.summary)} |"
        )
    attention = [r for r in worst_first(report.results) if _needs_findings(r)]
    if attention:
        lines += ["", "## Findings"]
    for result in attention:
        lines += [
            "",
            f"### {result.status.upper()} `{result.check_id}`: {result.title} ({result.severity})",
            "",
        ]
        for finding in result.findings:
            lines.append(f"- **{_cell(finding.resource)}**: {finding.message}")
            if finding.evidence:
                evidence = evidence_line(finding.evidence).replace("`", "'")
                lines.append(f"  `{evidence}`")
        if result.remediation:
            lines += ["", f"**Fix:** {result.remediation}"]
    return "\n".join(lines) + "\n"


def render_sarif(report: RunReport) -> str:
    """SARIF 2.1.0 with each rule's pass criteria and remediation from the catalog."""
    return to_sarif(report, catalog=default_registry())


FORMATS: dict[str, Callable[[RunReport], str]] = {
    "text": render_text,
    "json": render_json,
    "markdown": render_markdown,
    "sarif": render_sarif,
    "junit": to_junit,
}
