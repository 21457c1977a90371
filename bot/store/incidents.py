"""Incidents and the messages they owe the channel (``lr_incidents``, ``lr_alert_deliveries``).

The rules (what de-duplicates, when an incident re-opens, who may resolve) are
:class:`bot.monitoring.incidents.IncidentManager`'s; this repository keeps each change to
both tables in one transaction. Rows it returns are detached copies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from bot.store.ops_tables import AlertDeliveryRow, IncidentRow
from bot.store.repository import Repository

__all__ = ["Incidents", "NoSuchIncident"]


class NoSuchIncident(LookupError):
    pass


class Incidents(Repository):
    # -- reading ---------------------------------------------------------------------------

    def get(self, incident_id: int) -> IncidentRow | None:
        with self.session() as session:
            return session.get(IncidentRow, incident_id)

    def unresolved(self) -> list[IncidentRow]:
        with self.session() as session:
            return list(
                session.exec(
                    select(IncidentRow)
                    .where(IncidentRow.state != "resolved")
                    .order_by(col(IncidentRow.id))
                )
            )

    def find_unresolved(self, fingerprint: str) -> IncidentRow | None:
        with self.session() as session:
            return session.exec(
                select(IncidentRow).where(
                    IncidentRow.fingerprint == fingerprint, IncidentRow.state != "resolved"
                )
            ).first()

    def recent(self, limit: int = 20) -> list[IncidentRow]:
        with self.session() as session:
            return list(
                session.exec(select(IncidentRow).order_by(col(IncidentRow.id).desc()).limit(limit))
            )

    def pending_count(self) -> int:
        with self.session() as session:
            return len(
                session.exec(
                    select(AlertDeliveryRow.id).where(AlertDeliveryRow.state == "pending")
                ).all()
            )

    def pending_ids(self) -> list[int]:
        with self.session() as session:
            rows = session.exec(
                select(AlertDeliveryRow.id)
                .where(AlertDeliveryRow.state == "pending")
                .order_by(col(AlertDeliveryRow.id))
            ).all()
            return [r for r in rows if r is not None]

    def deliveries(self, incident_id: int) -> list[AlertDeliveryRow]:
        with self.session() as session:
            return list(
                session.exec(
                    select(AlertDeliveryRow)
                    .where(AlertDeliveryRow.incident_id == incident_id)
                    .order_by(col(AlertDeliveryRow.id))
                ).all()
            )

    def delivery(self, delivery_id: int) -> tuple[AlertDeliveryRow, IncidentRow] | None:
        with self.session() as session:
            delivery = session.get(AlertDeliveryRow, delivery_id)
            if delivery is None:
                return None
            row = session.get(IncidentRow, delivery.incident_id)
            assert row is not None
            return delivery, row

    # -- changing --------------------------------------------------------------------------

    def open(
        self,
        fingerprint: str,
        *,
        new_row: Callable[[], IncidentRow],
        reopen: Callable[[IncidentRow], bool],
        reopened: Callable[[IncidentRow], None],
        notify: bool,
        now: datetime,
    ) -> tuple[IncidentRow, str | None]:
        """Open the incident for ``fingerprint`` in one transaction: (row, ``open`` |
        ``reopen``), or (the open row, None) when one is open already. ``reopen`` decides
        whether the last resolved one comes back; ``reopened`` updates it."""
        with self.session() as session:
            current = session.exec(
                select(IncidentRow).where(
                    IncidentRow.fingerprint == fingerprint, IncidentRow.state != "resolved"
                )
            ).first()
            if current is not None:
                return current, None
            last = session.exec(
                select(IncidentRow)
                .where(IncidentRow.fingerprint == fingerprint, IncidentRow.state == "resolved")
                .order_by(col(IncidentRow.resolved_at).desc())
            ).first()
            if last is not None and reopen(last):
                row, action = last, "reopen"
                reopened(row)
            else:
                row, action = new_row(), "open"
            session.add(row)
            try:
                session.flush()
            except IntegrityError:
                # Another replica opened it between our read and our write (the partial
                # unique index on unresolved fingerprints): theirs is the incident.
                session.rollback()
                current = session.exec(
                    select(IncidentRow).where(
                        IncidentRow.fingerprint == fingerprint, IncidentRow.state != "resolved"
                    )
                ).one()
                return current, None
            if notify:
                session.add(AlertDeliveryRow(incident_id=row.id, action=action, created_at=now))
            session.commit()
            session.refresh(row)
            return row, action

    def change(
        self,
        incident_id: int,
        apply: Callable[[IncidentRow], None],
        *,
        action: str | None,
        actor: str | None,
        now: datetime,
    ) -> IncidentRow:
        """Change one incident with ``apply`` (which may raise to refuse) and queue the
        delivery ``action`` for it, in one transaction; :class:`NoSuchIncident` when absent."""
        with self.session() as session:
            # FOR UPDATE (PostgreSQL): a replica resolving the same incident waits, then sees
            # it resolved and refuses, so one resolution and one message.
            row = session.get(IncidentRow, incident_id, with_for_update=True)
            if row is None:
                raise NoSuchIncident(incident_id)
            apply(row)
            session.add(row)
            if action is not None:
                session.add(
                    AlertDeliveryRow(
                        incident_id=incident_id, action=action, actor=actor, created_at=now
                    )
                )
            session.commit()
            session.refresh(row)
            return row

    def queue_reminders(self, now: datetime, silenced: Iterable[str]) -> int:
        """A reminder delivery for every open incident whose ``reminder_every`` has passed
        since the last one; incidents whose source is ``silenced`` are skipped."""
        quiet = set(silenced)
        queued = 0
        with self.session() as session:
            rows = session.exec(
                select(IncidentRow).where(
                    IncidentRow.state == "open", col(IncidentRow.reminder_every_s).is_not(None)
                )
            ).all()
            for row in rows:
                if row.source in quiet or not row.reminder_every_s:
                    continue
                since = row.last_reminder_at or row.started_at
                if now - since >= timedelta(seconds=row.reminder_every_s):
                    row.last_reminder_at = now
                    session.add(row)
                    session.add(
                        AlertDeliveryRow(incident_id=row.id, action="reminder", created_at=now)
                    )
                    queued += 1
            session.commit()
        return queued

    def posted(self, incident_id: int, delivery_id: int, *, channel: str, ts: str) -> None:
        """The alert message exists in Slack now: remember where, on the incident and the delivery."""
        with self.session() as session:
            row = session.get(IncidentRow, incident_id)
            delivery = session.get(AlertDeliveryRow, delivery_id)
            assert row is not None and delivery is not None
            row.ts, row.channel = ts, channel
            delivery.ts = ts
            session.add_all([row, delivery])
            session.commit()

    def stepped(self, delivery_id: int, step: int) -> None:
        with self.session() as session:
            delivery = session.get(AlertDeliveryRow, delivery_id)
            assert delivery is not None
            delivery.step = step
            session.add(delivery)
            session.commit()

    def delivered(self, delivery_id: int, *, ts: str | None, now: datetime) -> None:
        with self.session() as session:
            delivery = session.get(AlertDeliveryRow, delivery_id)
            assert delivery is not None
            if ts is not None:
                delivery.ts = ts
            delivery.state = "sent"
            delivery.sent_at = now
            delivery.attempts += 1
            session.add(delivery)
            session.commit()

    def not_delivered(self, delivery_id: int, error: str) -> int:
        """Count a failed attempt; the delivery stays pending. Returns the attempts so far."""
        with self.session() as session:
            delivery = session.get(AlertDeliveryRow, delivery_id)
            assert delivery is not None
            delivery.attempts += 1
            delivery.last_error = error[:500]
            session.add(delivery)
            session.commit()
            return delivery.attempts
