"""What the parts of the store share: the engine, the clock and short sessions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlmodel import Session

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
        """A short session."""
        with Session(self.engine, expire_on_commit=False) as session:
            yield session
