"""Group commit: many concurrent writers share one transaction, each still waits for it.

Ingest promises that an event is durably stored before its 2xx. One transaction per event
costs a commit (and on PostgreSQL a round trip and a WAL flush) per request, which caps a
process at a few hundred events a second. Here each request hands its row to the writer and
waits on a future; the writer takes every row queued so far, writes them in one transaction
in a worker thread, and only then resolves each future with that row's outcome. While one
batch commits the next one gathers, so under load a batch holds about as many rows as arrived
during the previous commit, and a lone request is written at once (no timer, no added delay).

A failed batch fails every request in it (each answers an error and the sender retries);
nothing is acknowledged that was not committed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from bot.store.offload import in_thread

__all__ = ["GroupCommit", "NotStored"]

log = logging.getLogger(__name__)

Row = TypeVar("Row")
Outcome = TypeVar("Outcome")


class NotStored(Exception):
    """The batch holding this row was not committed (the database refused or was away)."""


class GroupCommit(Generic[Row, Outcome]):
    def __init__(
        self, write_many: Callable[[list[Row]], Sequence[Outcome]], *, max_batch: int = 1000
    ) -> None:
        self._write_many = write_many
        self._max_batch = max_batch
        self._queued: list[tuple[Row, asyncio.Future[Outcome]]] = []
        self._writer: asyncio.Task[None] | None = None
        self.batches = 0  # how many transactions were committed (for tests and the benchmark)
        self.rows = 0

    async def write(self, row: Row) -> Outcome:
        """Queue ``row`` and wait until the transaction holding it committed: its outcome.
        Raises :class:`NotStored` when that transaction failed."""
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        # A sender that hung up never reads its outcome; read it here so a failed batch is
        # not also logged as "Future exception was never retrieved".
        future.add_done_callback(_observe)
        self._queued.append((row, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain(), name="group-commit")
        # shield: a sender hanging up must not cancel the batch its row is part of.
        return await asyncio.shield(future)

    async def _drain(self) -> None:
        while self._queued:
            batch = self._queued[: self._max_batch]
            del self._queued[: self._max_batch]
            try:
                outcomes = await in_thread(self._write_many, [row for row, _ in batch])
            except Exception as exc:  # the database refused the batch: every request hears it
                log.warning("a batch of %d rows was not stored: %s", len(batch), _first_line(exc))
                for _, future in batch:
                    if not future.done():
                        future.set_exception(NotStored(_first_line(exc)))
                continue
            self.batches += 1
            self.rows += len(batch)
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if not future.done():
                    future.set_result(outcome)

    async def aclose(self) -> None:
        """Wait for the rows already queued to be written."""
        if self._writer is not None:
            await asyncio.gather(self._writer, return_exceptions=True)


def _observe(future: asyncio.Future[object]) -> None:
    if not future.cancelled():
        future.exception()


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.splitlines()[0] if text else type(exc).__name__
