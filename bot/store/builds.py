"""Builds the app reported (``lr_build_sightings``): the newest is what the app is now at."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select

from bot.store.record_tables import BuildSightingRow
from bot.store.repository import Repository

__all__ = ["BuildSightings"]


class BuildSightings(Repository):
    def record(self, target: str, build: str, at: datetime, source: str = "run") -> None:
        """Note a build; a sighting of the build already newest only moves nothing."""
        with self.session() as session:
            latest = self._latest(session, target)
            if latest is not None and latest.build == build and latest.seen_at <= at:
                latest.seen_at, latest.source = at, source
            else:
                session.add(BuildSightingRow(target=target, build=build, seen_at=at, source=source))
            session.commit()

    def latest(self, target: str) -> tuple[str, datetime] | None:
        """The newest build of ``target`` and when it was seen, or None."""
        with self.session() as session:
            row = self._latest(session, target)
            return (row.build, row.seen_at) if row else None

    def _latest(self, session, target: str) -> BuildSightingRow | None:  # type: ignore[no-untyped-def]
        query = select(BuildSightingRow).where(BuildSightingRow.target == target)
        return session.exec(
            query.order_by(
                col(BuildSightingRow.seen_at).desc(), col(BuildSightingRow.id).desc()
            ).limit(1)
        ).first()
