"""The daily digest, as neutral data: what changed, what is late, what is about to lapse.

:func:`build_digest` reads the store (latest runs, checklist items), the incidents and the last
digest sent to the channel, and returns a :class:`Digest`. :func:`render_text` turns it into
text through a Jinja2 template (the CLI prints it; Slack uses it as the fallback text beside
the blocks of :mod:`bot.slack.blocks.digest`). The store's digest ledger
(:class:`bot.store.digests.DigestLedger`) makes it one digest per channel per day, across
restarts: :func:`post_digest` claims the day before posting.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

from bot.config import AppConfig
from bot.monitoring.incidents import Incident
from bot.store import Store, in_thread
from checks.model import RunReport, Status
from checks.target import format_duration
from reports.mentions import is_user_id, mention

__all__ = [
    "Digest",
    "DigestItem",
    "TargetDigest",
    "build_digest",
    "digest_day",
    "render_text",
]

FAILING = {str(Status.FAIL), str(Status.ERROR)}
WAIVER_SOON = timedelta(days=7)
TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class DigestItem:
    check_id: str
    title: str
    severity: str
    owner: str | None
    note: str  # why it is listed: "due 2026-12-10", "waiver ends 2026-12-03", ...


@dataclass(frozen=True)
class TargetDigest:
    target: str
    verdict: str | None  # None: never run
    score: int | None  # percentage of judged checks that pass
    previous_score: int | None
    run_id: str | None
    run_at: datetime | None
    newly_failing: tuple[DigestItem, ...] = ()
    newly_fixed: tuple[DigestItem, ...] = ()
    statuses: Mapping[str, str] = field(default_factory=dict)

    @property
    def score_change(self) -> int | None:
        if self.score is None or self.previous_score is None:
            return None
        return self.score - self.previous_score


@dataclass(frozen=True)
class Digest:
    project: str
    channel: str | None
    day: str
    generated_at: datetime
    launch_date: date | None
    days_to_launch: int | None
    targets: tuple[TargetDigest, ...]
    overdue: tuple[tuple[str, tuple[DigestItem, ...]], ...]  # (owner, items), owners sorted
    unowned: tuple[DigestItem, ...]
    stale_attestations: tuple[DigestItem, ...]
    expiring_waivers: tuple[DigestItem, ...]
    incidents: tuple[Incident, ...]
    since: datetime | None  # when the previous digest went out

    def snapshot(self) -> dict[str, Any]:
        return {
            t.target: {"score": t.score, "statuses": dict(t.statuses)} for t in self.targets
        }

    @property
    def is_quiet(self) -> bool:
        return not (self.overdue or self.unowned or self.stale_attestations or self.expiring_waivers or self.incidents)


def digest_day(config: AppConfig, now: datetime) -> str:
    zone = ZoneInfo(config.slack.digest.timezone if config.slack.digest else "UTC")
    return now.astimezone(zone).date().isoformat()


def score(report: RunReport) -> int | None:
    judged = [r for r in report.results if r.status not in (Status.SKIPPED,)]
    if not judged:
        return None
    passed = sum(1 for r in judged if r.status is Status.PASS)
    return round(100 * passed / len(judged))


def build_digest(
    config: AppConfig,
    store: Store,
    *,
    now: datetime | None = None,
    previous: Mapping[str, Any] | None = None,
    since: datetime | None = None,
) -> Digest:
    """The digest as of ``now``; ``previous`` is the last digest's snapshot (for the change)."""
    now = now or datetime.now(UTC)
    previous = previous or {}
    zone = ZoneInfo(config.slack.digest.timezone if config.slack.digest else "UTC")
    today = now.astimezone(zone).date()
    targets: list[TargetDigest] = []
    overdue: dict[str, list[DigestItem]] = {}
    unowned: list[DigestItem] = []
    stale: list[DigestItem] = []
    waivers: list[DigestItem] = []
    many = len(config.targets) > 1
    for name in config.targets:
        report: RunReport | None = store.latest_report(name)
        items = store.items(name)
        titles = {i.check_id: i for i in items}
        before = previous.get(name, {}) if isinstance(previous.get(name), dict) else {}
        before_statuses: Mapping[str, str] = before.get("statuses", {})
        if report is None:
            targets.append(TargetDigest(name, None, None, before.get("score"), None, None))
        else:
            statuses = {r.check_id: str(r.status) for r in report.results}
            failing_now = {c for c, s in statuses.items() if s in FAILING}
            failing_then = {c for c, s in before_statuses.items() if s in FAILING}

            def item(check_id: str, note: str, report: RunReport = report, titles: dict = titles) -> DigestItem:
                result = report.result(check_id)
                entry = titles.get(check_id)
                return DigestItem(
                    check_id,
                    result.title if result else check_id,
                    str(result.severity) if result else "info",
                    (entry.owner if entry else None) or (result.owner if result else None),
                    note,
                )

            newly_failing = [item(c, statuses[c]) for c in sorted(failing_now - failing_then)] if before_statuses else []
            newly_fixed = [
                item(c, statuses.get(c, "gone")) for c in sorted(failing_then - failing_now) if statuses.get(c) == str(Status.PASS)
            ]
            targets.append(
                TargetDigest(
                    name, str(report.verdict), score(report), before.get("score"), report.run_id,
                    report.finished_at, tuple(newly_failing), tuple(newly_fixed), statuses,
                )
            )
        prefix = f"{name}: " if many else ""
        for entry in items:
            base = dict(check_id=entry.check_id, title=entry.title, severity=str(entry.severity), owner=entry.owner)
            if entry.overdue(now):
                days = (today - entry.due).days if entry.due else 0
                overdue.setdefault(entry.owner or "", []).append(
                    DigestItem(**base, note=f"{prefix}due {entry.due} ({days} day{'s' if days != 1 else ''} late)")
                )
            elif entry.owner is None and not entry.resolved(now) and (entry.status in FAILING or entry.is_manual):
                unowned.append(DigestItem(**base, note=f"{prefix}{entry.display_status(now)}"))
            if entry.is_manual and entry.attestation_stale(now):
                attested = entry.attested_at.date() if entry.attested_at else "?"
                stale.append(DigestItem(**base, note=f"{prefix}last attested {attested}, every {_days(entry.attest_every)}"))
            if entry.waiver_active(now) and entry.waiver_expires and entry.waiver_expires - now <= WAIVER_SOON:
                waivers.append(
                    DigestItem(**base, note=f"{prefix}waiver ends {entry.waiver_expires.astimezone(zone).date()} ({entry.waiver_reason})")
                )
    incidents = tuple(Incident.from_row(row) for row in store.incidents.unresolved())
    days_left = (config.launch_date - today).days if config.launch_date else None
    grouped = tuple((owner, tuple(items)) for owner, items in sorted(overdue.items(), key=lambda kv: (kv[0] == "", kv[0])))
    return Digest(
        project=config.project,
        channel=config.slack.channel,
        day=today.isoformat(),
        generated_at=now,
        launch_date=config.launch_date,
        days_to_launch=days_left,
        targets=tuple(targets),
        overdue=grouped,
        unowned=tuple(unowned),
        stale_attestations=tuple(stale),
        expiring_waivers=tuple(waivers),
        incidents=incidents,
        since=since,
    )


def _days(delta: timedelta | None) -> str:
    return format_duration(delta) if delta is not None else "?"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=False,  # plain text / mrkdwn, never HTML
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        undefined=jinja2.StrictUndefined,
    )
    return env


def render_text(digest: Digest, *, slack: bool = False) -> str:
    """The digest as text: ``slack`` mentions owners as ``<@U…>``, else ``@U…``."""

    def named(owner: str | None) -> str:
        if slack or not is_user_id(owner):
            return mention(owner, nobody="nobody")
        return f"@{owner}"  # a terminal cannot link a user id; @U0ALICE reads as one

    def signed(value: int | None) -> str:
        return "" if value is None or value == 0 else (f"+{value}" if value > 0 else str(value))

    env = _environment()
    env.filters["mention"] = named
    env.filters["signed"] = signed
    return env.get_template("digest.txt.j2").render(d=digest).strip() + "\n"


@dataclass(frozen=True)
class DigestPost:
    """What :func:`post_digest` did: ``sent``, ``already_sent``, ``failed`` or ``no_channel``."""

    outcome: str
    digest: Digest
    ts: str | None = None
    message: str = ""


BlocksBuilder = Any  # Callable[[Digest], list[dict]]: the Slack blocks, from bot.slack.blocks.digest


async def post_digest(
    config: AppConfig,
    store: Store,
    notifier: Any,
    *,
    now: datetime | None = None,
    blocks: BlocksBuilder | None = None,
) -> DigestPost:
    """Post today's digest to ``slack.channel`` unless it went out already today.

    The day is claimed in the store before the post, so two processes (the scheduler and a
    CLI ``--post``) cannot both send it; a post Slack refused releases the claim for a retry.
    """
    now = now or datetime.now(UTC)
    ledger = store.digests
    channel = config.slack.channel
    if not channel:
        digest = await in_thread(build_digest, config, store, now=now)
        return DigestPost("no_channel", digest, message="slack.channel is not set: there is nowhere to post the digest.")
    day = digest_day(config, now)
    claim = await in_thread(ledger.claim, channel, day, now)
    previous, since = await in_thread(ledger.previous, channel)
    digest = await in_thread(build_digest, config, store, now=now, previous=previous, since=since)
    if claim is None:
        sent = await in_thread(ledger.today, channel, day)
        where = f" (message {sent.ts})" if sent and sent.ts else ""
        return DigestPost("already_sent", digest, sent.ts if sent else None, f"Today's digest ({day}) was already posted to {channel}{where}.")
    try:
        ts = await notifier.post(channel, render_text(digest, slack=True), blocks(digest) if blocks else None)
    except Exception as exc:  # the notifier's sentence never holds the token
        await in_thread(ledger.failed, claim)
        return DigestPost("failed", digest, message=f"The digest was not posted: {exc}")
    first = digest.targets[0] if digest.targets else None
    await in_thread(
        ledger.sent, claim, ts=ts, snapshot=digest.snapshot(), score=first.score if first else None,
        verdict=first.verdict if first else None, now=now,
    )
    return DigestPost("sent", digest, ts, f"Posted the digest for {day} to {channel}.")
