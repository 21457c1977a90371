"""Failover of two `launchready serve` replicas on one PostgreSQL, by kill -9 of the leader.

    python -m bench.failover          # BENCH_REPEATS=3 kills, BENCH_FAILOVER_MONITORS=6

Starts, all on loopback: a throwaway PostgreSQL cluster (tests/postgres.py), the fake Slack
Web API (tests/slack/fake_slack.py), a target whose routes flap (each monitor's route answers
500 for 4 s, then 200 for 4 s, phases staggered, so incidents open and resolve all the time),
and two `launchready serve` replicas as real subprocesses on one database, with monitors at a
1 s interval (failure and success threshold 2). Each round: 8 s of normal work, then
``kill -9`` of the replica whose /healthz says ``leader``, 10 s for the standby to take over,
and the killed one is started again as the new standby. At the end every route turns green
and the service gets 12 s to resolve what is open.

Figures: the takeover (kill to the first probe the new leader sends, and to its /healthz
saying leader), the longest gap between two probes of one monitor across the kill (against
the 1 s interval), and from the fake Slack and the database: each incident's alert posted
once (a duplicate is a second top-level post, or more thread replies than the incident's
deliveries), none lost (every delivery the incidents queued is marked sent and appears in
Slack).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx
import yaml
from aiohttp import web
from sqlalchemy import create_engine, text

from bench.common import (
    REPO,
    free_port,
    machine_description,
    median_spread,
    repeats,
    serve_app,
    write_section,
)
from tests.postgres import PostgresServer, find_bindir
from tests.slack.fake_slack import FakeSlack
from tests.slack.slack_requests import BOT_TOKEN, SIGNING_SECRET

MONITORS = int(os.environ.get("BENCH_FAILOVER_MONITORS", "6"))
INTERVAL_S = 1
BEFORE_KILL_S, AFTER_KILL_S, SETTLE_S = 8.0, 10.0, 12.0
FLAP_S = 4.0


class Target:
    """Flapping routes, one per monitor; records when each probe arrived."""

    def __init__(self) -> None:
        self.began = time.monotonic()
        self.green = False  # at the end: every route answers 200
        self.probes: dict[str, list[float]] = defaultdict(list)

    def failing(self, index: int, now: float) -> bool:
        return (
            not self.green and int((now - self.began + index * FLAP_S / MONITORS) / FLAP_S) % 2 == 1
        )

    async def start(self) -> tuple[web.AppRunner, str]:
        async def route(request: web.Request) -> web.Response:
            name = request.match_info["name"]
            now = time.monotonic()
            self.probes[name].append(now)
            down = self.failing(int(name.rsplit("-", 1)[1]), now)
            return web.json_response(
                {"status": "down" if down else "ok"}, status=500 if down else 200
            )

        app = web.Application()
        app.router.add_get("/m/{name}", route)
        return await serve_app(app)


class Replica:
    def __init__(self, name: str, config: Path, env: dict[str, str]) -> None:
        self.name, self.config, self.env = name, config, env
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bot",
                "serve",
                "--config",
                str(self.config),
                "--port",
                str(self.port),
                "--log-level",
                "warning",
            ],
            cwd=self.config.parent,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=open(self.config.parent / f"{self.name}.log", "ab"),  # noqa: SIM115 - the child owns it
        )

    async def role(self, client: httpx.AsyncClient) -> str | None:
        try:
            return (await client.get(f"{self.base}/healthz", timeout=2)).json().get("role")
        except (httpx.HTTPError, ValueError):
            return None

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


async def _until_role(
    client: httpx.AsyncClient, replica: Replica, role: str, within_s: float = 120
) -> float:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if replica.process is not None and replica.process.poll() is not None:
            raise SystemExit(f"replica {replica.name} exited with {replica.process.returncode}")
        if await replica.role(client) == role:
            return time.monotonic()
        await asyncio.sleep(0.05)
    raise SystemExit(f"replica {replica.name} did not report {role} within {within_s:g} s")


def _ledger(url: str) -> tuple[dict[int, str | None], dict[int, list[str]], int]:
    """Incident id -> its alert's ts; incident id -> the actions of its sent deliveries; how
    many deliveries are still pending plus incidents still unresolved once every route is green
    (each a lost message)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            incidents = {i: ts for i, ts in conn.execute(text("SELECT id, ts FROM lr_incidents"))}
            unresolved = conn.execute(
                text("SELECT COUNT(*) FROM lr_incidents WHERE state != 'resolved'")
            ).scalar_one()
            sent: dict[int, list[str]] = defaultdict(list)
            for incident_id, action in conn.execute(
                text(
                    "SELECT incident_id, action FROM lr_alert_deliveries WHERE state = 'sent' ORDER BY id"
                )
            ):
                sent[incident_id].append(action)
            pending = conn.execute(
                text("SELECT COUNT(*) FROM lr_alert_deliveries WHERE state != 'sent'")
            ).scalar_one()
            return incidents, sent, pending + unresolved
    finally:
        engine.dispose()


def _audit(fake: FakeSlack, url: str) -> dict:
    incidents, sent, pending = _ledger(url)
    posts = [
        c for c in fake.calls_to("chat.postMessage", ok_only=True) if not c.args.get("thread_ts")
    ]
    alerts = [c for c in posts if "Incident" in c.text or "incident" in c.text.lower()]
    replies: dict[str, int] = defaultdict(int)
    for call in fake.calls_to("chat.postMessage", ok_only=True):
        if call.args.get("thread_ts"):
            replies[call.args["thread_ts"]] += 1
    by_ts = {ts: i for i, ts in incidents.items() if ts}
    duplicate_posts = len(alerts) - len(by_ts)
    duplicate_replies = lost_replies = 0
    for incident_id, ts in incidents.items():
        expected = len([a for a in sent.get(incident_id, []) if a != "open"])
        got = replies.get(ts or "", 0)
        duplicate_replies += max(0, got - expected)
        lost_replies += max(0, expected - got)
    unposted = len([i for i, ts in incidents.items() if not ts])
    return {
        "incidents": len(incidents),
        "deliveries_sent": sum(len(v) for v in sent.values()),
        "alert_posts": len(alerts),
        "thread_replies": sum(replies.values()),
        "duplicate_posts": duplicate_posts,
        "duplicate_replies": duplicate_replies,
        "lost": lost_replies + unposted + pending,
        "pending": pending,
    }


async def measure() -> dict:
    bindir = find_bindir()
    if bindir is None:
        raise SystemExit("PostgreSQL is not installed (apt-get install postgresql)")
    server = PostgresServer.start(bindir)
    fake = FakeSlack()
    await fake.start()
    target = Target()
    runner, target_url = await target.start()
    work = Path(tempfile.mkdtemp(prefix="lr-bench-failover-"))
    url = server.create_database()
    config = {
        "project": "Bench Chat",
        "database": url,
        "slack": {"channel": "C0BENCH", "admins": ["U0ADMIN"], "digest": None},
        "targets": {"staging": {"base_url": target_url}},
        "monitors": [
            {
                "name": f"m-{i}",
                "url": f"{target_url}/m/m-{i}",
                "interval": f"{INTERVAL_S}s",
                "failure_threshold": 2,
                "success_threshold": 2,
            }
            for i in range(MONITORS)
        ],
    }
    (work / "app.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.api_url,
        "PYTHONPATH": str(REPO),
    }
    for name in ("SLACK_APP_TOKEN", "LAUNCHREADY_DATABASE_URL"):
        env.pop(name, None)
    replicas = [Replica("a", work / "app.yaml", env), Replica("b", work / "app.yaml", env)]
    rounds: list[dict] = []
    try:
        async with httpx.AsyncClient() as client:
            replicas[0].start()
            await _until_role(client, replicas[0], "leader")
            replicas[1].start()
            await _until_role(client, replicas[1], "standby")
            for _ in range(repeats()):
                await asyncio.sleep(BEFORE_KILL_S)
                roles = [await r.role(client) for r in replicas]
                leader, standby = (
                    (replicas[0], replicas[1])
                    if roles[0] == "leader"
                    else (replicas[1], replicas[0])
                )
                killed_at = time.monotonic()
                leader.kill()
                elected_at = await _until_role(client, standby, "leader")
                await asyncio.sleep(AFTER_KILL_S)
                after = [t for ts in target.probes.values() for t in ts if t > killed_at]
                gaps = []
                for stamps in target.probes.values():
                    around = [
                        t
                        for t in stamps
                        if killed_at - 3 * INTERVAL_S <= t <= killed_at + AFTER_KILL_S
                    ]
                    gaps.append(
                        max((b - a for a, b in zip(around, around[1:], strict=False)), default=0.0)
                    )
                rounds.append(
                    {
                        "killed": leader.name,
                        "healthz_leader_s": elected_at - killed_at,
                        "first_probe_s": (min(after) - killed_at) if after else None,
                        "longest_gap_s": max(gaps),
                    }
                )
                leader.start()  # back as the standby
                await _until_role(client, leader, "standby")
            target.green = True
            await asyncio.sleep(SETTLE_S)
    finally:
        for replica in replicas:
            replica.stop()
        await runner.cleanup()
        audit = _audit(fake, url)
        await fake.stop()
        server.stop()
    secrets = [BOT_TOKEN, SIGNING_SECRET]
    leaked = any(
        s in (work / f"{r.name}.log").read_text(errors="replace")
        for r in replicas
        for s in secrets
        if (work / f"{r.name}.log").exists()
    )
    return {
        "monitors": MONITORS,
        "interval_s": INTERVAL_S,
        "rounds": rounds,
        "audit": audit,
        "secrets_in_logs": leaked,
    }


def report(figures: dict) -> str:
    rounds, audit = figures["rounds"], figures["audit"]
    healthz = [r["healthz_leader_s"] for r in rounds]
    first = [r["first_probe_s"] for r in rounds if r["first_probe_s"] is not None]
    gaps = [r["longest_gap_s"] for r in rounds]
    ok = audit["duplicate_posts"] == 0 and audit["duplicate_replies"] == 0 and audit["lost"] == 0
    rows = [
        "## failover",
        "",
        f"`python -m bench.failover` (BENCH_REPEATS={len(rounds)} kills): two `launchready serve` replicas "
        f"on one PostgreSQL, {figures['monitors']} monitors at {figures['interval_s']} s on flapping routes; "
        "each round `kill -9` of the leader, the standby takes over, the killed one comes back as standby.",
        "",
        "| figure | median (min–max) |",
        "|---|---|",
        f"| kill -9 → the standby's /healthz says leader | {median_spread(healthz, ' s')} |",
        f"| kill -9 → the first probe sent by the new leader | {median_spread(first, ' s')} |",
        f"| longest gap between two probes of one monitor across the kill (interval {figures['interval_s']} s) | "
        f"{median_spread(gaps, ' s')} |",
        "",
        f"Alerts: {audit['incidents']} incidents, {audit['deliveries_sent']} deliveries sent, "
        f"{audit['alert_posts']} alert posts and {audit['thread_replies']} thread replies in Slack; "
        f"duplicate posts {audit['duplicate_posts']}, duplicate replies {audit['duplicate_replies']}, "
        f"lost {audit['lost']} (pending deliveries or unresolved incidents at the end: {audit['pending']}): "
        f"{'no alert sent twice, none lost' if ok else 'NOT clean'}. "
        f"Secrets in the replicas' logs: {'FOUND' if figures['secrets_in_logs'] else 'none'}.",
        "",
        f"Machine: {machine_description()}. PostgreSQL, both replicas, the target and the fake Slack share it.",
    ]
    return "\n".join(rows)


def main() -> int:
    figures = asyncio.run(measure())
    write_section("failover", report(figures), figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
