"""The store: every table of Launch Ready, in one database.

Runs, their results, the launch checklist and its audit log are methods of :class:`Store`
(:mod:`bot.store.runs`, :mod:`bot.store.checklist`). The tables of the running service are
behind repositories the store hands out: ``incidents`` (incidents and their alert
deliveries), ``events`` (ingested events), ``monitor_states``, ``digests`` (the digest ledger)
and ``notices``. One ``create_all`` at open creates every table (:mod:`bot.store.tables` and
:mod:`bot.store.ops_tables`), under one :data:`~bot.store.tables.SCHEMA_VERSION`.

SQLite by default (WAL, a busy timeout, foreign keys), any SQLAlchemy URL otherwise. One
engine per store and a short session per call, so threads and the event loop can share it;
async code calls the store through :func:`bot.store.in_thread`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import DatabaseError, IntegrityError, SQLAlchemyError
from sqlmodel import SQLModel

from bot.store import ops_tables, record_tables
from bot.store.base import utcnow
from bot.store.builds import BuildSightings
from bot.store.checklist import FILE_ACTOR, ChecklistStore
from bot.store.digests import DigestLedger
from bot.store.engine import describe_url, make_engine
from bot.store.incidents import Incidents
from bot.store.ingested_events import IngestedEvents
from bot.store.locks import DatabaseLock
from bot.store.monitor_states import MonitorStates
from bot.store.notices import Notices
from bot.store.records import SchemaTooNewError, StoreError
from bot.store.rotations import Rotations
from bot.store.runs import RunStore
from bot.store.signoffs import Signoffs
from bot.store.tables import SCHEMA_VERSION, AuditRow, ChecklistRow, MetaRow, ResultRow, RunRow

__all__ = ["ALL_TABLES", "FILE_ACTOR", "Store"]

log = logging.getLogger(__name__)

# pg_advisory_xact_lock key serialising schema creation when replicas start together
# (an arbitrary constant: "LRSC" in ASCII).
_SCHEMA_LOCK = 0x4C525343

# Every table the store owns; the schema version covers all of them.
ALL_TABLES = [
    *(t.__table__ for t in (MetaRow, RunRow, ResultRow, ChecklistRow, AuditRow)),  # type: ignore[attr-defined]
    *(t.__table__ for t in ops_tables.TABLES),  # type: ignore[attr-defined]
    *(t.__table__ for t in record_tables.TABLES),  # type: ignore[attr-defined]
]


class Store(RunStore, ChecklistStore):
    def __init__(self, engine: Engine, *, url: str, clock: Callable[[], datetime] = utcnow) -> None:
        super().__init__(engine, url=url, clock=clock)
        self.incidents = Incidents(engine)
        self.events = IngestedEvents(engine)
        self.monitor_states = MonitorStates(engine)
        self.digests = DigestLedger(engine)
        self.notices = Notices(engine)
        self.builds = BuildSightings(engine)
        self.rotations = Rotations(engine)
        self.signoffs = Signoffs(engine)
        self._own_runs = set()
        self.interrupted_on_open = 0  # runs found left "running" by a stopped process

    @classmethod
    def open(cls, url: str, *, clock: Callable[[], datetime] | None = None) -> Store:
        """Open (and create) the database; refuse a newer schema; mark dead runs interrupted."""
        store = cls(make_engine(url), url=url, clock=clock or utcnow)
        try:
            store._prepare()
        except StoreError:
            store.engine.dispose()
            raise
        except DatabaseError as exc:
            store.engine.dispose()
            raise StoreError(
                f"database {describe_url(url)} cannot be opened: {_first_line(exc)} "
                "(is it a Launch Ready database? point database: elsewhere)"
            ) from None
        except SQLAlchemyError as exc:
            store.engine.dispose()
            raise StoreError(
                f"database {describe_url(url)} cannot be opened: {_first_line(exc)}"
            ) from None
        return store

    @property
    def shared(self) -> bool:
        """Whether several processes may serve this database (PostgreSQL: replicas)."""
        return self.engine.dialect.name == "postgresql"

    def lock(self, name: str) -> DatabaseLock:
        """A lock named ``name`` held across every process on this database
        (:mod:`bot.store.locks`)."""
        return DatabaseLock(self.engine, name)

    def close(self) -> None:
        # Runs this store started and never finished are abandoned: the next open marks them.
        self._abandon_runs()
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _prepare(self) -> None:
        found = self._schema_version()
        if found is not None and found > SCHEMA_VERSION:
            raise SchemaTooNewError(
                f"database {describe_url(self.url)} was written by a newer Launch Ready "
                f"(schema {found}, this is {SCHEMA_VERSION}); upgrade launchready or point database: elsewhere"
            )
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # Replicas may start together: one creates the schema while the others wait.
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK})
            SQLModel.metadata.create_all(conn, tables=ALL_TABLES)
            if found is not None and found < 2 and conn.dialect.name == "postgresql":
                # Schema 2 widened lr_digests.day for hypercare's "YYYY-MM-DD pm" (SQLite has
                # no length limits to widen).
                conn.execute(text("ALTER TABLE lr_digests ALTER COLUMN day TYPE VARCHAR(16)"))
            _protect_audit_log(conn)
            _add_late_indexes(conn)
        with self.session() as session:
            meta = session.get(MetaRow, "schema_version")
            if meta is None:
                session.add(MetaRow(key="schema_version", value=str(SCHEMA_VERSION)))
            elif int(meta.value) < SCHEMA_VERSION:
                meta.value = str(SCHEMA_VERSION)  # no migrations needed yet: tables are additive
            session.commit()
        self.interrupted_on_open = self._mark_interrupted()
        if self.interrupted_on_open:
            log.info(
                "marked %d run(s) left running by a stopped process as interrupted",
                self.interrupted_on_open,
            )

    def _schema_version(self) -> int | None:
        if not inspect(self.engine).has_table(MetaRow.__tablename__):
            return None
        with self.engine.connect() as conn:
            value = conn.execute(
                text("SELECT value FROM lr_meta WHERE key = 'schema_version'")
            ).scalar()
        try:
            return int(value) if value is not None else None
        except ValueError:
            raise StoreError(
                f"database {describe_url(self.url)} has a schema_version of {value!r}, not a number; "
                "point database: elsewhere"
            ) from None


# The audit log refuses UPDATE and DELETE in the database itself, so no code path (and no
# person with a SQL shell and the app's credentials) rewrites history by accident.
_PG_AUDIT_FUNCTION = """
CREATE OR REPLACE FUNCTION lr_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$ LANGUAGE plpgsql
"""


def _protect_audit_log(conn: Connection) -> None:
    dialect = conn.dialect.name
    if dialect == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            conn.execute(
                text(
                    f"CREATE TRIGGER IF NOT EXISTS lr_audit_no_{verb.lower()} BEFORE {verb} ON lr_audit "
                    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
                )
            )
    elif dialect == "postgresql":
        conn.execute(text(_PG_AUDIT_FUNCTION))
        exists = conn.execute(
            text("SELECT 1 FROM pg_trigger WHERE tgname = 'lr_audit_no_change'")
        ).first()
        if exists is None:
            conn.execute(
                text(
                    "CREATE TRIGGER lr_audit_no_change BEFORE UPDATE OR DELETE ON lr_audit "
                    "FOR EACH ROW EXECUTE FUNCTION lr_audit_append_only()"
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER lr_audit_no_truncate BEFORE TRUNCATE ON lr_audit "
                    "FOR EACH STATEMENT EXECUTE FUNCTION lr_audit_append_only()"
                )
            )


def _add_late_indexes(conn: Connection) -> None:
    """Indexes added after their table shipped: create_all makes them only for new tables."""
    for index in ops_tables.IncidentRow.__table__.indexes:  # type: ignore[attr-defined]
        if index.name != ops_tables.ONE_UNRESOLVED_INDEX:
            continue
        try:
            with conn.begin_nested():
                index.create(conn, checkfirst=True)
        except IntegrityError:
            log.warning(
                "lr_incidents holds two unresolved incidents for one fingerprint; resolve one, "
                "then restart, so replicas cannot open duplicates"
            )


def _first_line(exc: BaseException) -> str:
    text_ = str(getattr(exc, "orig", None) or exc)
    return text_.splitlines()[0] if text_ else type(exc).__name__
