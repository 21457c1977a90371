"""Threshold and resolve sequences, reminders, maintenance windows, restarts: the tick driven
directly with a clock we advance, against a loopback app switched between 200, 500 and slow."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.config import MonitorConfig
from bot.monitoring.incidents import IncidentManager
from bot.monitoring.monitor import Maintenance, Monitor
from bot.store import Store
from bot.store.incidents import Incidents
from bot.store.monitor_states import MonitorStates
from bot.store.ops_tables import MonitorStateRow
from checks.percentiles import p95


def make_monitor(engine, notifier, clock, url, **fields) -> tuple[Monitor, IncidentManager]:
    config = MonitorConfig.model_validate(
        {"name": "api", "url": url, "interval": "1s", "failure_threshold": 2, "success_threshold": 2, **fields}
    )
    incidents = IncidentManager(Incidents(engine), notifier=notifier, channel="C0LAUNCH", clock=clock)
    return Monitor(config, states=MonitorStates(engine), incidents=incidents), incidents


async def tick(monitor, incidents, clock, seconds=1):
    result = await monitor.tick(clock.advance(seconds=seconds))
    await incidents.flush(clock.now)
    return result


async def test_opens_after_threshold_and_resolves_after_successes(engine, notifier, clock, switch):
    app, base = switch
    monitor, incidents = make_monitor(engine, notifier, clock, base + "/health")
    try:
        assert (await tick(monitor, incidents, clock)).success
        app.status = 500
        first = await tick(monitor, incidents, clock)
        assert not first.success and first.opened is None
        assert notifier.calls == []
        second = await tick(monitor, incidents, clock)
        assert second.opened is not None and second.opened.kind == "down"
        assert len(notifier.posts(threaded=False)) == 1
        alert = notifier.posts()[0].text
        assert "[STATUS] (500) == 200 failed" in alert and "obs.health" in alert
        await tick(monitor, incidents, clock)  # still failing: no second alert
        assert len(notifier.posts()) == 1
        app.status = 200
        assert (await tick(monitor, incidents, clock)).resolved is None
        resolved = (await tick(monitor, incidents, clock)).resolved
        assert resolved is not None and resolved.state == "resolved"
        assert len(notifier.updates()) == 1 and "Resolved" in notifier.updates()[0].text
        reply = notifier.posts(threaded=True)[0]
        assert reply.thread_ts == notifier.posts()[0].ts
        assert "after 3s" in reply.text  # opened at t=3, resolved at t=6
    finally:
        await monitor.aclose()


async def test_latency_condition_opens_a_latency_incident(engine, notifier, clock, switch):
    app, base = switch
    monitor, incidents = make_monitor(
        engine, notifier, clock, base + "/api/conversations", conditions=["[STATUS] == 200", "[P95_RESPONSE_TIME] < 1"],
        failure_threshold=1, p95_samples=5,
    )
    try:
        app.delay = 0.01
        result = await tick(monitor, incidents, clock)
        assert result.opened is not None
        assert result.opened.kind == "latency" and result.opened.related_check == "perf.latency_p95"
        assert "over the last 1 probes of GET /api/conversations" in result.opened.summary
        assert result.opened.summary.startswith("p95 ")
    finally:
        await monitor.aclose()


async def test_unreachable_url_is_a_down_incident(engine, notifier, clock):
    monitor, incidents = make_monitor(engine, notifier, clock, "http://127.0.0.1:9/health", failure_threshold=1)
    try:
        result = await tick(monitor, incidents, clock)
        assert result.opened is not None and result.opened.kind == "down"
        assert "could not connect" in result.opened.summary
    finally:
        await monitor.aclose()


async def test_failed_post_is_retried_on_the_next_tick(engine, notifier, clock, switch):
    app, base = switch
    monitor, incidents = make_monitor(engine, notifier, clock, base + "/health", failure_threshold=1)
    try:
        app.status = 500
        notifier.failing = True
        assert (await tick(monitor, incidents, clock)).opened is not None
        assert incidents.pending_deliveries() == 1
        notifier.failing = False
        await tick(monitor, incidents, clock)
        assert incidents.pending_deliveries() == 0
        assert len(notifier.posts(threaded=False)) == 1
    finally:
        await monitor.aclose()


async def test_reminders_while_open(engine, notifier, clock, switch):
    app, base = switch
    monitor, incidents = make_monitor(engine, notifier, clock, base + "/health", failure_threshold=1, reminder_every="1m")
    try:
        app.status = 503
        await tick(monitor, incidents, clock)
        assert incidents.queue_reminders(clock.advance(seconds=30)) == 0
        assert incidents.queue_reminders(clock.advance(seconds=31)) == 1
        assert incidents.queue_reminders(clock.advance(seconds=1)) == 0
        await incidents.flush(clock.now)
        reminder = notifier.posts(threaded=True)[0]
        assert "Still open after 1m" in reminder.text
    finally:
        await monitor.aclose()


async def test_maintenance_window_silences_but_keeps_recording(engine, notifier, clock, switch):
    app, base = switch
    clock.now = datetime(2026, 11, 30, 2, 59, 0, tzinfo=UTC)
    monitor, incidents = make_monitor(
        engine, notifier, clock, base + "/health", failure_threshold=1,
        maintenance=[{"cron": "0 3 * * *", "duration": "30m"}],
    )
    try:
        app.status = 500
        result = await tick(monitor, incidents, clock, seconds=120)  # 03:01
        assert result.in_maintenance and result.opened is None
        assert monitor.state().consecutive_failures == 1
        assert notifier.calls == []
        clock.now = datetime(2026, 11, 30, 3, 29, 0, tzinfo=UTC)
        assert (await tick(monitor, incidents, clock, seconds=0)).opened is None
        after = await tick(monitor, incidents, clock, seconds=120)  # 03:31: window over
        assert not after.in_maintenance and after.opened is not None
        assert after.consecutive_failures == 3
    finally:
        await monitor.aclose()


def test_maintenance_window_edges():
    from bot.config import MaintenanceWindow

    windows = Maintenance([MaintenanceWindow(cron="0 3 * * 1", duration="1h", timezone="Europe/Berlin")])
    assert windows.active(datetime(2026, 11, 30, 2, 0, tzinfo=UTC))  # Monday 03:00 Berlin
    assert windows.active(datetime(2026, 11, 30, 2, 59, tzinfo=UTC))
    assert not windows.active(datetime(2026, 11, 30, 3, 0, 1, tzinfo=UTC))
    assert not windows.active(datetime(2026, 12, 1, 2, 30, tzinfo=UTC))  # Tuesday


async def test_restart_keeps_counters_and_does_not_realert(database_url, notifier, clock, switch):
    app, base = switch
    url = database_url
    store = Store.open(url)
    monitor, incidents = make_monitor(store.engine, notifier, clock, base + "/health")
    app.status = 500
    await tick(monitor, incidents, clock)
    await tick(monitor, incidents, clock)
    assert len(notifier.posts()) == 1
    await monitor.aclose()
    store.close()

    store = Store.open(url)  # the same file, as after a restart
    monitor, incidents = make_monitor(store.engine, notifier, clock, base + "/health")
    try:
        assert monitor.state().consecutive_failures == 2
        assert len(incidents.open_incidents()) == 1
        await tick(monitor, incidents, clock)
        assert len(notifier.posts()) == 1  # no second alert
        app.status = 200
        await tick(monitor, incidents, clock)
        resolved = await tick(monitor, incidents, clock)
        assert resolved.resolved is not None
        assert notifier.updates()[0].ts == notifier.posts()[0].ts  # edits the pre-restart message
    finally:
        await monitor.aclose()
        store.close()


def test_p95_nearest_rank():
    assert p95([]) is None
    assert p95([5.0]) == 5.0
    assert p95([float(i) for i in range(1, 101)]) == 95.0
    assert p95([float(i) for i in range(1, 21)]) == 19.0


async def test_state_row_holds_recent_response_times(engine, notifier, clock, switch):
    _, base = switch
    monitor, incidents = make_monitor(engine, notifier, clock, base + "/health", p95_samples=5)
    try:
        for _ in range(7):
            await tick(monitor, incidents, clock)
        state: MonitorStateRow = monitor.state()
        assert state.total_probes == 7 and state.last_success is True
        import json

        assert len(json.loads(state.response_times)) == 5
    finally:
        await monitor.aclose()
