"""Accepted ingest deliveries (``lr_ingested_events``), written before the 2xx goes out, and
the windows of them the alert thresholds read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.dialects import postgresql, sqlite
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

    def add_many(self, rows: list[IngestedEventRow]) -> list[StoredEvent]:
        """Write a batch in one transaction; an outcome per row, in order. A ``delivery_id``
        seen before (stored earlier, or earlier in this batch) is a duplicate: insert-or-ignore
        on its unique key, so replicas receiving the same delivery at once store it once."""
        outcomes: list[StoredEvent | None] = [None] * len(rows)
        keyed: dict[str, int] = {}  # delivery_id -> the first row in the batch carrying it
        for index, row in enumerate(rows):
            if row.delivery_id is None:
                continue
            if row.delivery_id in keyed:
                outcomes[index] = StoredEvent(None, True)
            else:
                keyed[row.delivery_id] = index
        table = IngestedEventRow.__table__  # type: ignore[attr-defined]
        with self.engine.begin() as conn:
            if keyed:
                # One compiled statement, executemany: SQLAlchemy sends it as multi-row
                # INSERTs ("insertmanyvalues") and gathers RETURNING from each.
                statement = (
                    _insert_for(conn.dialect.name)(table)
                    .on_conflict_do_nothing(index_elements=["delivery_id"])
                    .returning(table.c.id, table.c.delivery_id)
                )
                result = conn.execute(statement, [_values(rows[i]) for i in keyed.values()])
                stored = {delivery: row_id for row_id, delivery in result}
                for delivery, index in keyed.items():
                    row_id = stored.get(delivery)
                    outcomes[index] = StoredEvent(row_id, row_id is None)
            for index, row in enumerate(rows):
                if row.delivery_id is None:
                    row_id = conn.execute(
                        insert(table).values(_values(row)).returning(table.c.id)
                    ).scalar_one()
                    outcomes[index] = StoredEvent(row_id, False)
        return [outcome for outcome in outcomes if outcome is not None]

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


def _insert_for(dialect: str):  # noqa: ANN202 - the dialect's Insert class, with on_conflict_*
    if dialect == "postgresql":
        return postgresql.insert
    if dialect == "sqlite":
        return sqlite.insert
    raise NotImplementedError(f"batched ingest supports SQLite and PostgreSQL, not {dialect}")


_COLUMNS = tuple(c.name for c in IngestedEventRow.__table__.columns if c.name != "id")  # type: ignore[attr-defined]


def _values(row: IngestedEventRow) -> dict[str, object]:
    return {name: getattr(row, name) for name in _COLUMNS}
