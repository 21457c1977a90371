"""The scheduler's jobs: stable ids in the SQLAlchemy job store, reconciled on restart (no
duplicates, removed monitors dropped, a pending digest keeps its next run time)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml
from sqlalchemy import inspect, text

from bot.app.scheduler import (
    JOBSTORE_TABLE,
    MONITOR_STORE,
    ServiceJobs,
    desired_jobs,
    start_scheduler,
    stop_scheduler,
)
from bot.checklist.lapsed import announce_lapsed_waivers
from bot.config import parse_config
from bot.monitoring.monitoring import Monitoring
from bot.services import Services
from tests.monitoring.conftest import RecordingNotifier


@dataclass
class FakeRuntime:
    config: Any
    services: Services
    notifier: Any = None


def config(tmp_path, monitors=("api", "web"), schedule=None, database=None):
    data = {
        "project": "Acme Chat",
        "database": database or f"sqlite:///{tmp_path / 'sched.db'}",
        "slack": {"channel": "C0LAUNCH", "digest": {"cron": "0 9 * * 1-5", "timezone": "Europe/Berlin"}},
        "targets": {"staging": {"base_url": "http://127.0.0.1:9", "schedule": schedule}},
        "monitors": [{"name": m, "url": f"http://127.0.0.1:9/{m}", "interval": "30s"} for m in monitors],
    }
    return parse_config(yaml.safe_dump(data), env={}, root=tmp_path)


def test_desired_jobs_have_stable_ids(tmp_path):
    jobs = desired_jobs(config(tmp_path, schedule="0 6 * * *"))
    assert [j.id for j in jobs] == ["lr:alerts", "lr:reminders", "lr:waivers", "lr:digest", "lr:monitor:api", "lr:monitor:web", "lr:run:staging"]
    assert all(isinstance(a, str) for j in jobs for a in j.args)  # picklable by design


async def test_restart_reconciles_jobs_without_duplicates(tmp_path, database_url):
    """On SQLite and PostgreSQL: the job store is the store's database."""
    first = config(tmp_path, database=database_url)
    services = Services.open(first)
    runtime = FakeRuntime(first, services)
    monitoring = Monitoring(first, services.store)
    scheduler = start_scheduler(runtime, monitoring)
    digest_next = scheduler.get_job("lr:digest").next_run_time
    assert digest_next.weekday() < 5 and digest_next.hour == 9 and str(digest_next.tzinfo) == "Europe/Berlin"
    stop_scheduler(scheduler)
    await monitoring.aclose()
    with services.store.engine.connect() as conn:
        stored = {row[0] for row in conn.execute(text(f"SELECT id FROM {JOBSTORE_TABLE}"))}
    assert "lr:digest" in stored
    assert not any(i.startswith("lr:monitor:") for i in stored)  # monitors are rebuilt on start, in memory
    services.close()

    second = config(tmp_path, monitors=("api",), database=database_url)  # web was removed from app.yaml
    services = Services.open(second)
    monitoring = Monitoring(second, services.store)
    scheduler = start_scheduler(FakeRuntime(second, services), monitoring)
    try:
        ids = sorted(j.id for j in scheduler.get_jobs())
        assert ids == ["lr:alerts", "lr:digest", "lr:monitor:api", "lr:reminders", "lr:waivers"]
        assert scheduler.get_job("lr:digest").next_run_time == digest_next  # kept, not recomputed
        assert scheduler.get_job("lr:monitor:api").args == ("api",)
        assert inspect(services.store.engine).has_table(JOBSTORE_TABLE)
    finally:
        stop_scheduler(scheduler)
        await monitoring.aclose()
        services.close()


async def test_a_lapsed_waiver_is_announced_once(tmp_path, database_url):
    cfg = config(tmp_path, monitors=(), database=database_url)
    services = Services.open(cfg)
    try:
        services.store.sync_checklist("staging", list(services.registry), cfg.checklist)
        now = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
        services.store.waive("staging", "obs.health", days=1, reason="migrating the LB", actor="U0ADMIN", now=now - timedelta(days=2))
        notifier = RecordingNotifier()
        assert await announce_lapsed_waivers(cfg, services.store, notifier, "C0LAUNCH", now) == 1
        assert await announce_lapsed_waivers(cfg, services.store, notifier, "C0LAUNCH", now + timedelta(minutes=15)) == 0
        assert "waiver of `obs.health` on staging ended" in notifier.posts()[0].text
    finally:
        services.close()


async def test_a_refused_digest_is_retried_later_the_same_day(tmp_path, database_url):
    cfg = config(tmp_path, monitors=(), database=database_url)
    services = Services.open(cfg)
    notifier = RecordingNotifier(failing=True)
    monitoring = Monitoring(cfg, services.store)
    runtime = FakeRuntime(cfg, services, notifier)
    scheduler = start_scheduler(runtime, monitoring)
    jobs = ServiceJobs(runtime, monitoring, scheduler)
    try:
        await jobs.digest()
        retry = scheduler.get_job("lr:digest-retry")
        assert retry is not None and retry.args == ()
        notifier.failing = False
        await jobs.digest()
        assert len(notifier.posts()) == 1
    finally:
        stop_scheduler(scheduler)
        await monitoring.aclose()
        services.close()


async def test_monitor_jobs_stored_by_an_earlier_version_move_to_memory(tmp_path):
    cfg = config(tmp_path, monitors=("api",))
    services = Services.open(cfg)
    runtime = FakeRuntime(cfg, services)
    monitoring = Monitoring(cfg, services.store)
    old = start_scheduler(runtime, monitoring)
    job = old.get_job("lr:monitor:api")
    old.add_job(job.func, job.trigger, args=list(job.args), id=job.id, jobstore="default")  # as before
    stop_scheduler(old)
    scheduler = start_scheduler(runtime, monitoring)
    try:
        assert scheduler.get_job("lr:monitor:api", jobstore="default") is None
        assert scheduler.get_job("lr:monitor:api", jobstore=MONITOR_STORE).args == ("api",)
        assert [j.id for j in scheduler.get_jobs()].count("lr:monitor:api") == 1
    finally:
        stop_scheduler(scheduler)
        await monitoring.aclose()
        services.close()
