"""What the running service's parts share: config, services, the Slack notifier, the
monitoring capability, background tasks and the runs in progress.

Listeners and the server receive one :class:`Runtime`; nothing here is global, so a test
builds its own. :mod:`bot.app.server` (the composition root) sets ``notifier`` and
``monitoring`` when it wires the service.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from checks.model import RunReport

if TYPE_CHECKING:
    from bot.config import AppConfig
    from bot.monitoring.monitoring import Monitoring
    from bot.services import Services
    from bot.slack.notifier import SlackNotifier
    from bot.workers.pool import RunWorkers
    from checks.model import CheckResult

__all__ = [
    "ActiveRun",
    "BackgroundTasks",
    "IncidentLine",
    "RecentIds",
    "Runtime",
    "SecretFilter",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IncidentLine:
    """An open incident as App Home lists it."""

    title: str
    severity: str = "high"
    since: datetime | None = None
    acknowledged_by: str | None = None


@dataclass
class ActiveRun:
    """A run in progress, so a second request can be told where to look."""

    target: str
    user: str
    started_at: datetime
    channel: str | None = None
    ts: str | None = None  # the progress message, once posted


class BackgroundTasks:
    """Tasks started after an ``ack()``: references are kept (asyncio holds only weak ones)
    and a failure is logged instead of vanishing.

    Acknowledgements have Slack's 3-second deadline; the work they start does not. So short
    tasks run at most ``limit`` at a time, and each waits (up to ``yield_for`` seconds) while
    a request is being acknowledged (:meth:`foreground`): in a burst of commands the acks get
    the event loop first. Long tasks (a whole run) pass ``gated=False`` and hold no slot.
    """

    def __init__(self, limit: int = 4, yield_for: float = 1.0) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._gate = asyncio.Semaphore(limit)
        self._started = asyncio.Event()
        self._quiet = asyncio.Event()
        self._quiet.set()
        self._acking = 0
        self._yield_for = yield_for
        self.spawned = 0  # ever, for tests and benchmarks that wait for work to start

    @contextmanager
    def foreground(self) -> Iterator[None]:
        """Mark a request being acknowledged; gated work waits for the moment none is."""
        self._acking += 1
        self._quiet.clear()
        try:
            yield
        finally:
            self._acking -= 1
            if self._acking == 0:
                self._quiet.set()

    async def _gated(self, work: Coroutine[Any, Any, Any]) -> Any:
        async with self._gate:
            if not self._quiet.is_set():
                with suppress(TimeoutError):
                    async with asyncio.timeout(self._yield_for):
                        await self._quiet.wait()
            return await work

    def spawn(
        self, work: Coroutine[Any, Any, Any], *, name: str, gated: bool = True
    ) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(
            self._gated(work) if gated else work, name=name
        )
        self._tasks.add(task)
        self.spawned += 1
        self._started.set()
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            log.error(
                "background task %s failed: %s: %s",
                task.get_name(),
                type(error).__name__,
                error,
                exc_info=error,
            )

    def __len__(self) -> int:
        return len(self._tasks)

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait for running tasks (tests, shutdown); cancel what is left after ``timeout``."""
        if not self._tasks:
            return
        pending = set(self._tasks)
        _, still = await asyncio.wait(pending, timeout=timeout)
        for task in still:
            task.cancel()
        if still:
            await asyncio.wait(still, timeout=1.0)

    async def idle(self, timeout: float = 10.0, *, spawned: int = 0) -> None:
        """Wait until at least ``spawned`` tasks were ever started and none is running
        (tasks spawned by tasks included)."""
        async with asyncio.timeout(timeout):
            while self.spawned < spawned:
                self._started.clear()
                await self._started.wait()
            while self._tasks:
                await asyncio.wait(set(self._tasks))


class RecentIds:
    """A bounded set of ids seen lately: a retried Events API delivery is not processed twice."""

    def __init__(self, size: int = 2048) -> None:
        self._size = size
        self._ids: OrderedDict[str, None] = OrderedDict()

    def seen(self, key: str) -> bool:
        """True when ``key`` was seen before; otherwise remember it and return False."""
        if key in self._ids:
            self._ids.move_to_end(key)
            return True
        self._ids[key] = None
        if len(self._ids) > self._size:
            self._ids.popitem(last=False)
        return False


class SecretFilter(logging.Filter):
    """Replaces known secrets (the Slack tokens, the signing secret) in every log record."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s and len(s) >= 8]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        from checks.redact import scrub

        message = record.getMessage()
        cleaned = scrub(message, self._secrets)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


@dataclass
class Runtime:
    config: AppConfig
    services: Services
    notifier: SlackNotifier | None = None
    tasks: BackgroundTasks = field(default_factory=BackgroundTasks)
    monitoring: Monitoring | None = None
    active_runs: dict[str, ActiveRun] = field(default_factory=dict)
    seen_events: RecentIds = field(default_factory=RecentIds)
    edit_interval: float = 1.0  # seconds between chat.update edits of a progress message
    # Where a run's checks execute (see execute): in worker processes when ``workers`` is set
    # (`launchready serve` by default), else on an event loop of their own in a thread
    # (bot/isolated.py) when ``isolate_runs``, else on the service's own loop (the comparison
    # mode, LAUNCHREADY_ISOLATE_RUNS=0).
    isolate_runs: bool = True
    workers: RunWorkers | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    _reports: OrderedDict[str, RunReport] = field(default_factory=OrderedDict, repr=False)
    _started_by: dict[str, str | None] = field(default_factory=dict, repr=False)

    @classmethod
    def open(cls, config: AppConfig, **kwargs: Any) -> Runtime:
        from bot.services import Services

        return cls(config=config, services=Services.open(config), **kwargs)

    def close(self) -> None:
        self.services.close()

    async def execute(
        self,
        target: str,
        only: Sequence[str] = (),
        *,
        trigger: str,
        who: str | None = None,
        on_result: Callable[[CheckResult], None] | None = None,
    ) -> RunReport:
        """Run the checks against ``target`` where this service runs them; ``on_result`` is
        called on this loop as each result lands (already saved in the store)."""
        if self.workers is not None:
            from bot.workers.protocol import RunJob

            return await self.workers.run(
                RunJob(target, tuple(only), trigger, who), on_result=on_result
            )
        if not self.isolate_runs:
            return await self.services.run(
                target, list(only) or None, trigger=trigger, who=who, on_result=on_result
            )
        from bot.isolated import run_isolated

        loop = asyncio.get_running_loop()

        def landed(result: CheckResult) -> None:  # called on the run's own loop
            if on_result is not None:
                loop.call_soon_threadsafe(on_result, result)

        def start() -> Coroutine[Any, Any, RunReport]:
            return self.services.run(
                target, list(only) or None, trigger=trigger, who=who, on_result=landed
            )

        return await run_isolated(start, name=f"run {target}")

    def remember(self, report: RunReport, started_by: str | None = None, keep: int = 20) -> None:
        """Keep the last reports in memory so Details opens and a scorecard is redrawn
        without a database read."""
        if started_by is not None or report.run_id not in self._started_by:
            self._started_by[report.run_id] = started_by
        self._reports[report.run_id] = report
        self._reports.move_to_end(report.run_id)
        while len(self._reports) > keep:
            old, _ = self._reports.popitem(last=False)
            self._started_by.pop(old, None)

    def started_by(self, run_id: str) -> str | None:
        return self._started_by.get(run_id)

    def report(self, run_id: str | None) -> RunReport | None:
        return self._reports.get(run_id) if run_id else None

    def claim_run(self, target: str, user: str) -> ActiveRun | None:
        """Claim ``target`` for a run by ``user``: None when claimed, else the run in the way.

        There is no await between the check and the claim, so two requests arriving together
        cannot both win.
        """
        running = self.active_runs.get(target)
        if running is not None:
            return running
        self.active_runs[target] = ActiveRun(target=target, user=user, started_at=self.clock())
        return None

    def release_run(self, target: str) -> None:
        self.active_runs.pop(target, None)
