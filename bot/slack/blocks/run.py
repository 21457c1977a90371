"""Blocks for runs: the live progress message, the scorecard with its buttons, its thread,
the Details and Waive modals, and the checklist as ``status`` shows it.

Every builder returns payloads inside Slack's limits (see :mod:`limits`): the scorecard keeps
the worst checks interactive in the message and moves the rest, and all long detail, into
thread replies.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.slack.blocks import limits
from bot.slack.blocks.limits import (
    Message,
    actions,
    button,
    context,
    divider,
    escape,
    header,
    paginate,
    section,
    split_text,
    truncate,
)
from bot.slack.blocks.words import (
    VERDICT_LABEL,
    duration,
    is_user_id,
    mention,
    severity_label,
    status_mark,
)
from checks.model import CheckResult, RunReport, Severity, Status, Verdict
from reports.evidence import evidence_lines

__all__ = [
    "ACTION_ASSIGN",
    "ACTION_DETAILS",
    "ACTION_RERUN",
    "ACTION_WAIVE",
    "WAIVE_CALLBACK",
    "ItemRef",
    "checklist_message",
    "details_modal",
    "progress_message",
    "scheduled_run_text",
    "scorecard",
    "waive_modal",
]

ACTION_DETAILS = "lr_details"
ACTION_ASSIGN = "lr_assign"
ACTION_RERUN = "lr_rerun"
ACTION_WAIVE = "lr_waive"
WAIVE_CALLBACK = "lr_waive_submit"

NEEDS_ATTENTION = (Status.FAIL, Status.ERROR, Status.WARN)
SETTLED_LATER = (Status.MANUAL, Status.WAIVED)
MAX_FINDINGS_IN_THREAD = 5
MAX_DETAIL_REPLIES = 3  # beyond this the findings go into an attached Markdown file
MAX_EVIDENCE = 1200


@dataclass(frozen=True)
class ItemRef:
    """Which check of which run a button is about; travels in button values and metadata."""

    target: str
    check_id: str
    run_id: str | None = None
    channel: str | None = None
    ts: str | None = None

    def encode(self) -> str:
        data = {
            "t": self.target,
            "c": self.check_id,
            "r": self.run_id,
            "ch": self.channel,
            "ts": self.ts,
        }
        return json.dumps({k: v for k, v in data.items() if v}, separators=(",", ":"))

    @classmethod
    def decode(cls, value: str | None) -> ItemRef | None:
        """None for anything that is not one of ours (a forged or stale payload)."""
        try:
            data = json.loads(value or "")
        except ValueError:
            return None
        if (
            not isinstance(data, dict)
            or not isinstance(data.get("t"), str)
            or not isinstance(data.get("c"), str)
        ):
            return None
        text = {k: v if isinstance(v, str) else None for k, v in data.items()}
        return cls(data["t"], data["c"], text.get("r"), text.get("ch"), text.get("ts"))


# -- progress ----------------------------------------------------------------------------------


def _counts_line(results: Iterable[CheckResult]) -> str:
    counts: dict[str, int] = {}
    for result in results:
        counts[str(result.status)] = counts.get(str(result.status), 0) + 1
    return (
        " · ".join(f"{status_mark(s)} {counts[str(s)]} {s}" for s in Status if counts.get(str(s)))
        or "nothing yet"
    )


def _bar(done: int, total: int, width: int = 20) -> str:
    filled = round(width * done / total) if total else width
    return "▰" * filled + "▱" * (width - filled)


def progress_message(
    *,
    project: str,
    target: str,
    base_url: str,
    total: int,
    results: Sequence[CheckResult],
    started_by: str | None,
    only: Sequence[str] = (),
) -> Message:
    done = len(results)
    scope = f"{', '.join(f'`{escape(o)}`' for o in only)}" if only else f"all {total} checks"
    who = f"{mention(started_by)} started" if started_by else "Started"
    problems = [r for r in results if r.status in NEEDS_ATTENTION]
    problems.sort(key=lambda r: (r.severity.rank, r.check_id))
    blocks = [
        header(f"Checking {project} · {target}"),
        section(
            f"{who} a run of {scope} against {escape(base_url)}.\n`{_bar(done, total)}` {done} of {total} done"
        ),
        context(_counts_line(results)),
    ]
    if problems:
        lines = [
            f"{status_mark(r.status)} *{escape(r.title)}* `{r.check_id}`: {escape(r.summary)}"
            for r in problems
        ]
        blocks.append(section(_fit_lines(lines, limits.SECTION_TEXT)))
    text = (
        f"Checking {target}: {done} of {total} checks done, {len(problems)} need attention so far."
    )
    return Message(text=text, blocks=blocks)


def _fit_lines(lines: Sequence[str], limit: int) -> str:
    """As many whole lines as fit, then a count of the rest."""
    shown: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        line = truncate(line, 400)
        rest = len(lines) - index
        if used + len(line) + 1 > limit - 40:
            shown.append(f"… and {rest} more")
            break
        shown.append(line)
        used += len(line) + 1
    return "\n".join(shown)


# -- scorecard ---------------------------------------------------------------------------------


def verdict_sentence(report: RunReport) -> str:
    verdict = report.verdict
    blockers = [
        r
        for r in report.results
        if r.severity is Severity.CRITICAL and r.status in (Status.FAIL, Status.ERROR)
    ]
    if verdict is Verdict.NO_GO:
        return f"*Not ready to launch:* {len(blockers)} critical check{'s' if len(blockers) != 1 else ''} fail or error."
    if verdict is Verdict.GO_WITH_WARNINGS:
        return "*Ready with warnings:* no launch blocker, but some checks need attention or attestation."
    return "*Ready to launch:* every check passes."


def _fallback(report: RunReport) -> str:
    counts = report.summary
    label = {
        Verdict.GO: "GO",
        Verdict.GO_WITH_WARNINGS: "GO with warnings",
        Verdict.NO_GO: "NO GO",
    }[report.verdict]
    return (
        f"{label} for {report.target}: {counts['fail']} fail, {counts['error']} error, {counts['warn']} warn "
        f"of {len(report.results)} checks."
    )


def _entry(result: CheckResult, ref: ItemRef, *, interactive: bool) -> list[dict[str, Any]]:
    text = (
        f"{status_mark(result.status)} *{escape(result.title)}*  `{result.check_id}`\n"
        f"{escape(truncate(result.summary, 1500))}\n"
        f"Owner: {mention(result.owner)}"
    )
    if not interactive:
        return [section(text, block_id=f"c|{result.check_id}")]
    picker: dict[str, Any] = {
        "type": "users_select",
        "action_id": ACTION_ASSIGN,
        "placeholder": limits.plain("Assign an owner", limits.PLACEHOLDER_TEXT),
    }
    if is_user_id(result.owner):
        picker["initial_user"] = result.owner
    value = ref.encode()
    return [
        section(text, accessory=picker, block_id=limits.truncate(f"c|{value}", limits.ID_LENGTH)),
        actions(
            [
                button("Details", ACTION_DETAILS, value),
                button("Re-run this check", ACTION_RERUN, value),
                button("Waive", ACTION_WAIVE, value, style="danger"),
            ],
            block_id=f"a|{result.check_id}",
        ),
    ]


def scorecard(
    report: RunReport,
    *,
    started_by: str | None = None,
    max_blocks: int = limits.MESSAGE_BLOCKS,
) -> Message:
    """The final message of a run: verdict, counts, what needs attention by severity (with
    owners and buttons), and thread replies with everything that did not fit plus the detail."""
    counts = _counts_line(report.results)
    took = duration(report.finished_at - report.started_at)
    who = f" · started by {mention(started_by)}" if started_by else ""
    head = [
        header(
            f"{_plain_verdict(report.verdict)} · {report.project or 'Launch Ready'} · {report.target}"
        ),
        section(f"{VERDICT_LABEL[report.verdict]}  {verdict_sentence(report)}"),
        context(counts, f"{report.requests} requests · {took}{who} · run `{report.run_id}`"),
    ]
    attention = sorted(
        (r for r in report.results if r.status in NEEDS_ATTENTION),
        key=lambda r: (
            r.severity.rank,
            [Status.FAIL, Status.ERROR, Status.WARN].index(r.status),
            r.check_id,
        ),
    )
    later = [r for r in report.results if r.status in SETTLED_LATER]
    tail: list[dict[str, Any]] = []
    if later:
        tail.append(context(truncate(_settled_line(later), limits.CONTEXT_TEXT)))
    broken = [r for r in report.results if r.contradicted]
    if broken:  # an open incident shows these promises broken
        lines = "; ".join(f"`{r.check_id}` {r.contradicted}" for r in broken)
        tail.append(
            context(
                truncate(
                    f":rotating_light: Contradicted ({len(broken)}): {lines}.", limits.CONTEXT_TEXT
                )
            )
        )
    stale = [r for r in report.results if r.stale]
    if stale:  # passes that no longer hold: measured against a config, commit or build since moved
        lines = "; ".join(f"`{r.check_id}` {r.stale}" for r in stale)
        tail.append(
            context(truncate(f":hourglass: Stale ({len(stale)}): {lines}.", limits.CONTEXT_TEXT))
        )

    body: list[dict[str, Any]] = []
    overflow: list[CheckResult] = []
    budget = max_blocks - len(head) - len(tail) - 2  # a divider, and the "more in the thread" note
    current: Severity | None = None
    for result in attention:
        ref = ItemRef(report.target, result.check_id, report.run_id)
        entry = _entry(result, ref, interactive=True)
        group = (
            [context(f"*{severity_label(result.severity)}*")]
            if result.severity is not current
            else []
        )
        if overflow or len(body) + len(group) + len(entry) > budget:
            overflow.append(result)
            continue
        body += group + entry
        current = result.severity
    blocks = head + ([divider()] if body else []) + body
    if overflow:
        blocks.append(context(f"… and {len(overflow)} more that need attention: see the thread."))
    blocks += tail

    thread: list[Message] = []
    if overflow:
        lines = [_compact_line(r) for r in overflow]
        thread += _text_pages(f"More checks that need attention ({len(overflow)})", lines)
    files: list[tuple[str, str]] = []
    detail = (
        _text_pages("Findings and fixes", [_detail_text(r) for r in attention]) if attention else []
    )
    if len(detail) > MAX_DETAIL_REPLIES:
        name = f"findings-{report.run_id}.md"
        detail = detail[:MAX_DETAIL_REPLIES]
        detail[-1].blocks = detail[-1].blocks[: limits.MESSAGE_BLOCKS - 1] + [
            context(
                f"That is not all: every finding of all {len(attention)} checks is in `{name}`, attached below."
            )
        ]
        files.append((name, findings_markdown(report, attention)))
    thread += detail
    return Message(text=_fallback(report), blocks=blocks, thread=thread, files=files)


def findings_markdown(report: RunReport, results: Sequence[CheckResult]) -> str:
    """Every finding of ``results`` as a Markdown file (no Slack limits apply to a file)."""
    lines = [
        f"# {report.project}: {report.target} run {report.run_id}",
        "",
        f"Verdict: {_plain_verdict(report.verdict)}",
        "",
    ]
    for result in results:
        lines += [
            f"## {result.title} (`{result.check_id}`)",
            "",
            f"Severity {result.severity}, status {result.status}, owner {result.owner or 'none'}.",
            "",
            result.summary,
            "",
        ]
        for finding in result.findings:
            lines.append(f"- `{finding.resource}`: {finding.message}")
            if finding.evidence:
                dumped = json.dumps(finding.evidence, ensure_ascii=False, default=str)
                lines.append(f"  evidence: `{truncate(dumped, 4000)}`")
        if result.remediation:
            lines += ["", f"Fix: {result.remediation}"]
        lines.append("")
    return "\n".join(lines)


def _plain_verdict(verdict: Verdict) -> str:
    return {Verdict.GO: "GO", Verdict.GO_WITH_WARNINGS: "GO with warnings", Verdict.NO_GO: "NO GO"}[
        verdict
    ]


def _settled_line(results: Sequence[CheckResult]) -> str:
    manual = [r for r in results if r.status is Status.MANUAL]
    waived = [r for r in results if r.status is Status.WAIVED]
    parts = []
    if manual:
        names = ", ".join(f"`{r.check_id}` ({mention(r.owner)})" for r in manual)
        parts.append(f"{status_mark(Status.MANUAL)} {len(manual)} await attestation: {names}")
    if waived:
        names = ", ".join(f"`{r.check_id}`" for r in waived)
        parts.append(f"{status_mark(Status.WAIVED)} {len(waived)} waived (not passed): {names}")
    return "\n".join(parts)


def _compact_line(result: CheckResult) -> str:
    return (
        f"{status_mark(result.status)} *{escape(result.title)}* `{result.check_id}` "
        f"({result.severity}): {escape(truncate(result.summary, 300))} · {mention(result.owner)}"
    )


def _detail_text(result: CheckResult) -> str:
    lines = [
        f"{status_mark(result.status)} *{escape(result.title)}* `{result.check_id}` ({result.severity}, {result.status})",
        escape(truncate(result.summary, 600)),
    ]
    for finding in result.findings[:MAX_FINDINGS_IN_THREAD]:
        lines.append(
            f"• `{escape(truncate(finding.resource, 150))}`: {escape(truncate(finding.message, 400))}"
        )
    if len(result.findings) > MAX_FINDINGS_IN_THREAD:
        lines.append(
            f"• … and {len(result.findings) - MAX_FINDINGS_IN_THREAD} more findings (press Details)."
        )
    if result.remediation:
        lines.append(f"_Fix:_ {escape(truncate(result.remediation, 600))}")
    return "\n".join(lines)


def _text_pages(title: str, entries: Sequence[str]) -> list[Message]:
    """Entries packed into sections of at most 3,000 characters, in messages of at most 50
    blocks; an entry never straddles two sections unless it alone is too long."""
    sections: list[dict[str, Any]] = []
    current = ""
    for entry in entries:
        candidate = f"{current}\n\n{entry}" if current else entry
        if len(candidate) <= limits.SECTION_TEXT:
            current = candidate
            continue
        if current:
            sections.append(section(current))
        chunks = split_text(entry, limits.SECTION_TEXT)
        sections += [section(c) for c in chunks[:-1]]
        current = chunks[-1]
    if current:
        sections.append(section(current))
    pages = paginate([header(title), *sections], limits.MESSAGE_BLOCKS)
    return [
        Message(
            text=f"{title} (part {i} of {len(pages)})" if len(pages) > 1 else title, blocks=page
        )
        for i, page in enumerate(pages, 1)
    ]


# -- modals ------------------------------------------------------------------------------------


def details_modal(result: CheckResult, ref: ItemRef) -> dict[str, Any]:
    """Every finding with its evidence, within 100 blocks and 250 kB."""
    blocks: list[dict[str, Any]] = [
        header(result.title),
        context(
            f"`{result.check_id}` · {severity_label(result.severity)} · {status_mark(result.status)} {result.status}",
            f"{ref.target} · {result.requests} requests · {result.duration_ms} ms · owner {mention(result.owner)}",
        ),
        section(escape(result.summary)),
    ]
    if result.status is Status.WAIVED and result.waiver_reason:
        blocks.append(section(f"_Waived ({result.waived_status}):_ {escape(result.waiver_reason)}"))
    if result.remediation:
        blocks.append(section(f"*How to fix*\n{escape(result.remediation)}"))
    if result.findings:
        blocks.append(divider())
    size_budget = limits.VIEW_BYTES - 20_000  # room for the frame and JSON escaping
    used = len(json.dumps(blocks))
    reserve = 1  # the "and N more" note
    for index, finding in enumerate(result.findings):
        block = section(_finding_text(finding.resource, finding.message, finding.evidence))
        cost = len(json.dumps(block))
        if len(blocks) + 1 + reserve > limits.VIEW_BLOCKS or used + cost > size_budget:
            rest = len(result.findings) - index
            blocks.append(
                context(
                    f"… and {rest} more findings: `launchready run --only {result.check_id} --format json` shows them all."
                )
            )
            break
        blocks.append(block)
        used += cost
    return {
        "type": "modal",
        "title": limits.plain("Check details", limits.VIEW_TITLE),
        "close": limits.plain("Close", limits.VIEW_TITLE),
        "private_metadata": truncate(ref.encode(), limits.PRIVATE_METADATA),
        "blocks": blocks,
    }


def _finding_text(resource: str, message: str, evidence: dict[str, Any]) -> str:
    text = f"*{escape(truncate(resource, 300))}*\n{escape(truncate(message, 800))}"
    if evidence:
        # key: value lines, each shortened at a word boundary (reports.evidence), never JSON
        # cut mid-string.
        lines = "\n".join(evidence_lines(evidence, value_limit=200))
        text += f"\n```{escape(truncate(lines, MAX_EVIDENCE))}```"
    return text


def waive_modal(
    ref: ItemRef, title: str, *, days: str | None = None, reason: str | None = None
) -> dict[str, Any]:
    """Days and a reason; the submission is validated by the server (errors show in place)."""
    days_input: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": "value",
        "placeholder": limits.plain("1 to 365, e.g. 14", limits.PLACEHOLDER_TEXT),
    }
    reason_input: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": "value",
        "multiline": True,
        "placeholder": limits.plain(
            "Why is it acceptable to launch without this?", limits.PLACEHOLDER_TEXT
        ),
    }
    if days:
        days_input["initial_value"] = days
    if reason:
        reason_input["initial_value"] = reason
    return {
        "type": "modal",
        "callback_id": WAIVE_CALLBACK,
        "title": limits.plain("Waive a check", limits.VIEW_TITLE),
        "submit": limits.plain("Waive", limits.VIEW_TITLE),
        "close": limits.plain("Cancel", limits.VIEW_TITLE),
        "private_metadata": truncate(ref.encode(), limits.PRIVATE_METADATA),
        "blocks": [
            section(
                f"Waive *{escape(title)}* `{ref.check_id}` on *{escape(ref.target)}*. "
                "A waiver never turns into a pass: the check reports *waived* until the waiver lapses."
            ),
            {
                "type": "input",
                "block_id": "days",
                "label": limits.plain("For how many days?", 2000),
                "element": days_input,
            },
            {
                "type": "input",
                "block_id": "reason",
                "label": limits.plain("Reason", 2000),
                "element": reason_input,
            },
        ],
    }


# -- checklist ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChecklistLine:
    """One checklist item as ``status`` shows it (built from the store's ChecklistItem)."""

    check_id: str
    title: str
    severity: Severity
    status: str  # the display status
    owner: str | None
    due: str | None
    overdue: bool
    summary: str | None


def checklist_message(
    *,
    project: str,
    target: str,
    lines: Sequence[ChecklistLine],
    summary: str,
    verdict: Verdict | None,
    last_run: datetime | None,
) -> Message:
    """The checklist, worst first, in at most 50 blocks (one message: it is an ephemeral answer)."""
    verdict_text = (
        f"{VERDICT_LABEL[verdict]} at the last run" if verdict else "No run yet: `/launchready run`"
    )
    when = f" ({last_run.strftime('%Y-%m-%d %H:%M UTC')})" if last_run else ""
    blocks: list[dict[str, Any]] = [
        header(f"Launch checklist · {project} · {target}"),
        section(f"{verdict_text}{when}\n{escape(summary)}"),
    ]
    entries = []
    for line in lines:
        due = f" · due {line.due}" + (" *overdue*" if line.overdue else "") if line.due else ""
        detail = (
            f"\n      {escape(truncate(line.summary, 200))}"
            if line.summary and line.status not in ("pass", "done")
            else ""
        )
        entries.append(
            f"{status_mark(line.status)} `{line.check_id}` {escape(truncate(line.title, 120))} · "
            f"{mention(line.owner)}{due}{detail}"
        )
    sections = [section(chunk) for chunk in _pack(entries)]
    room = limits.MESSAGE_BLOCKS - len(blocks) - 1
    blocks += sections[:room]
    if len(sections) > room:
        blocks.append(
            context("… more items than one message holds: `launchready status` lists them all.")
        )
    return Message(text=f"Checklist for {target}: {summary}", blocks=blocks)


def _pack(entries: Sequence[str]) -> list[str]:
    chunks: list[str] = []
    current = ""
    for entry in entries:
        entry = truncate(entry, limits.SECTION_TEXT)
        candidate = f"{current}\n{entry}" if current else entry
        if len(candidate) > limits.SECTION_TEXT:
            chunks.append(current)
            current = entry
        else:
            current = candidate
    if current:
        chunks.append(current)
    return chunks


def scheduled_run_text(
    target: str, report: RunReport | None, *, problem: str = "", most: int = 20
) -> str:
    """The channel's line about a scheduled run: its verdict, counts and failing checks, or
    why it did not happen."""
    if report is None:
        return f":calendar: The scheduled run of {target} did not happen: {problem}"
    counts = ", ".join(f"{n} {s}" for s, n in report.summary.items() if n)
    failing = [r.check_id for r in report.results if r.status in (Status.FAIL, Status.ERROR)]
    text = f":calendar: Scheduled run of {target}: *{report.verdict}* ({counts})."
    if failing:
        text += (
            " Failing: "
            + ", ".join(f"`{c}`" for c in failing[:most])
            + ("…" if len(failing) > most else "")
        )
    return text
