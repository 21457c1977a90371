"""The daily digest: the change since the last one, late and lapsing items, one per day across
restarts (a real SQLite file reopened), a refused post retried."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.config import parse_config
from bot.digest import build_digest, post_digest, render_text
from bot.monitoring.incidents import IncidentManager
from bot.store import Store
from checks.check import check, manual_check
from checks.model import CheckResult, Outcome, RunReport, Severity, Status
from tests.monitoring.conftest import RecordingNotifier

T0 = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)  # Tuesday 09:30 in Berlin


def _check(id: str, severity: Severity = Severity.HIGH):
    @check(id=id, title=f"Title of {id}", severity=severity, passes_when="-", why="-", breaks="-", remediation="-")
    async def run(target, ctx) -> Outcome:  # pragma: no cover - never run here
        return Outcome.passed("ok")

    return run


CHECKS = [
    _check("auth.private_routes", Severity.CRITICAL),
    _check("api.cors"),
    _check("http.hsts"),
    manual_check(id="manual.keys_rotated", title="Keys rotated", severity=Severity.HIGH, passes_when="-", why="-", breaks="-", remediation="-"),
]

CONFIG = """
project: Acme Chat
launch_date: 2026-12-15
slack: {channel: C0LAUNCH, digest: {cron: "0 9 * * 1-5", timezone: Europe/Berlin}}
targets: {staging: {base_url: "http://127.0.0.1:1"}}
checklist:
  auth.private_routes: {owner: U0ALICE, due: 2026-11-28}
  api.cors: {owner: U0BOB, due: 2026-11-30}
  manual.keys_rotated: {owner: U0BOB, attest_every: 30d}
"""


def report(run_id: str, statuses: dict[str, Status], at: datetime) -> RunReport:
    results = tuple(
        CheckResult(check_id=c.id, title=c.title, category=c.category, severity=c.severity, status=statuses.get(c.id, Status.PASS), summary="")
        for c in CHECKS
        if c.mode == "automated"
    )
    return RunReport(run_id, "Acme Chat", "staging", "http://127.0.0.1:1", at, at, 0, results)


@pytest.fixture
def config(tmp_path):
    return parse_config(CONFIG, env={}, root=tmp_path)


@pytest.fixture
def db_url(database_url):
    """SQLite, then a real PostgreSQL database."""
    return database_url


def seeded(db_url, config) -> Store:
    store = Store.open(db_url)
    store.sync_checklist("staging", CHECKS, config.checklist)
    return store


def test_digest_lists_late_unowned_stale_expiring_and_incidents(config, db_url):
    store = seeded(db_url, config)
    try:
        store.record_report(report("r_1", {"auth.private_routes": Status.FAIL, "http.hsts": Status.FAIL}, T0), trigger="cli")
        store.mark_done("staging", "manual.keys_rotated", note="rotated", actor="U0BOB", now=T0 - timedelta(days=40))
        store.waive("staging", "http.hsts", days=3, reason="CDN migration", actor="U0ADMIN", now=T0)
        store.assign("staging", "api.cors", "U0BOB", actor="U0BOB")
        IncidentManager(store.incidents, notifier=None, channel=None).open(
            fingerprint="monitor:api", kind="down", title="api is failing", summary="[STATUS] (503) == 200 failed", now=T0
        )
        digest = build_digest(config, store, now=T0)
        assert digest.days_to_launch == 14
        staging = digest.targets[0]
        assert staging.verdict == "NO_GO" and staging.score == 33
        assert [(owner, [i.check_id for i in items]) for owner, items in digest.overdue] == [("U0ALICE", ["auth.private_routes"])]
        assert [i.check_id for i in digest.stale_attestations] == ["manual.keys_rotated"]
        assert [i.check_id for i in digest.expiring_waivers] == ["http.hsts"]
        assert "CDN migration" in digest.expiring_waivers[0].note
        assert [i.title for i in digest.incidents] == ["api is failing"]
        text = render_text(digest, slack=True)
        assert "14 days to launch (2026-12-15)" in text
        assert "<@U0ALICE>:" in text and "3 days late" in text
        assert "#1 [down] api is failing" in text
        assert "@U0ALICE" in render_text(digest) and "<@" not in render_text(digest)
    finally:
        store.close()


def test_unowned_failing_item_is_listed(config, db_url, tmp_path):
    bare = parse_config(CONFIG.replace("  auth.private_routes: {owner: U0ALICE, due: 2026-11-28}\n", ""), env={}, root=tmp_path)
    store = seeded(db_url, bare)
    try:
        store.record_report(report("r_1", {"auth.private_routes": Status.FAIL}, T0), trigger="cli")
        digest = build_digest(bare, store, now=T0)
        assert [i.check_id for i in digest.unowned] == ["auth.private_routes"]
    finally:
        store.close()


async def test_one_digest_per_day_across_a_restart_with_the_change_since_the_last(config, db_url):
    notifier = RecordingNotifier()
    store = seeded(db_url, config)
    store.record_report(report("r_1", {"auth.private_routes": Status.FAIL}, T0), trigger="cli")
    first = await post_digest(config, store, notifier, now=T0)
    assert first.outcome == "sent" and len(notifier.posts()) == 1
    again = await post_digest(config, store, notifier, now=T0 + timedelta(hours=2))
    assert again.outcome == "already_sent" and len(notifier.posts()) == 1
    store.close()

    store = Store.open(db_url)  # a restart: same file, new process state
    try:
        later_same_day = await post_digest(config, store, notifier, now=T0 + timedelta(hours=8))
        assert later_same_day.outcome == "already_sent"
        assert "already posted" in later_same_day.message
        next_day = T0 + timedelta(days=1)
        store.record_report(report("r_2", {"api.cors": Status.FAIL}, next_day), trigger="cli")
        second = await post_digest(config, store, notifier, now=next_day)
        assert second.outcome == "sent" and len(notifier.posts()) == 2
        staging = second.digest.targets[0]
        assert [i.check_id for i in staging.newly_failing] == ["api.cors"]
        assert [i.check_id for i in staging.newly_fixed] == ["auth.private_routes"]
        assert staging.previous_score == 67 and staging.score == 67 and staging.score_change == 0
        assert "newly failing: api.cors" in notifier.posts()[1].text
        assert "newly fixed: auth.private_routes" in notifier.posts()[1].text
    finally:
        store.close()


async def test_two_replicas_posting_at_once_post_one_digest(config, db_url):
    notifier = RecordingNotifier()
    stores = [seeded(db_url, config), Store.open(db_url)]
    try:
        outcomes = await asyncio.gather(
            *(post_digest(config, store, notifier, now=T0) for store in stores for _ in range(3))
        )
        assert sorted(o.outcome for o in outcomes).count("sent") == 1
        assert len(notifier.posts()) == 1
    finally:
        for store in stores:
            store.close()


async def test_a_refused_post_is_retried_and_sent_once(config, db_url):
    notifier = RecordingNotifier(failing=True)
    store = seeded(db_url, config)
    try:
        failed = await post_digest(config, store, notifier, now=T0)
        assert failed.outcome == "failed" and "500" in failed.message
        notifier.failing = False
        retried = await post_digest(config, store, notifier, now=T0 + timedelta(minutes=1))
        assert retried.outcome == "sent"
        assert (await post_digest(config, store, notifier, now=T0)).outcome == "already_sent"
        assert len(notifier.posts()) == 1
    finally:
        store.close()


async def test_no_channel_says_so(tmp_path, db_url):
    config = parse_config(CONFIG.replace("channel: C0LAUNCH, ", ""), env={}, root=tmp_path)
    store = seeded(db_url, config)
    try:
        outcome = await post_digest(config, store, RecordingNotifier(), now=T0)
        assert outcome.outcome == "no_channel" and "slack.channel" in outcome.message
    finally:
        store.close()


def test_day_is_in_the_digest_time_zone(tmp_path, db_url):
    config = parse_config(CONFIG, env={}, root=tmp_path)
    ledger = Store.open(db_url).digests
    late_evening_utc = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)  # already Dec 2 in Berlin
    assert ledger.claim("C0LAUNCH", "2026-12-02", late_evening_utc) is not None
    from bot.digest import digest_day

    assert digest_day(config, late_evening_utc) == "2026-12-02"
    assert date.fromisoformat(digest_day(config, T0)) == date(2026, 12, 1)
