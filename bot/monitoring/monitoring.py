"""The monitoring capability of `launchready serve`: monitors, alert thresholds, incidents,
ingest bookkeeping and the facts ``obs.monitoring_live`` judges.

One :class:`Monitoring` per service, built from the config, the store (its repositories) and
the notifier. The scheduler's jobs and the ingest routes call its methods; nothing here is global.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

from bot.config import AppConfig, MonitorConfig
from bot.hypercare import hypercare_for
from bot.monitoring.alerts import AlertEvaluator
from bot.monitoring.incidents import Incident, IncidentManager, Notifier, Renderer
from bot.monitoring.monitor import Monitor, TickResult
from bot.store import Store, in_thread
from bot.store.group_commit import GroupCommit
from bot.store.ingested_events import StoredEvent
from bot.store.ops_tables import IngestedEventRow
from checks.obs.monitoring_live import MonitorFact, MonitoringFacts

__all__ = ["Monitoring", "StoredEvent"]

log = logging.getLogger(__name__)

# After an evaluation that took t seconds, the next waits at least EVALUATION_SHARE * t.
EVALUATION_SHARE = 4.0


class Monitoring:
    def __init__(
        self,
        config: AppConfig,
        store: Store,
        *,
        notifier: Notifier | None = None,
        renderer: Renderer | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.config = config
        self.store = store
        self.clock = clock
        self.incidents = IncidentManager(
            store.incidents,
            notifier=notifier,
            channel=config.slack.channel,
            renderer=renderer,
            clock=clock,
        )
        self.alerts = AlertEvaluator(store.events, config.alerts, self.incidents)
        # Hypercare tightens every monitor's thresholds while its window is open.
        self.hypercare = hypercare_for(config)
        self.monitors: dict[str, Monitor] = {
            m.name: Monitor(
                m,
                states=store.monitor_states,
                incidents=self.incidents,
                root=config.root,
                thresholds=self._thresholds(m),
            )
            for m in config.monitors
        }
        self.rejections: Counter[str] = Counter()
        self.accepted: Counter[str] = Counter()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._flush_lock = asyncio.Lock()
        # Replicas on one PostgreSQL deliver alerts one at a time across processes too; on
        # SQLite one process serves the database and the asyncio lock is enough.
        self._delivery_lock = store.lock("alert-deliveries") if store.shared else None
        self._evaluation_pending = False
        self._evaluation_cost = 0.0  # seconds the last burst evaluation took
        # Ingest's writes: concurrent requests share one transaction (bot.store.group_commit).
        self.event_writer: GroupCommit[IngestedEventRow, StoredEvent] = GroupCommit(
            self.store_events, max_batch=500
        )

    def _thresholds(self, monitor: MonitorConfig) -> Callable[[datetime], tuple[int, int]] | None:
        hypercare = self.hypercare
        if hypercare is None:
            return None
        return lambda now: hypercare.thresholds(monitor, now)

    async def aclose(self) -> None:
        await self.event_writer.aclose()
        if self._delivery_lock is not None:
            await in_thread(self._delivery_lock.close)
        for task in list(self._tasks):
            task.cancel()
        for monitor in self.monitors.values():
            await monitor.aclose()

    # -- ticks (the scheduler's jobs call these) --------------------------------------------

    async def tick_monitor(self, name: str, now: datetime | None = None) -> TickResult | None:
        monitor = self.monitors.get(name)
        if monitor is None:
            log.warning(
                "monitor %s is no longer configured; its job will be removed on the next start",
                name,
            )
            return None
        result = await monitor.tick(now or self.clock())
        if not result.success or result.resolved is not None:
            # Only a failing probe (open, or re-open) or a resolution queues a delivery; a
            # healthy probe has nothing to send, and pending retries are the alerts job's.
            await self.flush(now)
        return result

    async def tick_alerts(self, now: datetime | None = None) -> list[Incident]:
        """Slide the alert windows, queue due reminders, retry pending deliveries."""
        now = now or self.clock()
        changed = await in_thread(self.alerts.evaluate, now)
        await in_thread(self.incidents.queue_reminders, now, silenced=self.silenced(now))
        await self.flush(now)
        return changed

    async def tick_reminders(self, now: datetime | None = None) -> int:
        """Queue due reminders for incidents left open and deliver them."""
        now = now or self.clock()
        queued = await in_thread(self.incidents.queue_reminders, now, silenced=self.silenced(now))
        await self.flush(now)
        return queued

    async def evaluate_alerts(self, now: datetime | None = None) -> list[Incident]:
        """Slide the alert windows and deliver what changed."""
        now = now or self.clock()
        changed = await in_thread(self.alerts.evaluate, now)
        await self.flush(now)
        return changed

    def silenced(self, now: datetime) -> set[str]:
        return {name for name, m in self.monitors.items() if m.maintenance.active(now)}

    async def flush(self, now: datetime | None = None) -> int:
        # One flush at a time, in this process and across replicas: two would post the same
        # pending alert twice.
        async with self._flush_lock:
            lock = self._delivery_lock
            if lock is None:
                return await self.incidents.flush(now)
            if not await in_thread(lock.acquire, 30.0):
                log.warning("alert deliveries wait: another replica has been delivering for 30 s")
                return 0
            try:
                return await self.incidents.flush(now)
            finally:
                await in_thread(lock.release)

    def evaluate_soon(self, delay: float = 0.2) -> None:
        """Evaluate the alert thresholds shortly, once for a burst of events: evaluating after
        every event of a burst would re-read the whole window each time. Under sustained load
        the wait grows with what an evaluation costs (at least 4x its last duration), so
        re-reading a large window never takes more than about a fifth of the time."""
        if self._evaluation_pending:
            return
        self._evaluation_pending = True

        async def evaluate() -> None:
            await asyncio.sleep(max(delay, EVALUATION_SHARE * self._evaluation_cost))
            self._evaluation_pending = False
            began = time.monotonic()
            changed = await in_thread(self.alerts.evaluate, self.clock())
            self._evaluation_cost = time.monotonic() - began
            if changed:
                await self.flush()

        self._spawn(evaluate(), name="alert-evaluation")

    def flush_soon(self) -> None:
        """Deliver pending alerts in the background (after an ingest answer went out)."""
        self._spawn(self.flush(), name="incident-flush")

    def _spawn(self, work: Coroutine[Any, Any, Any], *, name: str) -> None:
        task = asyncio.get_running_loop().create_task(work, name=name)
        self._tasks.add(task)

        def done(finished: asyncio.Task[Any]) -> None:
            self._tasks.discard(finished)
            if not finished.cancelled() and finished.exception() is not None:
                log.error("%s failed: %s", name, finished.exception())

        task.add_done_callback(done)

    async def idle(self) -> None:
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    # -- ingest bookkeeping ------------------------------------------------------------

    def store_event(self, row: IngestedEventRow) -> StoredEvent:
        """Write one accepted event; a second delivery with the same ``delivery_id`` is a
        duplicate (acknowledged by the caller, not processed). Synchronous: ingest handlers
        call it through :func:`bot.store.in_thread`."""
        stored = self.store.events.add(row)
        if not stored.duplicate:
            self.accepted[row.source] += 1
        return stored

    def store_events(self, rows: list[IngestedEventRow]) -> list[StoredEvent]:
        """Write a batch of accepted events in one transaction (synchronous, like
        :meth:`store_event`); an outcome per row, duplicates marked."""
        stored = self.store.events.add_many(rows)
        for row, outcome in zip(rows, stored, strict=True):
            if not outcome.duplicate:
                self.accepted[row.source] += 1
        return stored

    async def record_event(self, row: IngestedEventRow) -> StoredEvent:
        """Store one accepted event before its 2xx, batched with the events arriving at the
        same time (one commit for all of them); returns once its transaction committed."""
        return await self.event_writer.write(row)

    def last_status(self, fingerprint: str) -> str | None:
        return self.store.events.last_status(fingerprint)

    def count_events(self, source: str | None = None) -> int:
        return self.store.events.count(source)

    def reject(self, source: str, reason: str, detail: str) -> None:
        """Count and log a rejected delivery; ``detail`` is our sentence, never the body."""
        self.rejections[f"{source}:{reason}"] += 1
        log.warning("ingest %s rejected (%s): %s", source, reason, detail)

    # -- facts for obs.monitoring_live ---------------------------------------------------

    def facts(self, target_name: str | None = None) -> MonitoringFacts:
        states = self.store.monitor_states.all()
        monitors = []
        for config in self.config.monitors:
            if target_name and config.target and config.target != target_name:
                continue
            state = states.get(config.name)
            monitors.append(
                MonitorFact(
                    name=config.name,
                    method=config.method,
                    url=config.url,
                    last_success=state.last_success if state else None,
                    last_probe_at=state.last_probe_at if state else None,
                    last_summary=state.last_summary if state else None,
                )
            )
        return MonitoringFacts(monitors=tuple(monitors), channel=self.config.slack.channel)
