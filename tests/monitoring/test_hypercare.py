"""Hypercare end to end on loopback with a clock the test moves (nothing sleeps): before the
window monitors keep their own profile; when it opens the channel hears so, monitors probe
more often and alert after one failure, every incident mentions the launch owner and the
digest goes out twice a day; when it closes all of that reverts and the channel hears so."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import yaml

from bot.app.monitoring import MONITORING
from bot.app.runtime import Runtime
from bot.app.scheduler import SEAT, ServiceJobs, desired_jobs
from bot.app.server import build_server
from bot.config import ConfigError, parse_config
from bot.hypercare import hypercare_for
from bot.services import Services
from bot.slack.app import SlackSettings, build_app
from tests.monitoring.conftest import Clock, Switch, switchable_app
from tests.monitoring.test_served import FAST, alerts
from tests.slack.conftest import fake_slack  # noqa: F401  (the fixture)
from tests.slack.slack_requests import BOT_TOKEN, SIGNING_SECRET


def config_for(target: str, tmp_path, **hypercare: Any):
    data: dict[str, Any] = {
        "project": "Acme Chat",
        "launch_date": "2026-12-15",
        "database": f"sqlite:///{tmp_path / 'hc.db'}",
        "slack": {
            "channel": "C0LAUNCH",
            "admins": ["U0ADMIN"],
            "digest": {"cron": "0 9 * * *", "timezone": "UTC"},
        },
        "targets": {"staging": {"base_url": target}},
        "monitors": [
            {
                "name": "api-health",
                "url": target + "/health",
                "interval": "5m",
                "failure_threshold": 3,
                "success_threshold": 2,
            },
        ],
        "hypercare": {"owner": "U0LAUNCH", **hypercare},
    }
    return parse_config(yaml.safe_dump(data), env={}, root=tmp_path)


@pytest.fixture
async def caring(fake_slack, serve, tmp_path):  # noqa: F811
    switch = Switch()
    config = config_for(await serve(switchable_app(switch)), tmp_path)
    clock = Clock(datetime(2026, 12, 14, 12, 0, tzinfo=UTC))
    runtime = Runtime(config=config, services=Services.open(config), clock=clock)
    settings = SlackSettings(
        bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, api_url=fake_slack.api_url
    )
    app = build_server(runtime, build_app(runtime, settings, FAST))
    await serve(app)
    seat = app[SEAT]
    for _ in range(200):  # on SQLite the lead is granted at start; wait for the election task
        if seat.scheduler is not None:
            break
        await asyncio.sleep(0.01)
    assert seat.scheduler is not None, "this replica never took the lead"
    jobs = ServiceJobs(runtime, app[MONITORING], seat.scheduler)
    yield jobs, switch, clock, fake_slack
    await runtime.tasks.drain(timeout=5)


def interval(jobs: ServiceJobs) -> timedelta:
    assert jobs.scheduler is not None
    return jobs.scheduler.get_job("lr:monitor:api-health").trigger.interval


def digest_hours(jobs: ServiceJobs) -> str:
    assert jobs.scheduler is not None
    trigger = jobs.scheduler.get_job("lr:digest").trigger
    return str(next(f for f in trigger.fields if f.name == "hour"))


def posts(fake, words: str) -> list[Any]:
    return [c for c in fake.calls_to("chat.postMessage") if words in c.text]


async def test_hypercare_changes_the_schedule_and_reverts_at_the_windows_end(caring) -> None:
    jobs, switch, clock, fake = caring
    monitoring = jobs.monitoring
    assert (interval(jobs), digest_hours(jobs)) == (timedelta(minutes=5), "9")
    await jobs.hypercare()  # the day before launch: nothing to say, nothing moves
    assert not posts(fake, "Hypercare")
    switch.status = 500
    await monitoring.tick_monitor("api-health", clock.advance(minutes=1))
    assert monitoring.incidents.open_incidents() == []  # its own threshold: 3 failures

    # Launch day, 00:30 UTC: the window is open.
    switch.status = 200
    await monitoring.tick_monitor("api-health", clock.advance(hours=12, minutes=29))
    clock.now = datetime(2026, 12, 15, 0, 30, tzinfo=UTC)
    await jobs.hypercare()
    [started] = posts(fake, "Hypercare started")
    assert (
        "2026-12-15 00:00 UTC until 2026-12-18 00:00 UTC" in started.text
        and "<@U0LAUNCH>" in started.text
    )
    assert (interval(jobs), digest_hours(jobs)) == (timedelta(seconds=30), "9,17")
    await jobs.hypercare()
    assert len(posts(fake, "Hypercare started")) == 1  # once

    switch.status = 500
    await monitoring.tick_monitor("api-health", clock.advance(minutes=1))
    [incident] = monitoring.incidents.open_incidents()  # one failure is enough now
    [alert] = alerts(fake)
    assert "cc <@U0LAUNCH> (hypercare" in alert.text
    switch.status = 200
    await monitoring.tick_monitor("api-health", clock.advance(minutes=1))
    assert monitoring.incidents.open_incidents() == []  # and one success resolves it

    for hour in (9, 17):  # the digest, twice on the same day
        clock.now = datetime(2026, 12, 15, hour, 0, tzinfo=UTC)
        await jobs.digest()
    assert len(posts(fake, "Launch Ready digest")) == 2
    assert "Hypercare until 2026-12-18 00:00 UTC" in posts(fake, "Launch Ready digest")[0].text
    assert "Every incident mentions <@U0LAUNCH>." in posts(fake, "Launch Ready digest")[0].text

    # 72 hours after the start: the window closes and everything reverts.
    clock.now = datetime(2026, 12, 18, 0, 1, tzinfo=UTC)
    await jobs.hypercare()
    [ended] = posts(fake, "Hypercare ended")
    assert "back to their own intervals" in ended.text
    assert (interval(jobs), digest_hours(jobs)) == (timedelta(minutes=5), "9")
    await jobs.hypercare()
    assert len(posts(fake, "Hypercare ended")) == 1

    switch.status = 500
    clock.advance(hours=2)
    await monitoring.tick_monitor("api-health", clock.advance(minutes=1))
    await monitoring.tick_monitor("api-health", clock.advance(minutes=1))
    assert monitoring.incidents.open_incidents() == []  # two failures: not yet, at its own 3
    await monitoring.tick_monitor("api-health", clock.advance(minutes=1))
    [late] = monitoring.incidents.open_incidents()
    assert late.id != incident.id
    assert "U0LAUNCH" not in alerts(fake)[-1].text  # outside the window: no launch-owner mention

    for hour in (9, 17):
        clock.now = datetime(2026, 12, 18, hour, 0, tzinfo=UTC)
        await jobs.digest()
    assert len(posts(fake, "Launch Ready digest")) == 3  # once a day again
    assert "Hypercare until" not in posts(fake, "Launch Ready digest")[-1].text


def test_the_window_and_its_profile(tmp_path) -> None:
    config = config_for(
        "https://staging.acme.test",
        tmp_path,
        window="48h",
        monitor_interval="10s",
        failure_threshold=2,
    )
    hypercare = hypercare_for(config)
    assert hypercare is not None
    assert (hypercare.start, hypercare.end) == (
        datetime(2026, 12, 15, tzinfo=UTC),
        datetime(2026, 12, 17, tzinfo=UTC),
    )
    monitor = config.monitors[0]
    during, after = datetime(2026, 12, 16, tzinfo=UTC), datetime(2026, 12, 17, tzinfo=UTC)
    assert hypercare.interval(monitor, during) == timedelta(seconds=10)
    assert hypercare.thresholds(monitor, during) == (2, 1)
    assert (hypercare.interval(monitor, after), hypercare.thresholds(monitor, after)) == (
        timedelta(minutes=5),
        (3, 2),
    )
    ids = {j.id for j in desired_jobs(config, during)}
    assert "lr:hypercare" in ids
    assert "lr:hypercare" not in {j.id for j in desired_jobs(config, after + timedelta(days=2))}
    assert hypercare_for(config_for("https://staging.acme.test", tmp_path, enabled=False)) is None


def test_a_bad_hypercare_setting_names_its_key(tmp_path) -> None:
    with pytest.raises(ConfigError, match="hypercare.failure_threshold"):
        config_for("https://staging.acme.test", tmp_path, failure_threshold=0)


def test_launchready_digest_says_hypercare_is_on_during_the_window(tmp_path) -> None:
    from datetime import date

    from typer.testing import CliRunner

    from bot.cli import app

    data = {
        "project": "Acme Chat",
        "launch_date": date.today().isoformat(),  # the window (72 h from today's 00:00) is open now
        "database": f"sqlite:///{tmp_path / 'cli.db'}",
        "slack": {"admins": ["U0CTO"]},
        "targets": {"staging": {"base_url": "http://127.0.0.1:9"}},
    }
    (tmp_path / "app.yaml").write_text(yaml.safe_dump(data))
    result = CliRunner().invoke(app, ["digest", "--config", str(tmp_path / "app.yaml")])
    assert result.exit_code == 0, result.output
    assert "Hypercare until" in result.output and "Every incident mentions @U0CTO." in result.output
