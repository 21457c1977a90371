"""One SQLAlchemy engine per store, with the SQLite settings a shared file needs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.pool import StaticPool

from bot.store.records import StoreError

__all__ = ["BUSY_TIMEOUT_MS", "backend_url", "describe_url", "make_engine"]

# The bot, a CLI run and a CI job may write the same file at once; wait rather than fail.
BUSY_TIMEOUT_MS = 10_000


# ``postgresql://`` (and Heroku's ``postgres://``) name no driver; SQLAlchemy would pick
# psycopg2, which the ``postgres`` extra does not install. psycopg 3 is the one we test.
_POSTGRES_DRIVER = "postgresql+psycopg"


def backend_url(url: str) -> URL:
    """The URL SQLAlchemy is given: a bare PostgreSQL URL gets the psycopg driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername=_POSTGRES_DRIVER)
    return parsed


def describe_url(url: str) -> str:
    """The database as a person would name it: a file path, or the URL without its password."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return url
    if parsed.get_backend_name() == "sqlite":
        return parsed.database or ":memory:"
    return parsed.render_as_string(hide_password=True)


def make_engine(url: str) -> Engine:
    try:
        parsed = backend_url(url)
    except ArgumentError:
        raise StoreError(
            f'"{url}" is not a database URL (use sqlite:///launchready.db or postgresql://...)'
        ) from None
    kwargs: dict[str, Any] = {}
    sqlite = parsed.get_backend_name() == "sqlite"
    if sqlite:
        memory = parsed.database in (None, "", ":memory:")
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000}
        if memory:
            # Every connection to :memory: is a new empty database; share one.
            kwargs["poolclass"] = StaticPool
        else:
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    else:
        # A server may restart or drop idle connections; test each before use rather than
        # fail the next ingest request. Replicas share the server's connection limit.
        kwargs.update(pool_pre_ping=True, pool_size=10, max_overflow=10)
    try:
        engine = create_engine(parsed, **kwargs)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise StoreError(f"database {describe_url(url)} cannot be used: {exc}") from None
    if sqlite:
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL; one fsync per checkpoint
    finally:
        cursor.close()
