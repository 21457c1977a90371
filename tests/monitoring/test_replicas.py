"""Replicas on one PostgreSQL database: one leader runs the scheduler, a standby takes over
when the leader's database session dies, /healthz says which is which, and an alert is
opened, sent and resolved once however many replicas see it. On SQLite one process leads."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import yaml
from sqlalchemy import create_engine, text

from bot.app.leadership import Leadership
from bot.app.runtime import Runtime
from bot.app.server import build_server
from bot.config import parse_config
from bot.monitoring.monitoring import Monitoring
from bot.store import Store, in_thread
from bot.store.locks import lock_key
from tests.ingest.conftest import ingest_config
from tests.monitoring.conftest import RecordingNotifier
from tests.slack.conftest import fake_slack  # noqa: F401  (the fixture)

FAST = {"retry_every": 0.05, "check_every": 0.05}


class Seat:
    """What a replica's hooks saw: elected and deposed, in order."""

    def __init__(self, name: str, log: list[str]) -> None:
        self.name, self.log = name, log

    async def elected(self) -> None:
        self.log.append(f"{self.name} elected")

    async def deposed(self) -> None:
        self.log.append(f"{self.name} deposed")


async def until(condition, timeout: float = 15.0) -> None:
    """Poll ``condition`` (the replicas change state in their own tasks, with no event to wait on)."""
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


def kill_lock_session(url: str) -> int:
    """End the leader's database session the way a dead process would (the server drops it).
    Only the ``leader`` lock of this database: a replica may be holding the alert-deliveries
    lock at that moment too."""
    key = lock_key("leader")
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            pid = conn.execute(
                text(
                    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                    "AND classid::bigint = :high AND objid::bigint = :low"
                ),
                {"high": (key >> 32) & 0xFFFFFFFF, "low": key & 0xFFFFFFFF},
            ).scalar_one()
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            return pid
    finally:
        engine.dispose()


async def test_one_replica_leads_and_a_standby_takes_over_when_its_session_dies(postgres_url):
    stores = [Store.open(postgres_url), Store.open(postgres_url)]
    log: list[str] = []
    seats = [Seat("a", log), Seat("b", log)]
    replicas = [
        Leadership(store.lock("leader"), on_elected=seat.elected, on_deposed=seat.deposed, **FAST)
        for store, seat in zip(stores, seats, strict=True)
    ]
    try:
        for replica in replicas:
            await replica.start()
        await asyncio.sleep(0.3)  # several rounds of asking: still one leader
        assert [r.leading for r in replicas] == [True, False]
        assert log == ["a elected"]

        await in_thread(kill_lock_session, postgres_url)
        await until(lambda: replicas[1].leading and not replicas[0].leading)
        assert log[1:] == ["a deposed", "b elected"] or log[1:] == ["b elected", "a deposed"]
        await asyncio.sleep(0.3)
        assert [r.leading for r in replicas] == [False, True]  # a stays a standby while b holds it
        assert log.count("a elected") == 1 and log.count("b elected") == 1

        await replicas[1].stop()  # a clean stop gives the lead back at once
        await until(lambda: replicas[0].leading)
        assert replicas[0].terms == 2
    finally:
        for replica in replicas:
            await replica.stop()
        for store in stores:
            store.close()


async def test_on_sqlite_the_one_process_leads(tmp_path: Path):
    store = Store.open(f"sqlite:///{tmp_path / 'lr.db'}")
    log: list[str] = []
    seat = Seat("only", log)
    replica = Leadership(
        store.lock("leader"), on_elected=seat.elected, on_deposed=seat.deposed, **FAST
    )
    try:
        await replica.start()
        assert replica.leading and log == ["only elected"]
        assert not store.shared
    finally:
        await replica.stop()
        store.close()
    assert log == ["only elected", "only deposed"]


async def test_two_replicas_open_send_and_resolve_an_alert_once(postgres_url, tmp_path: Path):
    config = ingest_config(tmp_path)
    stores = [Store.open(postgres_url), Store.open(postgres_url)]
    notifiers = [RecordingNotifier(), RecordingNotifier()]
    replicas = [
        Monitoring(config, store, notifier=notifier)
        for store, notifier in zip(stores, notifiers, strict=True)
    ]

    def open_on(replica: Monitoring):
        return replica.incidents.open(
            fingerprint="alert:errors", kind="errors", title="Errors", summary="5xx rate 60 %"
        )

    try:
        for _ in range(3):  # each replica opens it several times, all at once
            opened = await asyncio.gather(
                *(in_thread(open_on, r) for r in replicas for _ in range(4))
            )
        assert len({incident.id for incident, _ in opened}) == 1
        await asyncio.gather(*(r.flush() for r in replicas for _ in range(3)))
        posts = [c for n in notifiers for c in n.posts()]
        assert len(posts) == 1 and "5xx rate 60 %" in posts[0].text

        def resolve_on(replica: Monitoring):
            return replica.incidents.resolve_fingerprint(
                "alert:errors", actor="launchready", reason="back"
            )

        resolved = await asyncio.gather(
            *(in_thread(resolve_on, r) for r in replicas for _ in range(3))
        )
        assert len([r for r in resolved if r is not None]) == 1
        await asyncio.gather(*(r.flush() for r in replicas for _ in range(3)))
        assert sum(len(n.updates()) for n in notifiers) == 1  # one "resolved" edit
        assert sum(len(n.posts(threaded=True)) for n in notifiers) == 1  # one thread reply
        assert stores[0].incidents.pending_count() == 0
    finally:
        for replica, store in zip(replicas, stores, strict=True):
            await replica.aclose()
            store.close()


async def test_healthz_says_which_replica_leads(postgres_url, tmp_path: Path, serve):
    data = {
        "project": "Acme Chat",
        "database": postgres_url,
        "slack": {"channel": "C0LAUNCH"},
        "targets": {"staging": {"base_url": "http://127.0.0.1:9"}},
    }
    config = parse_config(yaml.safe_dump(data), env={}, root=tmp_path)
    first = await serve(build_server(Runtime.open(config), None))
    second = await serve(build_server(Runtime.open(config), None))
    async with httpx.AsyncClient() as client:
        answers = [(await client.get(f"{url}/healthz")).json() for url in (first, second)]
    assert [a["status"] for a in answers] == ["ok", "ok"]
    assert [a["role"] for a in answers] == ["leader", "standby"]
    assert [a["leader"] for a in answers] == [True, False]


async def test_served_replicas_alert_once_when_the_leader_dies(
    postgres_url,
    tmp_path: Path,
    serve,
    fake_slack,  # noqa: F811
):
    """Two whole `serve` apps on one database probe a failing monitor: one alert; the leader's
    session dies, the standby takes over the schedule, and the recovery is one resolution."""
    from bot.app.scheduler import SEAT
    from bot.slack.app import SlackSettings, build_app
    from tests.monitoring.conftest import Switch, switchable_app
    from tests.monitoring.test_served import FAST as FAST_RETRIES
    from tests.monitoring.test_served import alerts, replies
    from tests.slack.slack_requests import BOT_TOKEN, SIGNING_SECRET

    switch = Switch(status=500)
    target = await serve(switchable_app(switch))
    data = {
        "project": "Acme Chat",
        "database": postgres_url,
        "slack": {"channel": "C0LAUNCH", "admins": ["U0ADMIN"]},
        "targets": {"staging": {"base_url": target}},
        "monitors": [
            {
                "name": "api-health",
                "url": target + "/health",
                "interval": "1s",
                "failure_threshold": 2,
                "success_threshold": 2,
            },
        ],
    }
    config = parse_config(yaml.safe_dump(data), env={}, root=tmp_path)
    settings = SlackSettings(
        bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, api_url=fake_slack.api_url
    )
    apps = []
    for _ in range(2):
        runtime = Runtime.open(config)
        app = build_server(runtime, build_app(runtime, settings, FAST_RETRIES))
        await serve(app)
        apps.append(app)
    seats = [app[SEAT] for app in apps]
    assert [s.leading for s in seats] == [True, False]

    await fake_slack.wait_for(lambda f: len(alerts(f)) == 1, timeout=15)
    await in_thread(kill_lock_session, postgres_url)
    await until(lambda: seats[1].leading and not seats[0].leading)
    assert seats[0].scheduler is None and seats[1].scheduler is not None

    switch.status = 200  # the new leader's probes see the recovery
    await fake_slack.wait_for(
        lambda f: any("Resolved by monitor api-health" in c.text for c in replies(f)), timeout=15
    )
    await asyncio.sleep(1.5)  # a second replica's duplicate would land now
    assert len(alerts(fake_slack)) == 1
    assert len([c for c in replies(fake_slack) if "Resolved by" in c.text]) == 1
    assert len(fake_slack.calls_to("chat.update")) == 1
