"""Every schedule of `launchready serve`, in one APScheduler 3 AsyncIOScheduler.

Jobs (stable ids, so a restart replaces rather than duplicates them):

- ``lr:digest``: the daily digest, at ``slack.digest.cron`` in its time zone;
- ``lr:monitor:<name>``: one probe per monitor, every ``interval``;
- ``lr:alerts``: slide the ingest alert windows and retry pending alert deliveries;
- ``lr:reminders``: queue reminders for incidents left open;
- ``lr:run:<target>``: scheduled check runs (``targets.<name>.schedule``);
- ``lr:waivers``: tell the channel when a waiver lapsed.

Jobs are stored by a SQLAlchemyJobStore on the store's engine (table
``lr_apscheduler_jobs``), coalesced, and given a misfire grace time, so a restart neither
loses a digest that was due a few minutes ago nor fires a backlog twice. The jobstore pickles
jobs: the callables are this module's functions and their arguments are strings; a job finds
the live service through :data:`_LIVE` by the key it was given (the one process-wide
registry here, because a pickled job cannot carry a live object).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlmodel import Session

from bot.app.monitoring import monitoring_for
from bot.digest import post_digest
from bot.monitoring.cron import crontab_trigger
from bot.monitoring.monitoring import Monitoring
from bot.store.ops_tables import NoticeRow

__all__ = [
    "JOBSTORE_TABLE",
    "Scheduled",
    "build_scheduler",
    "desired_jobs",
    "install",
    "start_scheduler",
]

log = logging.getLogger(__name__)

JOBSTORE_TABLE = "lr_apscheduler_jobs"
ALERTS_EVERY = timedelta(seconds=10)
REMINDERS_EVERY = timedelta(seconds=30)
WAIVERS_EVERY = timedelta(minutes=15)
DIGEST_RETRY = timedelta(minutes=5)
SCHEDULER = web.AppKey("scheduler", AsyncIOScheduler)


@dataclass
class _Live:
    runtime: Any
    monitoring: Monitoring
    scheduler: AsyncIOScheduler | None = None


_LIVE: dict[str, _Live] = {}


@dataclass(frozen=True)
class Scheduled:
    """A job we want: its id, the module-level function, string args, the trigger, the grace."""

    id: str
    func: Any
    args: tuple[str, ...]
    trigger: Any
    grace: int


# -- jobs (module-level, picklable by reference) ----------------------------------------------


def _live(key: str) -> _Live | None:
    live = _LIVE.get(key)
    if live is None:
        log.warning("scheduled job for %s found no running service; skipped", key)
    return live


async def monitor_job(key: str, name: str) -> None:
    live = _live(key)
    if live:
        await live.monitoring.tick_monitor(name)


async def alerts_job(key: str) -> None:
    live = _live(key)
    if live:
        now = live.monitoring.clock()
        live.monitoring.alerts.evaluate(now)
        await live.monitoring.flush(now)


async def reminders_job(key: str) -> None:
    live = _live(key)
    if live:
        now = live.monitoring.clock()
        live.monitoring.incidents.queue_reminders(now, silenced=live.monitoring.silenced(now))
        await live.monitoring.flush(now)


async def digest_job(key: str) -> None:
    live = _live(key)
    if not live or live.runtime.notifier is None:
        return
    store = live.runtime.services.store
    try:
        from bot.slack.blocks.digest import digest_blocks
    except ImportError:
        digest_blocks = None
    posted = await post_digest(
        live.runtime.config, store, store.engine, live.runtime.notifier, now=live.monitoring.clock(), blocks=digest_blocks
    )
    log.info("digest: %s", posted.message)
    if posted.outcome == "failed" and live.scheduler is not None:
        # Slack refused it (down, bot not invited): try again later today, not tomorrow.
        live.scheduler.add_job(
            digest_job, "date", run_date=datetime.now(UTC) + DIGEST_RETRY, args=[key],
            id="lr:digest-retry", replace_existing=True, misfire_grace_time=3600,
        )


async def run_job(key: str, target: str) -> None:
    live = _live(key)
    if not live:
        return
    runtime = live.runtime
    try:
        report = await runtime.services.run(target, trigger="schedule")
    except Exception as exc:  # RunInProgress, a broken target: say so in the channel
        text = f":calendar: The scheduled run of {target} did not happen: {exc}"
    else:
        counts = ", ".join(f"{n} {s}" for s, n in report.summary.items() if n)
        failing = [r.check_id for r in report.results if str(r.status) in ("fail", "error")]
        text = f":calendar: Scheduled run of {target}: *{report.verdict}* ({counts})."
        if failing:
            text += " Failing: " + ", ".join(f"`{c}`" for c in failing[:20]) + ("…" if len(failing) > 20 else "")
    channel = runtime.config.slack.channel
    if runtime.notifier is not None and channel:
        await runtime.notifier.post(channel, text)


async def waivers_job(key: str) -> None:
    live = _live(key)
    if not live or live.runtime.notifier is None or not live.runtime.config.slack.channel:
        return
    await announce_lapsed_waivers(live.runtime, live.monitoring.clock())


async def announce_lapsed_waivers(runtime: Any, now: datetime) -> int:
    """Post once for each waiver that expired in the last week; returns how many were posted."""
    store = runtime.services.store
    channel = runtime.config.slack.channel
    posted = 0
    for target in runtime.config.targets:
        for item in store.items(target):
            expires = item.waiver_expires
            if not item.waiver_reason or expires is None or not (now - timedelta(days=7) < expires <= now):
                continue
            key = f"waiver:{target}:{item.check_id}:{expires.isoformat()}"
            with Session(store.engine) as session:
                if session.get(NoticeRow, key) is not None:
                    continue
            owner = f" <@{item.owner}>" if item.owner else ""
            await runtime.notifier.post(
                channel,
                f":hourglass_flowing_sand: The waiver of `{item.check_id}` on {target} ended "
                f"{expires.astimezone(UTC):%Y-%m-%d %H:%M} UTC ({item.waiver_reason}); it counts again.{owner}",
            )
            with Session(store.engine) as session:
                session.add(NoticeRow(key=key, created_at=now))
                session.commit()
            posted += 1
    return posted


# -- building the scheduler ---------------------------------------------------------------------


def desired_jobs(config: Any, key: str) -> list[Scheduled]:
    jobs = [
        Scheduled("lr:alerts", alerts_job, (key,), IntervalTrigger(seconds=ALERTS_EVERY.total_seconds()), 30),
        Scheduled("lr:reminders", reminders_job, (key,), IntervalTrigger(seconds=REMINDERS_EVERY.total_seconds()), 60),
        Scheduled("lr:waivers", waivers_job, (key,), IntervalTrigger(seconds=WAIVERS_EVERY.total_seconds()), 600),
    ]
    digest = config.slack.digest
    if digest is not None and config.slack.channel:
        jobs.append(Scheduled("lr:digest", digest_job, (key,), crontab_trigger(digest.cron, digest.timezone), 3600))
    now = datetime.now(UTC)
    for monitor in config.monitors:
        seconds = max(1.0, monitor.interval.total_seconds())
        first = now + timedelta(seconds=monitor_phase(monitor.name, seconds))
        jobs.append(
            Scheduled(
                f"lr:monitor:{monitor.name}",
                monitor_job,
                (key, monitor.name),
                IntervalTrigger(seconds=seconds, start_date=first),
                int(max(seconds, 1)),
            )
        )
    for name, target in config.targets.items():
        if target.schedule:
            jobs.append(Scheduled(f"lr:run:{name}", run_job, (key, name), crontab_trigger(target.schedule, "UTC"), 3600))
    return jobs


def monitor_phase(name: str, seconds: float) -> float:
    """Where in its interval a monitor probes: a stable spread by name.

    Started together, every monitor would probe in the same instant each round, and the last
    of a few hundred would run late by the time the burst takes to clear; spread over the
    interval, they arrive a few at a time. The same name keeps its phase across restarts.
    """
    fraction = int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "big") / 2**64
    return fraction * seconds


def build_scheduler(engine: Any) -> AsyncIOScheduler:
    memory = engine.url.get_backend_name() == "sqlite" and engine.url.database in (None, "", ":memory:")
    store = MemoryJobStore() if memory else SQLAlchemyJobStore(engine=engine, tablename=JOBSTORE_TABLE)
    return AsyncIOScheduler(
        jobstores={"default": store},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
        timezone=UTC,
    )


def start_scheduler(runtime: Any, monitoring: Monitoring, *, key: str | None = None) -> AsyncIOScheduler:
    """Start the scheduler in the running loop with the config's jobs; returns it."""
    key = key or runtime.config.database_url
    _LIVE[key] = _Live(runtime, monitoring)
    scheduler = build_scheduler(runtime.services.store.engine)
    scheduler.start(paused=True)  # load stored jobs, fire nothing until they are reconciled
    wanted = desired_jobs(runtime.config, key)
    ids = {job.id for job in wanted}
    for job in scheduler.get_jobs():
        if job.id.startswith("lr:") and job.id not in ids and job.id != "lr:digest-retry":
            scheduler.remove_job(job.id)  # a monitor or schedule no longer configured
    for job in wanted:
        existing = scheduler.get_job(job.id)
        if existing is not None and _same(existing.trigger, job.trigger) and tuple(existing.args) == job.args:
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
        )
    _LIVE[key].scheduler = scheduler
    scheduler.resume()
    log.info("scheduler started with %d jobs", len(wanted))
    return scheduler


def _same(stored: Any, wanted: Any) -> bool:
    """The same schedule? Cron triggers compare with their time zone (repr); interval triggers
    by their period (their repr carries a start date that differs on every start)."""
    if isinstance(wanted, IntervalTrigger):
        return isinstance(stored, IntervalTrigger) and stored.interval == wanted.interval
    return repr(stored) == repr(wanted)


def stop_scheduler(scheduler: AsyncIOScheduler, key: str) -> None:
    if scheduler.running:
        scheduler.shutdown(wait=False)
    _LIVE.pop(key, None)


def install(app: web.Application, runtime: Any) -> None:
    """Start the scheduler when the service starts, stop it when it stops."""
    monitoring = monitoring_for(app, runtime)
    key = runtime.config.database_url

    async def start(_: web.Application) -> None:
        app[SCHEDULER] = start_scheduler(runtime, monitoring, key=key)

    async def stop(_: web.Application) -> None:
        scheduler = app.get(SCHEDULER)
        if scheduler is not None:
            stop_scheduler(scheduler, key)

    app.on_startup.append(start)
    app.on_cleanup.insert(0, stop)
