"""Locks that hold across every process sharing the database: who leads, who delivers alerts.

On PostgreSQL a :class:`DatabaseLock` is a session-level advisory lock held on a connection
of its own (outside the pool). It lasts exactly as long as that connection: when the process
holding it dies, even by ``kill -9``, the server ends the session and the lock is free for the
next process at once; no lease to expire, no clock to trust. On SQLite a database is served by
one process (a second ``serve`` on the same file is not supported), so the lock is granted to
whoever asks and only the process's own asyncio locks order the work.

Advisory lock keys are per database, so two deployments on one server never collide.
"""

from __future__ import annotations

import hashlib
import logging
import threading

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

__all__ = ["DatabaseLock", "lock_key"]

log = logging.getLogger(__name__)


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for ``name``."""
    return int.from_bytes(
        hashlib.sha256(f"launchready:{name}".encode()).digest()[:8], "big", signed=True
    )


class DatabaseLock:
    """One named lock per database. Synchronous (a network round trip on PostgreSQL):
    async code calls it through :func:`bot.store.in_thread`. One object per holder; not
    shared by concurrent callers of one process (they order themselves first)."""

    def __init__(self, engine: Engine, name: str) -> None:
        self.engine = engine
        self.name = name
        self.key = lock_key(name)
        self._shared = engine.dialect.name != "postgresql"
        self._conn: Connection | None = None
        self._held = False
        self._guard = threading.Lock()  # acquire/held/release may come from different threads

    @property
    def held(self) -> bool:
        """Whether this object believes it holds the lock (see :meth:`still_held`)."""
        return self._held

    def try_acquire(self) -> bool:
        """Take the lock if it is free: True when this holder has it now."""
        with self._guard:
            if self._shared:
                self._held = True
                return True
            try:
                conn = self._connection()
                got = bool(
                    conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar()
                )
            except SQLAlchemyError as exc:
                log.warning(
                    "lock %s: the database is not reachable: %s", self.name, _first_line(exc)
                )
                self._drop()
                return False
            self._held = got
            return got

    def acquire(self, timeout_s: float = 30.0) -> bool:
        """Wait up to ``timeout_s`` for the lock: True when held."""
        with self._guard:
            if self._shared:
                self._held = True
                return True
            try:
                conn = self._connection()
                conn.execute(
                    text("SELECT set_config('lock_timeout', :t, false)"),
                    {"t": f"{int(timeout_s * 1000)}ms"},
                )
                conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": self.key})
            except SQLAlchemyError as exc:
                log.warning("lock %s not taken: %s", self.name, _first_line(exc))
                self._drop()
                return False
            self._held = True
            return True

    def still_held(self) -> bool:
        """Ask the server whether our session still holds the lock (False when the
        connection was lost: the lock went with it)."""
        with self._guard:
            if self._shared or not self._held:
                return self._held
            try:
                assert self._conn is not None
                found = self._conn.execute(
                    text(
                        "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
                        "AND pid = pg_backend_pid() AND classid::bigint = :high AND objid::bigint = :low"
                    ),
                    {"high": (self.key >> 32) & 0xFFFFFFFF, "low": self.key & 0xFFFFFFFF},
                ).first()
            except SQLAlchemyError as exc:
                log.warning("lock %s lost with its connection: %s", self.name, _first_line(exc))
                self._drop()
                return False
            self._held = found is not None
            return self._held

    def release(self) -> None:
        with self._guard:
            if self._shared:
                self._held = False
                return
            if self._conn is not None and self._held:
                try:
                    self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
                except SQLAlchemyError:
                    self._drop()  # closing the session releases it all the same
            self._held = False

    def close(self) -> None:
        with self._guard:
            self._held = False
            self._drop()

    def _connection(self) -> Connection:
        if self._conn is None:
            # Its own connection, in autocommit: the lock belongs to the session, not to a
            # transaction, and the pool must never hand this session to anyone else.
            self._conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        return self._conn

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.invalidate()  # never back into the pool: it may still hold the lock
                self._conn.close()
            except SQLAlchemyError:
                pass
            self._conn = None


def _first_line(exc: BaseException) -> str:
    text_ = str(getattr(exc, "orig", None) or exc)
    return text_.splitlines()[0] if text_ else type(exc).__name__
