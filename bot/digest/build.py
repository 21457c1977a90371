"""Building the daily digest from the store.

:func:`build_digest` reads the store (latest runs, checklist items), the open incidents and
the snapshot of the last digest sent to the channel, and returns a
:class:`~bot.digest.model.Digest`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.checklist.present import Present
from bot.config import AppConfig
from bot.digest.model import Digest, DigestItem, TargetDigest
from bot.hypercare import hypercare_for
from bot.monitoring.incidents import Incident
from bot.store import Store
from checks.model import RunReport, Status
from checks.target import format_duration

__all__ = ["build_digest", "digest_day", "score"]

FAILING = {str(Status.FAIL), str(Status.ERROR)}
WAIVER_SOON = timedelta(days=7)


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
    stale_results: list[DigestItem] = []
    contradicted: list[DigestItem] = []
    open_incidents = [Incident.from_row(row) for row in store.incidents.unresolved()]
    open_leaks: list[DigestItem] = []
    many = len(config.targets) > 1
    for name in config.targets:
        present = Present.of(config, name, store, open_incidents)
        report: RunReport | None = store.latest_report(name)
        if report is not None:  # a stale or contradicted critical pass keeps the verdict from GO
            report = present.report(report)
        items = present.items(store.items(name))
        titles = {i.check_id: i for i in items}
        before = previous.get(name, {}) if isinstance(previous.get(name), dict) else {}
        before_statuses: Mapping[str, str] = before.get("statuses", {})
        if report is None:
            targets.append(TargetDigest(name, None, None, before.get("score"), None, None))
        else:
            statuses = {r.check_id: str(r.status) for r in report.results}
            failing_now = {c for c, s in statuses.items() if s in FAILING}
            failing_then = {c for c, s in before_statuses.items() if s in FAILING}

            def item(
                check_id: str, note: str, report: RunReport = report, titles: dict = titles
            ) -> DigestItem:
                result = report.result(check_id)
                entry = titles.get(check_id)
                return DigestItem(
                    check_id,
                    result.title if result else check_id,
                    str(result.severity) if result else "info",
                    (entry.owner if entry else None) or (result.owner if result else None),
                    note,
                )

            newly_failing = (
                [item(c, statuses[c]) for c in sorted(failing_now - failing_then)]
                if before_statuses
                else []
            )
            newly_fixed = [
                item(c, statuses.get(c, "gone"))
                for c in sorted(failing_then - failing_now)
                if statuses.get(c) == str(Status.PASS)
            ]
            targets.append(
                TargetDigest(
                    name,
                    str(report.verdict),
                    score(report),
                    before.get("score"),
                    report.run_id,
                    report.finished_at,
                    tuple(newly_failing),
                    tuple(newly_fixed),
                    statuses,
                )
            )
        prefix = f"{name}: " if many else ""
        for leak in store.rotations.all(name):
            if not leak.closed:
                open_leaks.append(
                    DigestItem(
                        leak.key, leak.rule_id, "critical", leak.owner, f"{prefix}{leak.state}"
                    )
                )
        for entry in items:
            base = dict(
                check_id=entry.check_id,
                title=entry.title,
                severity=str(entry.severity),
                owner=entry.owner,
            )
            if entry.overdue(now):
                days = (today - entry.due).days if entry.due else 0
                overdue.setdefault(entry.owner or "", []).append(
                    DigestItem(
                        **base,
                        note=f"{prefix}due {entry.due} ({days} day{'s' if days != 1 else ''} late)",
                    )
                )
            elif (
                entry.owner is None
                and not entry.resolved(now)
                and (entry.status in FAILING or entry.is_manual)
            ):
                unowned.append(DigestItem(**base, note=f"{prefix}{entry.display_status(now)}"))
            if entry.is_manual and entry.attestation_stale(now):
                attested = entry.attested_at.date() if entry.attested_at else "?"
                stale.append(
                    DigestItem(
                        **base,
                        note=f"{prefix}last attested {attested}, every {_days(entry.attest_every)}",
                    )
                )
            if entry.contradicted:
                contradicted.append(DigestItem(**base, note=f"{prefix}{entry.contradicted}"))
            if entry.stale and not entry.waiver_active(now):
                stale_results.append(DigestItem(**base, note=f"{prefix}{entry.stale}"))
            if (
                entry.waiver_active(now)
                and entry.waiver_expires
                and entry.waiver_expires - now <= WAIVER_SOON
            ):
                waivers.append(
                    DigestItem(
                        **base,
                        note=f"{prefix}waiver ends {entry.waiver_expires.astimezone(zone).date()} ({entry.waiver_reason})",
                    )
                )
    incidents = tuple(open_incidents)
    days_left = (config.launch_date - today).days if config.launch_date else None
    grouped = tuple(
        (owner, tuple(items))
        for owner, items in sorted(overdue.items(), key=lambda kv: (kv[0] == "", kv[0]))
    )
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
        stale_results=tuple(stale_results),
        open_leaks=tuple(open_leaks),
        contradicted=tuple(contradicted),
        hypercare=_hypercare(config, now),
        hypercare_owner=_hypercare_owner(config, now),
    )


def _hypercare(config: AppConfig, now: datetime) -> str | None:
    hypercare = hypercare_for(config)
    if hypercare is None or not hypercare.active(now):
        return None
    return f"Hypercare until {hypercare.end.astimezone(UTC):%Y-%m-%d %H:%M} UTC: {hypercare.describe(with_owner=False)}."


def _hypercare_owner(config: AppConfig, now: datetime) -> str | None:
    hypercare = hypercare_for(config)
    return hypercare.owner_for(now) if hypercare is not None else None


def _days(delta: timedelta | None) -> str:
    return format_duration(delta) if delta is not None else "?"
