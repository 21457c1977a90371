"""Every schedule of `launchready serve`, in one APScheduler 3 AsyncIOScheduler.

Jobs (stable ids, so a restart replaces rather than duplicates them):

- ``lr:digest``: the daily digest, at ``slack.digest.cron`` in its time zone;
- ``lr:monitor:<name>``: one probe per monitor, every ``interval``;
- ``lr:alerts``: slide the ingest alert windows and retry pending alert deliveries;
- ``lr:reminders``: queue reminders for incidents left open;
- ``lr:run:<target>``: scheduled check runs (``targets.<name>.schedule``);
- ``lr:waivers``: tell the channel when a waiver lapsed;
- ``lr:hypercare``: with a ``launch_date``, once a minute: post the hypercare window's start
  and end, and reschedule the monitors and the digest when it opens or closes (during it,
  monitors probe at ``hypercare.monitor_interval`` at most and the digest follows
  ``hypercare.digest_cron``, twice a day).

Jobs are stored by a SQLAlchemyJobStore on the store's engine (table
``lr_apscheduler_jobs``), except the monitors' (see ``MONITOR_STORE``), coalesced, and given a misfire grace time, so a restart neither
loses a digest that was due a few minutes ago nor fires a backlog twice. The jobstore pickles
jobs, so a stored job is a module-level function and string arguments. The live objects come
from the scheduler itself: its :class:`ServiceExecutor` holds the :class:`ServiceJobs` of this
service and hands it to each job as its first argument. No process-wide registry is needed,
and two services in one process (tests) never see each other's jobs.

Only the leader among the replicas sharing a database runs the scheduler
(:mod:`bot.app.leadership`): :func:`install` campaigns for the lead when the service starts
and starts the scheduler when elected; a standby starts it when it takes over.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from apscheduler.executors.asyncio import AsyncIOExecutor
from apscheduler.executors.base import run_coroutine_job
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.app.leadership import CHECK_EVERY_S, RETRY_EVERY_S, Leadership
from bot.app.runtime import Runtime
from bot.checklist.lapsed import announce_lapsed_waivers
from bot.digest import post_digest
from bot.freshness import observe_build
from bot.hypercare import announce_hypercare, hypercare_for
from bot.monitoring.cron import crontab_trigger
from bot.monitoring.monitoring import Monitoring
from bot.slack.blocks.digest import digest_blocks
from bot.slack.blocks.run import scheduled_run_text
from bot.slack.runflow import announce_broken_signoff

__all__ = [
    "JOBSTORE_TABLE",
    "SEAT",
    "SchedulerSeat",
    "Scheduled",
    "ServiceExecutor",
    "ServiceJobs",
    "build_scheduler",
    "desired_jobs",
    "install",
    "reconcile",
    "start_scheduler",
    "stop_scheduler",
]

log = logging.getLogger(__name__)

JOBSTORE_TABLE = "lr_apscheduler_jobs"
ALERTS_EVERY = timedelta(seconds=10)
# Monitor jobs live in memory: they are rebuilt from the config (with a stable phase) on every
# start, so storing them bought nothing, while the SQLAlchemy jobstore wrote a pickled row back
# on every probe (about 1.7 ms of CPU each, the largest share of a probe's cost).
MONITOR_STORE = "monitors"
PHASE_STEP_S = 0.05
REMINDERS_EVERY = timedelta(seconds=30)
WAIVERS_EVERY = timedelta(minutes=15)
DIGEST_RETRY = timedelta(minutes=5)
HYPERCARE_EVERY = timedelta(minutes=1)
HYPERCARE_AFTER = timedelta(days=1)  # the job stays a day past the window, to post its end


@dataclass
class ServiceJobs:
    """What each scheduled job does, against the live service it was built with."""

    runtime: Runtime
    monitoring: Monitoring
    scheduler: AsyncIOScheduler | None = field(default=None, repr=False)

    async def monitor(self, name: str) -> None:
        await self.monitoring.tick_monitor(name)

    async def alerts(self) -> None:
        await self.monitoring.evaluate_alerts()

    async def reminders(self) -> None:
        await self.monitoring.tick_reminders()

    async def digest(self) -> None:
        runtime = self.runtime
        if runtime.notifier is None:
            return
        for name in runtime.config.targets:  # the build each app is at now, for stale passes
            await observe_build(runtime.config, name, runtime.services.store, source="digest")
        now = self.monitoring.clock()
        hypercare = self.monitoring.hypercare
        posted = await post_digest(
            runtime.config,
            runtime.services.store,
            runtime.notifier,
            now=now,
            blocks=digest_blocks,
            twice_daily=hypercare is not None and hypercare.active(now),
        )
        log.info("digest: %s", posted.message)
        if posted.outcome == "failed" and self.scheduler is not None:
            # Slack refused it (down, bot not invited): try again later today, not tomorrow.
            self.scheduler.add_job(
                digest_job,
                "date",
                run_date=datetime.now(UTC) + DIGEST_RETRY,
                args=[],
                id="lr:digest-retry",
                replace_existing=True,
                misfire_grace_time=3600,
            )

    async def run(self, target: str) -> None:
        runtime = self.runtime
        report = None
        try:
            report = await runtime.execute(target, trigger="schedule")
        except Exception as exc:  # RunInProgress, a broken target: say so in the channel
            text = scheduled_run_text(target, None, problem=str(exc))
        else:
            text = scheduled_run_text(target, report)
        channel = runtime.config.slack.channel
        if runtime.notifier is not None and channel:
            await runtime.notifier.post(channel, text)
            if report is not None:  # the run happened: does the sign-off still hold?
                await announce_broken_signoff(runtime, report, channel)

    async def hypercare(self) -> None:
        """Announce the window's edges, and move the schedules when it opens or closes."""
        hypercare = self.monitoring.hypercare
        if hypercare is None:
            return
        runtime, now = self.runtime, self.monitoring.clock()
        await announce_hypercare(
            hypercare, runtime.services.store, runtime.notifier, runtime.config.slack.channel, now
        )
        if self.scheduler is not None:
            reconcile(self.scheduler, desired_jobs(runtime.config, now))

    async def waivers(self) -> None:
        if self.runtime.notifier is None or not self.runtime.config.slack.channel:
            return
        runtime = self.runtime
        await announce_lapsed_waivers(
            runtime.config,
            runtime.services.store,
            runtime.notifier,
            runtime.config.slack.channel,
            self.monitoring.clock(),
        )


# -- the stored jobs: module-level (picklable by reference), string arguments ----------------
# The executor passes the live ServiceJobs as the keyword ``jobs``; APScheduler checks stored
# arguments against these signatures, so ``jobs`` has a default and is never stored.


def _live(jobs: ServiceJobs | None) -> ServiceJobs:
    if jobs is None:
        raise RuntimeError("a Launch Ready job runs only on the service's ServiceExecutor")
    return jobs


async def monitor_job(name: str, *, jobs: ServiceJobs | None = None) -> None:
    await _live(jobs).monitor(name)


async def alerts_job(*, jobs: ServiceJobs | None = None) -> None:
    await _live(jobs).alerts()


async def reminders_job(*, jobs: ServiceJobs | None = None) -> None:
    await _live(jobs).reminders()


async def digest_job(*, jobs: ServiceJobs | None = None) -> None:
    await _live(jobs).digest()


async def run_job(target: str, *, jobs: ServiceJobs | None = None) -> None:
    await _live(jobs).run(target)


async def waivers_job(*, jobs: ServiceJobs | None = None) -> None:
    await _live(jobs).waivers()


async def hypercare_job(*, jobs: ServiceJobs | None = None) -> None:
    await _live(jobs).hypercare()


@dataclass(frozen=True)
class Scheduled:
    """A job we want: its id, the module-level function, string args, the trigger, the grace."""

    id: str
    func: Any
    args: tuple[str, ...]
    trigger: Any
    grace: int
    store: str = "default"


@dataclass(frozen=True)
class _BoundJob:
    """A stored job with this service's :class:`ServiceJobs` bound as ``jobs``, in the shape
    APScheduler's ``run_coroutine_job`` reads."""

    id: str
    name: str
    misfire_grace_time: int | None
    func: Any
    args: tuple[Any, ...]
    kwargs: dict[str, Any]

    def __str__(self) -> str:
        return self.name


class ServiceExecutor(AsyncIOExecutor):
    """Runs stored jobs on the event loop, each given the live :class:`ServiceJobs`."""

    def __init__(self, jobs: ServiceJobs) -> None:
        super().__init__()
        self.jobs = jobs

    def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
        bound = _BoundJob(
            id=job.id,
            name=job.name,
            misfire_grace_time=job.misfire_grace_time,
            func=functools.partial(job.func, jobs=self.jobs),
            args=tuple(job.args),
            kwargs=dict(job.kwargs),
        )

        def finished(future: Any) -> None:
            self._pending_futures.discard(future)
            try:
                events = future.result()
            except BaseException:
                self._run_job_error(job.id, *sys.exc_info()[1:])
            else:
                self._run_job_success(job.id, events)

        future = self._eventloop.create_task(
            run_coroutine_job(bound, job._jobstore_alias, run_times, self._logger.name)
        )
        future.add_done_callback(finished)
        self._pending_futures.add(future)


# -- building the scheduler ---------------------------------------------------------------------


def desired_jobs(config: Any, now: datetime | None = None) -> list[Scheduled]:
    """The jobs this config wants at ``now``: hypercare's profile while its window is open."""
    now = now or datetime.now(UTC)
    hypercare = hypercare_for(config)
    caring = hypercare is not None and hypercare.active(now)
    jobs = [
        Scheduled(
            "lr:alerts", alerts_job, (), IntervalTrigger(seconds=ALERTS_EVERY.total_seconds()), 30
        ),
        Scheduled(
            "lr:reminders",
            reminders_job,
            (),
            IntervalTrigger(seconds=REMINDERS_EVERY.total_seconds()),
            60,
        ),
        Scheduled(
            "lr:waivers",
            waivers_job,
            (),
            IntervalTrigger(seconds=WAIVERS_EVERY.total_seconds()),
            600,
        ),
    ]
    digest = config.slack.digest
    if digest is not None and config.slack.channel:
        cron = hypercare.digest_cron if hypercare is not None and caring else digest.cron
        jobs.append(
            Scheduled("lr:digest", digest_job, (), crontab_trigger(cron, digest.timezone), 3600)
        )
    if hypercare is not None and now < hypercare.end + HYPERCARE_AFTER:
        jobs.append(
            Scheduled(
                "lr:hypercare",
                hypercare_job,
                (),
                IntervalTrigger(seconds=HYPERCARE_EVERY.total_seconds()),
                60,
            )
        )
    for monitor in config.monitors:
        interval = hypercare.interval(monitor, now) if hypercare is not None else monitor.interval
        seconds = max(1.0, interval.total_seconds())
        first = first_probe(monitor.name, seconds, now)
        jobs.append(
            Scheduled(
                f"lr:monitor:{monitor.name}",
                monitor_job,
                (monitor.name,),
                IntervalTrigger(seconds=seconds, start_date=first),
                int(max(seconds, 1)),
                MONITOR_STORE,
            )
        )
    for name, target in config.targets.items():
        if target.schedule:
            jobs.append(
                Scheduled(
                    f"lr:run:{name}",
                    run_job,
                    (name,),
                    crontab_trigger(target.schedule, "UTC"),
                    3600,
                )
            )
    return jobs


def first_probe(name: str, seconds: float, now: datetime) -> datetime:
    """The first probe at or after ``now``: probes fall at ``k x seconds + phase`` since the
    epoch, so a monitor probes at the same instants whenever (and on whichever replica) the
    scheduler starts, and a benchmark knows every due time from the name alone."""
    epoch = now.timestamp()
    due = math.floor(epoch / seconds) * seconds + monitor_phase(name, seconds)
    if due < epoch:
        due += seconds
    return datetime.fromtimestamp(due, UTC)


def monitor_phase(name: str, seconds: float) -> float:
    """Where in its interval a monitor probes: a stable spread by name.

    Started together, every monitor would probe in the same instant each round, and the last
    of a few hundred would run late by the time the burst takes to clear; spread over the
    interval, they arrive a few at a time. The same name keeps its phase across restarts.
    Phases fall on a grid of ``PHASE_STEP_S``: APScheduler wakes once per distinct due time
    and polls every jobstore each time, so a few monitors due together cost one wake-up.
    """
    fraction = int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "big") / 2**64
    return math.floor(fraction * seconds / PHASE_STEP_S) * PHASE_STEP_S


def build_scheduler(engine: Any, jobs: ServiceJobs) -> AsyncIOScheduler:
    memory = engine.url.get_backend_name() == "sqlite" and engine.url.database in (
        None,
        "",
        ":memory:",
    )
    store = (
        MemoryJobStore() if memory else SQLAlchemyJobStore(engine=engine, tablename=JOBSTORE_TABLE)
    )
    return AsyncIOScheduler(
        jobstores={"default": store, MONITOR_STORE: MemoryJobStore()},
        executors={"default": ServiceExecutor(jobs)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
        timezone=UTC,
    )


def start_scheduler(runtime: Runtime, monitoring: Monitoring) -> AsyncIOScheduler:
    """Start the scheduler in the running loop with the config's jobs; returns it."""
    jobs = ServiceJobs(runtime, monitoring)
    scheduler = build_scheduler(runtime.services.store.engine, jobs)
    jobs.scheduler = scheduler
    scheduler.start(paused=True)  # load stored jobs, fire nothing until they are reconciled
    now = monitoring.clock()
    wanted = desired_jobs(runtime.config, now)
    reconcile(scheduler, wanted)
    scheduler.resume()
    log.info(
        "scheduler started with %d jobs; monitor probes are phased from %s",
        len(wanted),
        now.isoformat(),
    )
    return scheduler


def reconcile(scheduler: AsyncIOScheduler, wanted: list[Scheduled]) -> None:
    """Make the scheduler's ``lr:`` jobs these: remove the others, add or replace the changed,
    leave the unchanged alone (they keep their next run time)."""
    ids = {job.id for job in wanted}
    for job in scheduler.get_jobs():
        if job.id.startswith("lr:") and job.id not in ids and job.id != "lr:digest-retry":
            scheduler.remove_job(job.id)  # a monitor or schedule no longer configured
    for job in wanted:
        if job.store != "default" and scheduler.get_job(job.id, jobstore="default") is not None:
            scheduler.remove_job(job.id, jobstore="default")  # stored there by an earlier version
        existing = scheduler.get_job(job.id, jobstore=job.store)
        if (
            existing is not None
            and _same(existing.trigger, job.trigger)
            and tuple(existing.args) == job.args
        ):
            continue  # keep its next run time: a digest due during the restart still fires (grace)
        scheduler.add_job(
            job.func,
            job.trigger,
            args=list(job.args),
            id=job.id,
            name=job.id,
            replace_existing=True,
            coalesce=True,
            misfire_grace_time=job.grace,
            max_instances=1,
            jobstore=job.store,
        )


def _same(stored: Any, wanted: Any) -> bool:
    """The same schedule? Cron triggers compare with their time zone (repr); interval triggers
    by their period (their repr carries a start date that differs on every start)."""
    if isinstance(wanted, IntervalTrigger):
        return isinstance(stored, IntervalTrigger) and stored.interval == wanted.interval
    return repr(stored) == repr(wanted)


def stop_scheduler(scheduler: AsyncIOScheduler) -> None:
    if scheduler.running:
        scheduler.shutdown(wait=False)


@dataclass
class SchedulerSeat:
    """This replica's part in the schedule: its :class:`Leadership` and, while it leads, the
    running scheduler (None while it stands by)."""

    leadership: Leadership | None = None
    scheduler: AsyncIOScheduler | None = None

    @property
    def leading(self) -> bool:
        return self.leadership is not None and self.leadership.leading


SEAT = web.AppKey("scheduler_seat", SchedulerSeat)


def install(
    app: web.Application,
    runtime: Runtime,
    monitoring: Monitoring,
    *,
    retry_every: float = RETRY_EVERY_S,
    check_every: float = CHECK_EVERY_S,
) -> SchedulerSeat:
    """Campaign for the lead when the service starts; run the scheduler only while leading
    (:mod:`bot.app.leadership`); stop both when the service stops."""
    seat = SchedulerSeat()
    app[SEAT] = seat

    async def elected() -> None:
        seat.scheduler = start_scheduler(runtime, monitoring)

    async def deposed() -> None:
        if seat.scheduler is not None:
            stop_scheduler(seat.scheduler)
            seat.scheduler = None

    async def start(_: web.Application) -> None:
        seat.leadership = Leadership(
            runtime.services.store.lock("leader"),
            on_elected=elected,
            on_deposed=deposed,
            retry_every=retry_every,
            check_every=check_every,
        )
        await seat.leadership.start()

    async def stop(_: web.Application) -> None:
        if seat.leadership is not None:
            await seat.leadership.stop()

    app.on_startup.append(start)
    app.on_cleanup.insert(0, stop)
    return seat
