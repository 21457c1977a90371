"""Incidents: open, de-duplicate, re-open, acknowledge, resolve, remind, and deliver alerts.

An incident is keyed by a fingerprint (``monitor:api-health``, ``alert:latency``,
``alertmanager:<fp>``): opening one that is already open does nothing; opening one that was
resolved less than ``reopen_window`` ago re-opens it and replies in its thread instead of
posting a new alert. Every message an incident owes the channel is a row in
``lr_alert_deliveries`` that stays pending until the notifier returns (Slack accepted it): a
failed post is retried on the next :meth:`IncidentManager.flush`, in order, never dropped.

Nothing here knows Slack: the notifier is anything with ``post``/``update`` coroutines
(:class:`bot.slack.notifier.SlackNotifier` is one) and a :class:`Renderer` turns an incident
into message text and optional blocks.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.store.ops_tables import AlertDeliveryRow, IncidentRow

__all__ = [
    "KINDS",
    "RELATED_CHECKS",
    "Incident",
    "IncidentError",
    "IncidentManager",
    "Notifier",
    "Renderer",
    "TextRenderer",
    "format_duration",
]

log = logging.getLogger(__name__)

KINDS = ("down", "latency", "errors", "webhooks", "alertmanager", "sentry")
RELATED_CHECKS = {
    "down": "obs.health",
    "errors": "obs.health",
    "latency": "perf.latency_p95",
    "webhooks": "webhooks.signature",
}
REOPEN_WINDOW = timedelta(hours=1)


class IncidentError(Exception):
    """A request about an incident that cannot be honoured; the message is a sentence."""


@dataclass(frozen=True)
class Incident:
    id: int
    fingerprint: str
    kind: str
    source: str
    title: str
    summary: str
    related_check: str | None
    link: str | None
    state: str
    started_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None
    resolved_by: str | None
    resolution: str | None
    reopens: int
    channel: str | None
    ts: str | None

    @classmethod
    def from_row(cls, row: IncidentRow) -> Incident:
        assert row.id is not None
        return cls(
            id=row.id,
            fingerprint=row.fingerprint,
            kind=row.kind,
            source=row.source,
            title=row.title,
            summary=row.summary,
            related_check=row.related_check,
            link=row.link,
            state=row.state,
            started_at=row.started_at,
            acknowledged_at=row.acknowledged_at,
            acknowledged_by=row.acknowledged_by,
            resolved_at=row.resolved_at,
            resolved_by=row.resolved_by,
            resolution=row.resolution,
            reopens=row.reopens,
            channel=row.channel,
            ts=row.ts,
        )

    @property
    def is_open(self) -> bool:
        return self.state != "resolved"

    def duration(self, now: datetime) -> timedelta:
        return (self.resolved_at or now) - self.started_at


class Notifier(Protocol):
    async def post(self, channel: str, text: str, blocks: list[dict[str, Any]] | None = None, thread_ts: str | None = None) -> str: ...

    async def update(self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]] | None = None) -> Any: ...


class Renderer(Protocol):
    def message(self, incident: Incident, now: datetime) -> tuple[str, list[dict[str, Any]] | None]:
        """The alert message as it should read now (state, buttons)."""

    def reply(self, incident: Incident, action: str, actor: str | None, now: datetime) -> str:
        """The thread reply for ``reopen``, ``ack``, ``resolve`` or ``reminder``."""


def format_duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {seconds}s" if seconds else f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h" if hours else f"{days}d"


def _who(actor: str | None) -> str:
    if not actor:
        return "someone"
    if actor.startswith(("U", "W")) and actor.isalnum():
        return f"<@{actor}>"
    return actor


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


class TextRenderer:
    """Plain text for every message; the Slack renderer adds blocks and buttons."""

    def message(self, incident: Incident, now: datetime) -> tuple[str, list[dict[str, Any]] | None]:
        return self.text(incident, now), None

    def text(self, incident: Incident, now: datetime) -> str:
        state = {
            "open": ":rotating_light: Incident",
            "acknowledged": ":eyes: Incident (acknowledged)",
            "resolved": ":white_check_mark: Resolved",
        }[incident.state]
        lines = [f"{state} #{incident.id} [{incident.kind}]: {incident.title}", incident.summary]
        lines.append(f"Started {_when(incident.started_at)}.")
        if incident.acknowledged_by and incident.state != "resolved":
            lines.append(f"Acknowledged by {_who(incident.acknowledged_by)} at {_when(incident.acknowledged_at or now)}.")
        if incident.state == "resolved":
            lines.append(
                f"Resolved by {_who(incident.resolved_by)} at {_when(incident.resolved_at or now)} "
                f"after {format_duration(incident.duration(now))}."
            )
        if incident.related_check:
            lines.append(f"Related checklist item: {incident.related_check}.")
        if incident.link:
            lines.append(incident.link)
        return "\n".join(lines)

    def reply(self, incident: Incident, action: str, actor: str | None, now: datetime) -> str:
        if action == "ack":
            return f"Acknowledged by {_who(actor)} at {_when(now)}."
        if action == "resolve":
            reason = f" {incident.resolution}" if incident.resolution else ""
            return (
                f"Resolved by {_who(actor)} at {_when(incident.resolved_at or now)} after "
                f"{format_duration(incident.duration(now))}.{reason}"
            )
        if action == "reopen":
            return f":rotating_light: Re-opened at {_when(now)}: {incident.summary}"
        return (
            f":alarm_clock: Still {'acknowledged but ' if incident.state == 'acknowledged' else ''}open after "
            f"{format_duration(now - incident.started_at)}: {incident.summary}"
        )


class IncidentManager:
    """Incident state in the store, and the delivery of what the channel must hear."""

    def __init__(
        self,
        engine: Engine,
        *,
        notifier: Notifier | None,
        channel: str | None,
        renderer: Renderer | None = None,
        reopen_window: timedelta = REOPEN_WINDOW,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.engine = engine
        self.notifier = notifier
        self.channel = channel
        self.renderer: Renderer = renderer or TextRenderer()
        self.reopen_window = reopen_window
        self.clock = clock
        # Alert evaluation runs in a worker thread while monitors tick on the loop: the
        # find-then-insert of open() must not interleave, or one fingerprint opens twice.
        self._lock = threading.RLock()

    # -- reading -----------------------------------------------------------------------

    def get(self, incident_id: int) -> Incident:
        with Session(self.engine) as session:
            row = session.get(IncidentRow, incident_id)
            if row is None:
                raise IncidentError(f"There is no incident #{incident_id}.")
            return Incident.from_row(row)

    def open_incidents(self) -> list[Incident]:
        with Session(self.engine) as session:
            rows = session.exec(select(IncidentRow).where(IncidentRow.state != "resolved").order_by(col(IncidentRow.id)))
            return [Incident.from_row(r) for r in rows]

    def find_open(self, fingerprint: str) -> Incident | None:
        with Session(self.engine) as session:
            row = session.exec(
                select(IncidentRow).where(IncidentRow.fingerprint == fingerprint, IncidentRow.state != "resolved")
            ).first()
            return Incident.from_row(row) if row else None

    def recent(self, limit: int = 20) -> list[Incident]:
        with Session(self.engine) as session:
            rows = session.exec(select(IncidentRow).order_by(col(IncidentRow.id).desc()).limit(limit))
            return [Incident.from_row(r) for r in rows]

    def pending_deliveries(self) -> int:
        with Session(self.engine) as session:
            return len(session.exec(select(AlertDeliveryRow.id).where(AlertDeliveryRow.state == "pending")).all())

    def deliveries(self, incident_id: int) -> list[AlertDeliveryRow]:
        with Session(self.engine) as session:
            rows = session.exec(
                select(AlertDeliveryRow).where(AlertDeliveryRow.incident_id == incident_id).order_by(col(AlertDeliveryRow.id))
            ).all()
            for row in rows:
                session.expunge(row)
            return list(rows)

    # -- state changes -----------------------------------------------------------------

    def open(
        self,
        *,
        fingerprint: str,
        kind: str,
        title: str,
        summary: str,
        source: str = "",
        related_check: str | None = None,
        link: str | None = None,
        reminder_every: timedelta | None = None,
        now: datetime | None = None,
        notify: bool = True,
    ) -> tuple[Incident, bool]:
        """Open (or re-open) the incident for ``fingerprint``; returns it and whether it is new
        news (False when it was already open: a duplicate)."""
        if kind not in KINDS:
            raise ValueError(f"incident kind {kind!r} is not one of {', '.join(KINDS)}")
        now = now or self.clock()
        related = related_check if related_check is not None else RELATED_CHECKS.get(kind)
        with self._lock, Session(self.engine) as session:
            current = session.exec(
                select(IncidentRow).where(IncidentRow.fingerprint == fingerprint, IncidentRow.state != "resolved")
            ).first()
            if current is not None:
                return Incident.from_row(current), False
            last = session.exec(
                select(IncidentRow)
                .where(IncidentRow.fingerprint == fingerprint, IncidentRow.state == "resolved")
                .order_by(col(IncidentRow.resolved_at).desc())
            ).first()
            if last is not None and last.resolved_at and now - last.resolved_at <= self.reopen_window and last.ts:
                row = last
                row.state = "open"
                row.reopens += 1
                row.summary = summary
                row.title = title
                row.acknowledged_at = row.acknowledged_by = None
                row.resolved_at = row.resolved_by = row.resolution = None
                row.last_reminder_at = now
                action = "reopen"
            else:
                row = IncidentRow(
                    fingerprint=fingerprint,
                    kind=kind,
                    source=source,
                    title=title,
                    summary=summary,
                    related_check=related,
                    link=link,
                    started_at=now,
                    last_reminder_at=now,
                    reminder_every_s=int(reminder_every.total_seconds()) if reminder_every else None,
                    channel=self.channel,
                )
                action = "open"
            session.add(row)
            session.flush()
            if notify:
                session.add(AlertDeliveryRow(incident_id=row.id, action=action, created_at=now))
            session.commit()
            session.refresh(row)
            log.info("incident #%s %s: %s", row.id, action, title)
            return Incident.from_row(row), True

    def acknowledge(self, incident_id: int, *, actor: str, now: datetime | None = None) -> Incident:
        now = now or self.clock()
        with self._lock, Session(self.engine) as session:
            row = session.get(IncidentRow, incident_id)
            if row is None:
                raise IncidentError(f"There is no incident #{incident_id}.")
            if row.state == "resolved":
                raise IncidentError(f"Incident #{incident_id} is already resolved.")
            if row.state == "acknowledged":
                raise IncidentError(f"Incident #{incident_id} was already acknowledged by {_who(row.acknowledged_by)}.")
            row.state = "acknowledged"
            row.acknowledged_at = now
            row.acknowledged_by = actor
            session.add(row)
            session.add(AlertDeliveryRow(incident_id=incident_id, action="ack", actor=actor, created_at=now))
            session.commit()
            session.refresh(row)
            return Incident.from_row(row)

    def resolve(
        self,
        incident_id: int,
        *,
        actor: str,
        reason: str | None = None,
        now: datetime | None = None,
        notify: bool = True,
    ) -> Incident:
        now = now or self.clock()
        with self._lock, Session(self.engine) as session:
            row = session.get(IncidentRow, incident_id)
            if row is None:
                raise IncidentError(f"There is no incident #{incident_id}.")
            if row.state == "resolved":
                raise IncidentError(f"Incident #{incident_id} is already resolved.")
            row.state = "resolved"
            row.resolved_at = now
            row.resolved_by = actor
            row.resolution = reason
            session.add(row)
            if notify:
                session.add(AlertDeliveryRow(incident_id=incident_id, action="resolve", actor=actor, created_at=now))
            session.commit()
            session.refresh(row)
            return Incident.from_row(row)

    def resolve_fingerprint(self, fingerprint: str, *, actor: str, reason: str | None = None, now: datetime | None = None, notify: bool = True) -> Incident | None:
        with self._lock:
            current = self.find_open(fingerprint)
            if current is None:
                return None
            return self.resolve(current.id, actor=actor, reason=reason, now=now, notify=notify)

    def queue_reminders(self, now: datetime | None = None, *, silenced: Iterable[str] = ()) -> int:
        """Queue a reminder for every open incident whose ``reminder_every`` has passed since
        the last one; incidents whose source is ``silenced`` (maintenance) are skipped."""
        now = now or self.clock()
        quiet = set(silenced)
        queued = 0
        with Session(self.engine) as session:
            rows = session.exec(
                select(IncidentRow).where(IncidentRow.state == "open", col(IncidentRow.reminder_every_s).is_not(None))
            ).all()
            for row in rows:
                if row.source in quiet or not row.reminder_every_s:
                    continue
                since = row.last_reminder_at or row.started_at
                if now - since >= timedelta(seconds=row.reminder_every_s):
                    row.last_reminder_at = now
                    session.add(row)
                    session.add(AlertDeliveryRow(incident_id=row.id, action="reminder", created_at=now))
                    queued += 1
            session.commit()
        return queued

    # -- delivery ----------------------------------------------------------------------

    async def flush(self, now: datetime | None = None) -> int:
        """Send every pending delivery in order; return how many were sent. A failure leaves
        the delivery (and the later ones of its incident) pending for the next flush."""
        if self.notifier is None or not self.channel:
            return 0
        now = now or self.clock()
        with Session(self.engine) as session:
            pending = session.exec(
                select(AlertDeliveryRow).where(AlertDeliveryRow.state == "pending").order_by(col(AlertDeliveryRow.id))
            ).all()
            ids = [p.id for p in pending]
        sent = 0
        blocked: set[int] = set()
        for delivery_id in ids:
            with Session(self.engine) as session:
                delivery = session.get(AlertDeliveryRow, delivery_id)
                if delivery is None or delivery.state != "pending" or delivery.incident_id in blocked:
                    continue
                row = session.get(IncidentRow, delivery.incident_id)
                assert row is not None
                try:
                    await self._deliver(session, row, delivery, now)
                except Exception as exc:  # the notifier's error is a sentence without the token
                    delivery.attempts += 1
                    delivery.last_error = str(exc)[:500]
                    session.add(delivery)
                    session.commit()
                    blocked.add(delivery.incident_id)
                    log.warning("alert %s for incident #%s not sent (attempt %s): %s", delivery.action, row.id, delivery.attempts, exc)
                    continue
                delivery.state = "sent"
                delivery.sent_at = now
                delivery.attempts += 1
                session.add(delivery)
                session.commit()
                sent += 1
        return sent

    async def _deliver(self, session: Session, row: IncidentRow, delivery: AlertDeliveryRow, now: datetime) -> None:
        assert self.notifier is not None
        channel = row.channel or self.channel
        assert channel
        incident = Incident.from_row(row)
        if delivery.action == "open" or row.ts is None:
            # Without an alert message to edit (opened silently, during maintenance), the
            # first delivery posts the whole alert as it reads now: its news is in it.
            text, blocks = self.renderer.message(incident, now)
            ts = await self.notifier.post(channel, text, blocks)
            row.ts, row.channel = ts, channel
            delivery.ts = ts
            session.add(row)
            session.commit()
            return
        if delivery.step == 0 and delivery.action in ("reopen", "ack", "resolve"):
            text, blocks = self.renderer.message(incident, now)
            await self.notifier.update(channel, row.ts, text, blocks)
            delivery.step = 1
            session.add(delivery)
            session.commit()
        # The reply tells when it happened, not when Slack finally took the message.
        reply = self.renderer.reply(incident, delivery.action, delivery.actor, delivery.created_at)
        delivery.ts = await self.notifier.post(channel, reply, None, thread_ts=row.ts)
