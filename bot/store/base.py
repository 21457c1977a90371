"""What the parts of the store share: the engine, the clock and short sessions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlmodel import Session, SQLModel

__all__ = ["StoreCore"]


def utcnow() -> datetime:
    return datetime.now(UTC)


class StoreCore:
    def __init__(self, engine: Engine, *, url: str, clock: Callable[[], datetime] = utcnow) -> None:
        self.engine = engine
        self.url = url
        self._clock = clock

    def now(self) -> datetime:
        return self._clock()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A short session; also for the store's neighbours (monitors) that keep tables here."""
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    def create_tables(self) -> None:
        """Create tables of modules imported after the store opened (monitors, incidents ...)."""
        SQLModel.metadata.create_all(self.engine)
