"""One-time notices already sent (``lr_notices``), keyed so each is sent once."""

from __future__ import annotations

from datetime import datetime

from bot.store.ops_tables import NoticeRow
from bot.store.repository import Repository

__all__ = ["Notices"]


class Notices(Repository):
    def sent(self, key: str) -> bool:
        with self.session() as session:
            return session.get(NoticeRow, key) is not None

    def record(self, key: str, at: datetime) -> None:
        with self.session() as session:
            session.add(NoticeRow(key=key, created_at=at))
            session.commit()
