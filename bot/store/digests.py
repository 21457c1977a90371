"""``lr_digests``: which channel got its digest on which day, and the snapshot it showed.

Claiming the day before posting makes it one digest per channel per day across restarts and
across processes (the scheduler and a CLI ``--post``).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from bot.store.ops_tables import DigestRow
from bot.store.repository import Repository

__all__ = ["DigestLedger"]


class DigestLedger(Repository):
    def claim(self, channel: str, day: str, now: datetime) -> int | None:
        """Claim today's digest for ``channel``: the row id, or None when it is sent or being
        sent. A claim whose post failed may be claimed again."""
        with self.session() as session:
            session.add(DigestRow(channel=channel, day=day, created_at=now))
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
            else:
                row = session.exec(
                    select(DigestRow).where(DigestRow.channel == channel, DigestRow.day == day)
                ).one()
                return row.id
            row = session.exec(
                select(DigestRow).where(DigestRow.channel == channel, DigestRow.day == day)
            ).one()
            if row.state == "failed":
                row.state = "pending"
                row.created_at = now
                session.add(row)
                session.commit()
                return row.id
            return None

    def sent(
        self,
        row_id: int,
        *,
        ts: str | None,
        snapshot: dict[str, Any],
        score: int | None,
        verdict: str | None,
        now: datetime,
    ) -> None:
        with self.session() as session:
            row = session.get(DigestRow, row_id)
            assert row is not None
            row.state, row.ts, row.sent_at = "sent", ts, now
            row.snapshot = json.dumps(snapshot)
            row.score, row.verdict = score, verdict
            session.add(row)
            session.commit()

    def failed(self, row_id: int) -> None:
        with self.session() as session:
            row = session.get(DigestRow, row_id)
            if row is not None:
                row.state = "failed"
                session.add(row)
                session.commit()

    def last_sent(self, channel: str) -> DigestRow | None:
        with self.session() as session:
            return session.exec(
                select(DigestRow)
                .where(DigestRow.channel == channel, DigestRow.state == "sent")
                .order_by(col(DigestRow.day).desc())
            ).first()

    def today(self, channel: str, day: str) -> DigestRow | None:
        with self.session() as session:
            return session.exec(
                select(DigestRow).where(DigestRow.channel == channel, DigestRow.day == day)
            ).first()

    def previous(self, channel: str | None) -> tuple[dict[str, Any], datetime | None]:
        """The snapshot the last digest sent to ``channel`` showed, and when it went out."""
        if not channel:
            return {}, None
        row = self.last_sent(channel)
        if row is None:
            return {}, None
        return json.loads(row.snapshot or "{}"), row.sent_at
