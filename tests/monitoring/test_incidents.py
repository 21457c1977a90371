"""Incidents: de-duplication by fingerprint, re-opening in the thread, acknowledge and resolve
sequences, deliveries kept in order until the notifier accepts them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.monitoring.incidents import IncidentError, IncidentManager, format_duration
from bot.slack.blocks.incident import incident_blocks, incidents_list
from bot.slack.blocks.limits import violations
from bot.store.incidents import Incidents


def manager(engine, notifier, clock):
    return IncidentManager(Incidents(engine), notifier=notifier, channel="C0LAUNCH", clock=clock)


def open_one(incidents, **extra):
    return incidents.open(fingerprint="alert:latency", kind="latency", title="Requests are slow",
                          summary="p95 812 ms > 500 ms over the last 20 probes of GET /api/conversations", **extra)


async def test_same_fingerprint_is_one_incident(engine, notifier, clock):
    incidents = manager(engine, notifier, clock)
    first, new = open_one(incidents)
    second, again = open_one(incidents)
    assert new and not again and first.id == second.id
    assert first.related_check == "perf.latency_p95"
    await incidents.flush()
    assert len(notifier.posts()) == 1
    assert "p95 812 ms > 500 ms over the last 20 probes of GET /api/conversations" in notifier.posts()[0].text


async def test_reopen_within_the_window_reuses_the_thread(engine, notifier, clock):
    incidents = manager(engine, notifier, clock)
    incident, _ = open_one(incidents)
    await incidents.flush()
    clock.advance(minutes=5)
    incidents.resolve(incident.id, actor="launchready")
    await incidents.flush()
    clock.advance(minutes=10)
    reopened, new = open_one(incidents)
    assert new and reopened.id == incident.id and reopened.reopens == 1 and reopened.state == "open"
    await incidents.flush()
    top_level = notifier.posts(threaded=False)
    assert len(top_level) == 1  # no second alert in the channel
    assert "Re-opened" in notifier.posts(threaded=True)[-1].text
    assert notifier.posts(threaded=True)[-1].thread_ts == top_level[0].ts


async def test_after_the_window_a_new_incident_is_posted(engine, notifier, clock):
    incidents = manager(engine, notifier, clock)
    incident, _ = open_one(incidents)
    await incidents.flush()
    incidents.resolve(incident.id, actor="launchready")
    clock.advance(hours=2)
    fresh, _ = open_one(incidents)
    await incidents.flush()
    assert fresh.id != incident.id
    assert len(notifier.posts(threaded=False)) == 2


async def test_acknowledge_then_resolve_with_duration(engine, notifier, clock):
    incidents = manager(engine, notifier, clock)
    incident, _ = open_one(incidents)
    clock.advance(minutes=3)
    incidents.acknowledge(incident.id, actor="U0ALICE")
    with pytest.raises(IncidentError, match="already acknowledged by <@U0ALICE>"):
        incidents.acknowledge(incident.id, actor="U0BOB")
    clock.advance(minutes=42)
    done = incidents.resolve(incident.id, actor="U0ADMIN")
    assert done.duration(clock.now) == timedelta(minutes=45)
    with pytest.raises(IncidentError, match="already resolved"):
        incidents.resolve(incident.id, actor="U0ADMIN")
    with pytest.raises(IncidentError, match="no incident #99"):
        incidents.acknowledge(99, actor="U0ADMIN")
    assert await incidents.flush() == 3
    thread = [c.text for c in notifier.posts(threaded=True)]
    assert thread[0].startswith("Acknowledged by <@U0ALICE> at 2026-11-30 06:03:00 UTC")
    assert thread[1].startswith("Resolved by <@U0ADMIN> at 2026-11-30 06:45:00 UTC after 45m")
    assert [c.ts for c in notifier.updates()] == [notifier.posts()[0].ts] * 2


async def test_deliveries_wait_in_order_while_slack_refuses(engine, notifier, clock):
    incidents = manager(engine, notifier, clock)
    incident, _ = open_one(incidents)
    incidents.acknowledge(incident.id, actor="U0ALICE")
    notifier.failing = True
    assert await incidents.flush() == 0
    assert incidents.pending_deliveries() == 2
    assert incidents.deliveries(incident.id)[0].attempts == 1
    notifier.failing = False
    assert await incidents.flush() == 2
    assert [c.method for c in notifier.calls] == ["post", "update", "post"]


async def test_silent_open_posts_the_whole_alert_on_the_first_delivery(engine, notifier, clock):
    incidents = manager(engine, notifier, clock)
    incident, _ = open_one(incidents, notify=False)
    await incidents.flush()
    assert notifier.calls == []
    incidents.acknowledge(incident.id, actor="U0ALICE")
    await incidents.flush()
    assert len(notifier.posts(threaded=False)) == 1 and "acknowledged" in notifier.posts()[0].text


def test_blocks_stay_within_slack_limits(engine, notifier, clock):
    incidents = manager(engine, notifier, clock)
    incident, _ = incidents.open(fingerprint="x", kind="sentry", title="T" * 400, summary="S" * 5000, link="https://sentry.io/x")
    blocks = incident_blocks(incident, clock.now)
    assert violations({"text": "x", "blocks": blocks}) == []
    many = [incidents.open(fingerprint=f"f{i}", kind="down", title="t" * 200, summary="s" * 400)[0] for i in range(40)]
    _, listed = incidents_list(many, clock.now)
    assert violations({"text": "x", "blocks": listed}) == []


def test_format_duration():
    assert format_duration(timedelta(seconds=42)) == "42s"
    assert format_duration(timedelta(minutes=3, seconds=5)) == "3m 5s"
    assert format_duration(timedelta(hours=2, minutes=1)) == "2h 1m"
    assert format_duration(timedelta(days=3, hours=4)) == "3d 4h"


async def test_resolving_by_fingerprint_knows_what_another_manager_opened_after_its_ttl(engine, notifier, clock):
    # Two managers on one database stand for two processes (replicas) sharing the incidents.
    here = IncidentManager(Incidents(engine), notifier=notifier, channel="C0LAUNCH", clock=clock, unresolved_ttl=3600)
    fresh = IncidentManager(Incidents(engine), notifier=notifier, channel="C0LAUNCH", clock=clock, unresolved_ttl=0)
    assert here.resolve_fingerprint("alert:latency", actor="test") is None  # loads "nothing open"
    elsewhere = IncidentManager(Incidents(engine), notifier=notifier, channel="C0LAUNCH", clock=clock)
    incident, _ = open_one(elsewhere)
    assert not here.may_be_open("alert:latency")  # within its TTL it has not looked again
    resolved = fresh.resolve_fingerprint("alert:latency", actor="test")
    assert resolved is not None and resolved.id == incident.id and resolved.state == "resolved"
    # Its own opens and resolves keep a manager's view exact, whatever the TTL.
    open_one(here)
    assert here.may_be_open("alert:latency")
    assert here.resolve_fingerprint("alert:latency", actor="test").state == "resolved"
    assert not here.may_be_open("alert:latency")
