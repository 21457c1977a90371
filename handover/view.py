"""The handover's content, decided once for every format: sorted, redacted, worded.

Templates (Markdown, HTML, a user's own) only lay this out. Every string here has passed
through the :class:`~reports.sanitize.Sanitizer`; every list is in a fixed order, so the same
input always gives the same document.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from checks.model import Severity, Status, Verdict
from handover.facts import (
    FactBlock,
    FactLine,
    Leak,
    PublicVariable,
    edge_facts,
    email_facts,
    public_env_inventory,
    secret_leaks,
    secret_notes,
)
from handover.model import HandoverInput, ItemView
from reports.durations import elapsed
from reports.order import RESULT_ORDER
from reports.sanitize import Sanitizer

__all__ = ["ActionView", "HandoverView", "Row", "build_view", "status_label", "verdict_sentence"]

# Failing items first: what blocks, then what warns, then what waits for a person.
_ACTION_STATUSES = (Status.FAIL, Status.ERROR, Status.WARN, Status.WAIVED)
_VERDICT_TEXT = {Verdict.GO: "GO", Verdict.GO_WITH_WARNINGS: "GO WITH WARNINGS", Verdict.NO_GO: "NO-GO"}


@dataclass(frozen=True)
class Row:
    """One scorecard row, every cell already clean text."""

    check_id: str
    title: str
    status: str
    severity: str
    owner: str
    due: str
    passes_when: str
    why: str
    breaks: str
    evidence: str
    summary: str = ""  # one line, for a compact scorecard (the HTML page)


@dataclass(frozen=True)
class FindingView:
    resource: str
    message: str
    evidence: str


@dataclass(frozen=True)
class ActionView:
    check_id: str
    title: str
    status: str
    severity: str
    owner: str
    due: str
    summary: str
    findings: tuple[FindingView, ...]
    more_findings: int
    remediation: str
    task: str


@dataclass(frozen=True)
class WaiverView:
    check_id: str
    title: str
    real_status: str
    reason: str
    granted_by: str
    expires: str


@dataclass(frozen=True)
class AttestationView:
    check_id: str
    title: str
    owner: str
    status: str
    attested_by: str
    attested_at: str
    note: str
    every: str
    stale: bool
    task: str


@dataclass(frozen=True)
class MonitorRow:
    name: str
    url: str
    interval: str
    conditions: str
    thresholds: str
    reminder: str


@dataclass(frozen=True)
class IncidentRow:
    title: str
    source: str
    severity: str
    opened: str
    resolved: str
    duration: str
    resolution: str


@dataclass(frozen=True)
class HandoverView:
    title: str
    project: str
    target: str
    base_url: str
    generated_on: str
    run_id: str
    run_started: str
    run_finished: str
    run_took: str
    requests: int
    verdict: str
    verdict_code: str
    verdict_sentence: str
    launch_date: str
    launch_countdown: str
    counts: tuple[tuple[str, int], ...]
    scorecard: tuple[Row, ...]
    actions: tuple[ActionView, ...]
    waivers: tuple[WaiverView, ...]
    edge: tuple[FactBlock, ...]
    email: tuple[FactBlock, ...]
    secrets_checks: tuple[tuple[str, str, str], ...]  # (check id, status, summary)
    leaks: tuple[Leak, ...]
    rotations: tuple[str, ...]  # one task per distinct secret
    rotation_items: tuple[tuple[str, str, str, bool], ...]  # (key, owner, state, closed), open first
    hypercare: str
    signed: tuple[str, ...]  # the signed record, one line each; empty when nobody signed
    secret_notes: tuple[FactLine, ...]
    public_env: tuple[PublicVariable, ...]
    monitors: tuple[MonitorRow, ...]
    incidents: tuple[IncidentRow, ...]
    digest_cron: str
    digest_timezone: str
    digest_channel: str
    attestations: tuple[AttestationView, ...]
    admins: tuple[str, ...]
    config_summary: tuple[tuple[str, str], ...]
    config_path: str
    rerun_all: str
    rerun: tuple[tuple[str, str], ...]  # (check id, command)
    attest_command: str


def status_label(status: Status, waived_status: Status | None = None) -> str:
    if status is Status.WAIVED and waived_status is not None:
        return f"WAIVED ({waived_status})"
    return str(status).upper()


def verdict_sentence(items: tuple[ItemView, ...], verdict: Verdict) -> str:
    blockers = [i for i in items if i.severity is Severity.CRITICAL and i.status in (Status.FAIL, Status.ERROR)]
    if verdict is Verdict.NO_GO:
        names = ", ".join(i.check_id for i in sorted(blockers, key=lambda i: i.check_id))
        noun = "check fails" if len(blockers) == 1 else "checks fail or error"
        return f"{len(blockers)} critical {noun} without a waiver: {names}."
    if verdict is Verdict.GO_WITH_WARNINGS:
        parts = []
        for status, word in (
            (Status.FAIL, "failing"),
            (Status.ERROR, "undecided (error)"),
            (Status.WARN, "warning"),
            (Status.WAIVED, "waived"),
            (Status.MANUAL, "awaiting attestation"),
        ):
            count = sum(1 for i in items if i.status is status)
            if count:
                parts.append(f"{count} {word}")
        return "No critical blocker; still open: " + ", ".join(parts) + "."
    return "Every check passes or is attested; nothing is waived."


def _when(moment: datetime | date | None) -> str:
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return moment.isoformat()


def _day(moment: datetime | date | None) -> str:
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        return _when(moment)[:10]
    return moment.isoformat()


def _duration(delta: timedelta | None) -> str:
    return elapsed(delta) if delta is not None else "ongoing"


def _sort_key(item: ItemView) -> tuple[int, int, str]:
    return (RESULT_ORDER.index(item.status), item.severity.rank, item.check_id)


def _owner(item: ItemView, clean: Sanitizer) -> str:
    return clean.short(item.owner, 60) if item.owner else "unassigned"


def _task(item: ItemView, clean: Sanitizer) -> str:
    owner = _owner(item, clean)
    due = f" (due {_day(item.due)})" if item.due else ""
    # The remediation is printed just above the task; the task says who, by when, and how to close it.
    if item.status is Status.WAIVED:
        expiry = f" before the waiver expires on {_day(item.waiver_expires)}" if item.waiver_expires else ""
        return f"{owner}{due}: apply the remediation{expiry}, then rerun {item.check_id}."
    if item.status is Status.ERROR:
        return f"{owner}{due}: make {item.check_id} able to decide (see why it errored above), rerun it, then fix what it finds."
    return f"{owner}{due}: apply the remediation, then rerun {item.check_id} until it passes."


def build_view(data: HandoverInput, *, clean: Sanitizer | None = None) -> HandoverView:
    clean = clean or Sanitizer(data.known_secrets)
    report = data.report
    items = tuple(sorted(data.items, key=_sort_key))
    verdict = report.verdict
    command = f"launchready run --config {data.config_path} --target {data.target}"

    scorecard = tuple(
        Row(
            check_id=i.check_id,
            title=clean.short(i.title, 120),
            status=status_label(i.status, i.waived_status) + (" (in doubt)" if i.doubt and i.status is Status.PASS else ""),
            severity=str(i.severity),
            owner=_owner(i, clean),
            due=_day(i.due),
            passes_when=clean.short(i.passes_when, 300),
            why=clean.short(i.why, 300),
            breaks=clean.short(i.breaks, 300),
            evidence=_evidence_line(i, clean),
            summary=clean.short(i.summary, 140),
        )
        for i in items
    )
    actions = tuple(
        ActionView(
            check_id=i.check_id,
            title=clean.short(i.title, 120),
            status=status_label(i.status, i.waived_status),
            severity=str(i.severity),
            owner=_owner(i, clean),
            due=_day(i.due),
            summary=clean.short(i.summary, 400),
            findings=tuple(
                FindingView(clean.short(f.resource, 160), clean.short(f.message, 400), clean.evidence(f.evidence))
                for f in i.findings[:10]
            ),
            more_findings=max(0, len(i.findings) - 10),
            remediation=clean.short(i.remediation, 600),
            task=_task(i, clean),
        )
        for i in items
        if i.status in _ACTION_STATUSES
    )
    waivers = tuple(
        WaiverView(
            check_id=i.check_id,
            title=clean.short(i.title, 120),
            real_status=str(i.waived_status or "unknown"),
            reason=clean.short(i.waiver_reason or "no reason recorded", 300),
            granted_by=clean.short(i.waiver_by, 60) if i.waiver_by else "not recorded",
            expires=_day(i.waiver_expires) or "no expiry",
        )
        for i in sorted(items, key=lambda i: i.check_id)
        if i.status is Status.WAIVED
    )
    attestations = tuple(_attestation(i, clean) for i in sorted(items, key=lambda i: i.check_id) if i.mode == "manual")
    secrets_checks = tuple(
        (i.check_id, status_label(i.status, i.waived_status), clean.short(i.summary, 300))
        for i in sorted(items, key=lambda i: i.check_id)
        if i.check_id.startswith("secrets.")
    )
    leaks = secret_leaks(report, clean)
    launch = data.launch_date
    countdown = ""
    if launch is not None:
        days = (launch - data.generated_at.astimezone(UTC).date()).days
        countdown = f"in {days} days" if days > 1 else "tomorrow" if days == 1 else "today" if days == 0 else f"{-days} days ago"
    counts = tuple((str(s), n) for s in RESULT_ORDER if (n := sum(1 for i in items if i.status is s)))
    digest = data.digest_schedule
    return HandoverView(
        title=f"Launch handover: {clean.short(data.project, 120)}, target {clean.short(data.target, 60)}",
        project=clean.short(data.project, 120),
        target=clean.short(data.target, 60),
        base_url=clean.short(data.base_url, 200),
        generated_on=_day(data.generated_at),
        run_id=clean.short(report.run_id, 60),
        run_started=_when(report.started_at),
        run_finished=_when(report.finished_at),
        run_took=_duration(report.finished_at - report.started_at),
        requests=report.requests,
        verdict=_VERDICT_TEXT[verdict],
        verdict_code=str(verdict),
        verdict_sentence=verdict_sentence(items, verdict),
        launch_date=_day(launch) or "not set",
        launch_countdown=countdown,
        counts=counts,
        scorecard=scorecard,
        actions=actions,
        waivers=waivers,
        edge=edge_facts(report, clean),
        email=email_facts(report, clean),
        secrets_checks=secrets_checks,
        leaks=leaks,
        rotations=_rotations(leaks),
        hypercare=clean.short(data.hypercare, 500),
        signed=_signed(data, clean),
        rotation_items=tuple(
            (clean.short(r.key, 200), clean.short(r.owner or "unassigned", 60), clean.short(r.state, 300), r.closed)
            for r in sorted(data.rotation_items, key=lambda r: (r.closed, r.key))
        ),
        secret_notes=secret_notes(report, clean),
        public_env=public_env_inventory(report, clean),
        monitors=tuple(
            MonitorRow(
                name=clean.short(m.name, 80),
                url=clean.short(m.url, 160),
                interval=m.interval,
                conditions=clean.short("; ".join(m.conditions), 300),
                thresholds=f"down after {m.failure_threshold} failures, up after {m.success_threshold} successes",
                reminder=(f"every {m.reminder_every}" if m.reminder_every else "none")
                + ("; notifies on resolve" if m.send_on_resolved else ""),
            )
            for m in sorted(data.monitors, key=lambda m: m.name)
        ),
        incidents=tuple(
            IncidentRow(
                title=clean.short(n.title, 160),
                source=clean.short(n.source, 80),
                severity=clean.short(n.severity, 20),
                opened=_when(n.opened_at),
                resolved=_when(n.resolved_at) or "open",
                duration=_duration(n.duration),
                resolution=clean.short(n.resolution or ("resolved" if n.resolved_at else "still open"), 300)
                + (f" (by {clean.short(n.resolved_by, 60)})" if n.resolved_by else ""),
            )
            for n in sorted(data.incidents, key=lambda n: (n.opened_at, n.title))
        ),
        digest_cron=digest.cron if digest else "",
        digest_timezone=digest.timezone if digest else "",
        digest_channel=clean.short(digest.channel, 60) if digest and digest.channel else "",
        attestations=attestations,
        admins=tuple(clean.short(a, 60) for a in data.admins),
        config_summary=tuple((clean.short(k, 80), clean.short(v, 300)) for k, v in data.config_summary),
        config_path=data.config_path,
        rerun_all=command,
        rerun=tuple((i.check_id, f"{command} --only {i.check_id}") for i in sorted(items, key=lambda i: i.check_id)),
        attest_command=f"launchready done ITEM --note \"what was checked\" --config {data.config_path}",
    )


def _signed(data: HandoverInput, clean: Sanitizer) -> tuple[str, ...]:
    signed = data.signoff
    if signed is None:
        return ()
    lines = [
        f"Signed {signed.verdict} by {clean.short(signed.signed_by, 60)} on {_when(signed.signed_at)}, on run {signed.run_id}.",
        "Waivers in force: " + ("; ".join(clean.short(w, 300) for w in signed.waivers) or "none") + ".",
    ]
    if signed.note:
        lines.append(f"Note: {clean.short(signed.note, 500)}")
    if signed.no_longer_holds:
        lines.append(f"This sign-off no longer holds: {clean.short(signed.no_longer_holds, 300)}.")
    else:
        lines.append("It still holds: no later run changed the verdict.")
    return tuple(lines)


def _rotations(leaks: tuple[Leak, ...]) -> tuple[str, ...]:
    """One rotation task per distinct secret (the same key in a bundle and a file is one task)."""
    places: dict[tuple[str, str], list[str]] = {}
    for leak in leaks:
        key = (leak.kind, leak.value or leak.place)
        places.setdefault(key, [])
        if leak.place not in places[key]:
            places[key].append(leak.place)
    tasks = []
    for (kind, value), where in places.items():
        shown = f" {value}" if value and value not in where else ""
        tasks.append(f"Rotate the {kind}{shown}, found at {', '.join(where)}.")
    return tuple(tasks)


def _evidence_line(item: ItemView, clean: Sanitizer) -> str:
    """The summary, and the first finding's resource when the summary does not name it."""
    line = clean.short(item.summary, 200)
    if item.doubt:
        line += f" Now in doubt: {clean.short(item.doubt, 200)}."
    if item.status is Status.WAIVED and item.waiver_reason:
        line += f" Waived: {clean.short(item.waiver_reason, 120)}"
    if item.findings and item.status is not Status.PASS:
        first = item.findings[0]
        if first.resource and first.resource not in line:
            extra = f" +{len(item.findings) - 1} more" if len(item.findings) > 1 else ""
            line += f" (e.g. {clean.short(first.resource, 80)}{extra})"
    return line


def _attestation(item: ItemView, clean: Sanitizer) -> AttestationView:
    owner = _owner(item, clean)
    if item.status is Status.PASS and not item.stale:
        task = ""
    elif item.stale:
        task = f"{owner}: attest {item.check_id} again (the last attestation is stale)."
    else:
        task = f"{owner}: {clean.short(item.remediation, 300)} Record it with: launchready done {item.check_id} --note \"what was done\""
    return AttestationView(
        check_id=item.check_id,
        title=clean.short(item.title, 120),
        owner=owner,
        status=status_label(item.status, item.waived_status),
        attested_by=clean.short(item.attested_by, 60) if item.attested_by else "",
        attested_at=_when(item.attested_at),
        note=clean.short(item.attestation_note, 200) if item.attestation_note else "",
        every=item.attest_every or "",
        stale=item.stale,
        task=task,
    )
