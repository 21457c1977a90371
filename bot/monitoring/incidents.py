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
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from bot.store import in_thread
from bot.store.incidents import Incidents, NoSuchIncident
from bot.store.ops_tables import AlertDeliveryRow, IncidentRow
from reports.durations import elapsed
from reports.mentions import mention

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
    async def post(
        self,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
    ) -> str: ...

    async def update(
        self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]] | None = None
    ) -> Any: ...


class Renderer(Protocol):
    def message(self, incident: Incident, now: datetime) -> tuple[str, list[dict[str, Any]] | None]:
        """The alert message as it should read now (state, buttons)."""

    def reply(self, incident: Incident, action: str, actor: str | None, now: datetime) -> str:
        """The thread reply for ``reopen``, ``ack``, ``resolve`` or ``reminder``."""


format_duration = elapsed


_who = mention


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
            lines.append(
                f"Acknowledged by {_who(incident.acknowledged_by)} at {_when(incident.acknowledged_at or now)}."
            )
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


# How stale the manager's view of unresolved fingerprints may get for changes made by another
# process (a Slack button on another replica): a resolution waits at most this much longer.
UNRESOLVED_TTL_S = 5.0


class IncidentManager:
    """Incident rules over the store's :class:`~bot.store.incidents.Incidents`, and the
    delivery of what the channel must hear."""

    def __init__(
        self,
        repository: Incidents,
        *,
        notifier: Notifier | None,
        channel: str | None,
        renderer: Renderer | None = None,
        reopen_window: timedelta = REOPEN_WINDOW,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        unresolved_ttl: float = UNRESOLVED_TTL_S,
    ) -> None:
        self.repository = repository
        self.unresolved_ttl = unresolved_ttl
        self.notifier = notifier
        self.channel = channel
        self.renderer: Renderer = renderer or TextRenderer()
        self.reopen_window = reopen_window
        self.clock = clock
        # Alert evaluation runs in a worker thread while monitors tick on the loop: the
        # find-then-insert of open() must not interleave, or one fingerprint opens twice.
        self._lock = threading.RLock()
        # The fingerprints with an unresolved incident, so that a healthy probe learns there
        # is nothing to resolve without a query of its own (it was one per probe). This
        # manager's own opens and resolves keep it exact; it is reloaded every
        # ``UNRESOLVED_TTL_S`` for changes made elsewhere (another replica, another process).
        self._unresolved: set[str] | None = None
        self._unresolved_at = float("-inf")

    # -- reading -----------------------------------------------------------------------

    def get(self, incident_id: int) -> Incident:
        row = self.repository.get(incident_id)
        if row is None:
            raise IncidentError(f"There is no incident #{incident_id}.")
        return Incident.from_row(row)

    def open_incidents(self) -> list[Incident]:
        return [Incident.from_row(r) for r in self.repository.unresolved()]

    def find_open(self, fingerprint: str) -> Incident | None:
        row = self.repository.find_unresolved(fingerprint)
        return Incident.from_row(row) if row else None

    def may_be_open(self, fingerprint: str) -> bool:
        """False when ``fingerprint`` has no unresolved incident, as far as this manager knows
        (at most ``unresolved_ttl`` seconds old for changes made by another process)."""
        with self._lock:
            now = time.monotonic()
            if self._unresolved is None or now - self._unresolved_at > self.unresolved_ttl:
                self._unresolved = {row.fingerprint for row in self.repository.unresolved()}
                self._unresolved_at = now
            return fingerprint in self._unresolved

    def _known(self, fingerprint: str, unresolved: bool) -> None:
        with self._lock:
            if self._unresolved is not None:
                (self._unresolved.add if unresolved else self._unresolved.discard)(fingerprint)

    def recent(self, limit: int = 20) -> list[Incident]:
        return [Incident.from_row(r) for r in self.repository.recent(limit)]

    def pending_deliveries(self) -> int:
        return self.repository.pending_count()

    def deliveries(self, incident_id: int) -> list[AlertDeliveryRow]:
        return self.repository.deliveries(incident_id)

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
        moment = now or self.clock()
        related = related_check if related_check is not None else RELATED_CHECKS.get(kind)

        def recent_enough(last: IncidentRow) -> bool:
            return bool(
                last.resolved_at and moment - last.resolved_at <= self.reopen_window and last.ts
            )

        def reopened(row: IncidentRow) -> None:
            row.state = "open"
            row.reopens += 1
            row.summary = summary
            row.title = title
            row.acknowledged_at = row.acknowledged_by = None
            row.resolved_at = row.resolved_by = row.resolution = None
            row.last_reminder_at = moment

        def new_row() -> IncidentRow:
            return IncidentRow(
                fingerprint=fingerprint,
                kind=kind,
                source=source,
                title=title,
                summary=summary,
                related_check=related,
                link=link,
                started_at=moment,
                last_reminder_at=moment,
                reminder_every_s=int(reminder_every.total_seconds()) if reminder_every else None,
                channel=self.channel,
            )

        with self._lock:
            row, action = self.repository.open(
                fingerprint,
                new_row=new_row,
                reopen=recent_enough,
                reopened=reopened,
                notify=notify,
                now=moment,
            )
            self._known(fingerprint, True)
        if action is None:
            return Incident.from_row(row), False
        log.info("incident #%s %s: %s", row.id, action, title)
        return Incident.from_row(row), True

    def acknowledge(self, incident_id: int, *, actor: str, now: datetime | None = None) -> Incident:
        moment = now or self.clock()

        def apply(row: IncidentRow) -> None:
            if row.state == "resolved":
                raise IncidentError(f"Incident #{incident_id} is already resolved.")
            if row.state == "acknowledged":
                raise IncidentError(
                    f"Incident #{incident_id} was already acknowledged by {_who(row.acknowledged_by)}."
                )
            row.state = "acknowledged"
            row.acknowledged_at = moment
            row.acknowledged_by = actor

        return self._change(incident_id, apply, action="ack", actor=actor, now=moment)

    def resolve(
        self,
        incident_id: int,
        *,
        actor: str,
        reason: str | None = None,
        now: datetime | None = None,
        notify: bool = True,
    ) -> Incident:
        moment = now or self.clock()

        def apply(row: IncidentRow) -> None:
            if row.state == "resolved":
                raise IncidentError(f"Incident #{incident_id} is already resolved.")
            row.state = "resolved"
            row.resolved_at = moment
            row.resolved_by = actor
            row.resolution = reason

        return self._change(
            incident_id, apply, action="resolve" if notify else None, actor=actor, now=moment
        )

    def _change(
        self,
        incident_id: int,
        apply: Callable[[IncidentRow], None],
        *,
        action: str | None,
        actor: str,
        now: datetime,
    ) -> Incident:
        with self._lock:
            try:
                row = self.repository.change(
                    incident_id, apply, action=action, actor=actor, now=now
                )
            except NoSuchIncident:
                raise IncidentError(f"There is no incident #{incident_id}.") from None
            self._known(row.fingerprint, row.state != "resolved")
        return Incident.from_row(row)

    def resolve_fingerprint(
        self,
        fingerprint: str,
        *,
        actor: str,
        reason: str | None = None,
        now: datetime | None = None,
        notify: bool = True,
    ) -> Incident | None:
        with self._lock:
            if not self.may_be_open(fingerprint):
                return None
            current = self.find_open(fingerprint)
            if current is None:
                self._known(fingerprint, False)
                return None
            try:
                return self.resolve(current.id, actor=actor, reason=reason, now=now, notify=notify)
            except IncidentError:
                return None  # another replica resolved it in the meantime

    def queue_reminders(self, now: datetime | None = None, *, silenced: Iterable[str] = ()) -> int:
        """Queue a reminder for every open incident whose ``reminder_every`` has passed since
        the last one; incidents whose source is ``silenced`` (maintenance) are skipped."""
        return self.repository.queue_reminders(now or self.clock(), silenced)

    # -- delivery ----------------------------------------------------------------------

    async def flush(self, now: datetime | None = None) -> int:
        """Send every pending delivery in order; return how many were sent. A failure leaves
        the delivery (and the later ones of its incident) pending for the next flush."""
        if self.notifier is None or not self.channel:
            return 0
        now = now or self.clock()
        repository = self.repository
        sent = 0
        blocked: set[int] = set()
        for delivery_id in await in_thread(repository.pending_ids):
            found = await in_thread(repository.delivery, delivery_id)
            if found is None:
                continue
            delivery, row = found
            if delivery.state != "pending" or delivery.incident_id in blocked:
                continue
            try:
                ts = await self._deliver(row, delivery, now)
            except Exception as exc:  # the notifier's error is a sentence without the token
                attempts = await in_thread(repository.not_delivered, delivery_id, str(exc))
                blocked.add(delivery.incident_id)
                log.warning(
                    "alert %s for incident #%s not sent (attempt %s): %s",
                    delivery.action,
                    row.id,
                    attempts,
                    exc,
                )
                continue
            await in_thread(repository.delivered, delivery_id, ts=ts, now=now)
            sent += 1
        return sent

    async def _deliver(
        self, row: IncidentRow, delivery: AlertDeliveryRow, now: datetime
    ) -> str | None:
        """Post or edit for one delivery; the ts of a thread reply (None when none was posted)."""
        assert self.notifier is not None and row.id is not None and delivery.id is not None
        channel = row.channel or self.channel
        assert channel
        incident = Incident.from_row(row)
        if delivery.action == "open" or row.ts is None:
            # Without an alert message to edit (opened silently, during maintenance), the
            # first delivery posts the whole alert as it reads now: its news is in it.
            text, blocks = self.renderer.message(incident, now)
            ts = await self.notifier.post(channel, text, blocks)
            await in_thread(self.repository.posted, row.id, delivery.id, channel=channel, ts=ts)
            return None
        if delivery.step == 0 and delivery.action in ("reopen", "ack", "resolve"):
            text, blocks = self.renderer.message(incident, now)
            await self.notifier.update(channel, row.ts, text, blocks)
            await in_thread(self.repository.stepped, delivery.id, 1)
        # The reply tells when it happened, not when Slack finally took the message.
        reply = self.renderer.reply(incident, delivery.action, delivery.actor, delivery.created_at)
        return await self.notifier.post(channel, reply, None, thread_ts=row.ts)
