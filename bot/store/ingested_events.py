"""Accepted ingest deliveries (``lr_ingested_events``), written before the 2xx goes out, and
the windows of them the alert thresholds read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from bot.store.ops_tables import IngestedEventRow
from bot.store.repository import Repository

__all__ = ["IngestedEvents", "RequestSample", "StoredEvent"]


@dataclass(frozen=True)
class StoredEvent:
    """The row id of an accepted event, or that it was a duplicate delivery."""

    id: int | None
    duplicate: bool


@dataclass(frozen=True)
class RequestSample:
    route: str
    status_code: int | None
    latency_ms: float | None
    at: datetime


class IngestedEvents(Repository):
    def add(self, row: IngestedEventRow) -> StoredEvent:
        """Write one event; a second delivery with the same ``delivery_id`` is a duplicate."""
        with self.session() as session:
            session.add(row)
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                return StoredEvent(None, True)
            return StoredEvent(row.id, False)

    def last_status(self, fingerprint: str) -> str | None:
        with self.session() as session:
            return session.exec(
                select(IngestedEventRow.status)
                .where(IngestedEventRow.fingerprint == fingerprint)
                .order_by(col(IngestedEventRow.id).desc())
            ).first()

    def count(self, source: str | None = None) -> int:
        with self.session() as session:
            query = select(IngestedEventRow.id)
            if source:
                query = query.where(IngestedEventRow.source == source)
            return len(session.exec(query).all())

    def requests_since(self, since: datetime) -> list[RequestSample]:
        """``http.request`` events since ``since``: only the columns the thresholds need, as
        the window may hold many thousand events."""
        with self.session() as session:
            return [
                RequestSample(route or "?", status, value, at)
                for route, status, value, at in session.exec(
                    select(
                        IngestedEventRow.route,
                        IngestedEventRow.status_code,
                        IngestedEventRow.latency_ms,
                        IngestedEventRow.occurred_at,
                    ).where(
                        IngestedEventRow.type == "http.request",
                        col(IngestedEventRow.occurred_at) >= since,
                    )
                )
            ]

    def of_type_since(self, kind: str, since: datetime) -> list[IngestedEventRow]:
        with self.session() as session:
            return list(
                session.exec(
                    select(IngestedEventRow)
                    .where(
                        IngestedEventRow.type == kind, col(IngestedEventRow.occurred_at) >= since
                    )
                    .order_by(col(IngestedEventRow.occurred_at))
                )
            )
