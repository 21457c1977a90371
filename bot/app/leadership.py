"""One leader among the replicas: the only process that runs the scheduler.

Every ``serve`` replica answers Slack, ingest and ``/healthz``; the scheduled work (the
digest, monitors, scheduled runs, reminders, waiver notices) runs on exactly one of them, the
holder of the database lock ``leader`` (:class:`bot.store.locks.DatabaseLock`: a PostgreSQL
advisory lock on a connection of its own). A standby asks for the lock every
``retry_every`` seconds; when the leader dies its session ends, the lock is free, and the
first standby to ask starts the scheduler. So a standby takes over within ``retry_every``
seconds plus the scheduler's start. The leader checks every ``check_every`` seconds that the
server still counts the lock as its own; if not (its connection was cut), it stops the
scheduler at once and becomes a standby.

On SQLite one process serves the database and the lock is always granted: that process leads.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot.store import in_thread
from bot.store.locks import DatabaseLock

__all__ = ["CHECK_EVERY_S", "Leadership", "RETRY_EVERY_S"]

log = logging.getLogger(__name__)

RETRY_EVERY_S = 2.0
CHECK_EVERY_S = 2.0

Hook = Callable[[], Awaitable[None]]


class Leadership:
    def __init__(
        self,
        lock: DatabaseLock,
        *,
        on_elected: Hook,
        on_deposed: Hook,
        retry_every: float = RETRY_EVERY_S,
        check_every: float = CHECK_EVERY_S,
    ) -> None:
        self.lock = lock
        self._on_elected = on_elected
        self._on_deposed = on_deposed
        self.retry_every = retry_every
        self.check_every = check_every
        self.leading = False
        self.terms = 0  # how many times this replica became leader
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Ask for the lead once now (so a lone replica leads as soon as it serves), then
        keep campaigning in the background."""
        await self._attempt()
        self._task = asyncio.get_running_loop().create_task(self._campaign(), name="leadership")

    async def stop(self) -> None:
        """Stop campaigning; a leader stops its scheduler and lets the lock go."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self.leading:
            await self._step_down("this replica is stopping")
        await in_thread(self.lock.close)

    async def _campaign(self) -> None:
        while True:
            await asyncio.sleep(self.check_every if self.leading else self.retry_every)
            if not self.leading:
                await self._attempt()
            elif not await in_thread(self.lock.still_held):
                await self._step_down("the database no longer counts the leader lock as ours")

    async def _attempt(self) -> None:
        if not await in_thread(self.lock.try_acquire):
            return
        self.leading = True
        self.terms += 1
        log.info("this replica leads: starting the scheduler")
        try:
            await self._on_elected()
        except Exception:
            log.exception("the scheduler did not start; giving the lead back")
            await self._step_down("the scheduler did not start")

    async def _step_down(self, why: str) -> None:
        log.warning("this replica stops leading: %s", why)
        self.leading = False
        try:
            await self._on_deposed()
        finally:
            await in_thread(self.lock.release)
