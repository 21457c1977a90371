"""Alert latency and ingest throughput of `launchready serve`.

    python bench/alerts.py        # BENCH_REPEATS=3 cycles, BENCH_INGEST_EVENTS=2000 events

Starts, all on loopback: the fake Slack Web API (tests/slack/fake_slack.py), a target whose
health route can be switched between 200 and 500, and `launchready serve` as a real
subprocess with one monitor on that route (interval 1 s, failure and success threshold 2).

1. Alert latency: the route turns 500 at t0; the figure is t0 to the fake Slack receiving
   the alert (the first post, or the "Re-opened" thread reply of a later cycle). Then it turns
   200 at t1; the figure is t1 to the ``chat.update`` that marks the incident resolved. The
   target is threshold x interval + 1 s = 3 s.
2. Ingest throughput: BENCH_INGEST_EVENTS signed ``http.request`` events (Standard Webhooks)
   posted by 32 concurrent senders to ``/ingest/events``; events per second, and the count
   stored in the database afterwards (it must equal the count sent: nothing lost).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import httpx
import yaml
from aiohttp import web

from bench.common import (
    REPO,
    free_port,
    machine_description,
    median_spread,
    repeats,
    serve_app,
    wait_healthy,
    write_section,
)
from bot.ingest.events import sign
from tests.slack.fake_slack import FakeSlack
from tests.slack.slack_requests import BOT_TOKEN, SIGNING_SECRET

EVENTS = int(os.environ.get("BENCH_INGEST_EVENTS", "2000"))
SENDERS = 32
SECRET = "whsec_" + base64.b64encode(b"bench-ingest-secret-0123456789ab").decode()
INTERVAL_S, THRESHOLD = 1, 2


class Switch:
    status = 200


async def _target(switch: Switch) -> tuple[web.AppRunner, str]:
    async def health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok" if switch.status == 200 else "down"}, status=switch.status)

    app = web.Application()
    app.router.add_get("/health", health)
    return await serve_app(app)


def _alert_calls(fake: FakeSlack) -> list:
    return [
        c for c in fake.calls_to("chat.postMessage")
        if (not c.args.get("thread_ts") and "Incident" in c.args.get("text", ""))
        or (c.args.get("thread_ts") and "Re-opened" in c.args.get("text", ""))
    ]


def _resolved_edits(fake: FakeSlack) -> list:
    return [c for c in fake.calls_to("chat.update") if "Resolved" in c.args.get("text", "")]


async def _moment(fake: FakeSlack, matching, before: int, timeout: float = 30) -> float:
    """When the first matching call after the ``before`` earlier ones reached the fake."""
    await fake.wait_for(lambda f: len(matching(f)) > before, timeout=timeout)
    return matching(fake)[before].at


async def _ingest(base: str) -> tuple[float, int]:
    # aiohttp as the load generator: httpx's connection pool costs more CPU than the service
    # being measured at 32 concurrent connections (profiled), which would cap the figure.
    connector = aiohttp.TCPConnector(limit=SENDERS)
    async with aiohttp.ClientSession(connector=connector) as session:
        return await _send_all(session, base)


async def _send_all(session: aiohttp.ClientSession, base: str) -> tuple[float, int]:
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(EVENTS):
        queue.put_nowait(i)
    accepted = 0

    async def sender() -> None:
        nonlocal accepted
        while not queue.empty():
            i = queue.get_nowait()
            body = json.dumps({
                "type": "http.request", "timestamp": datetime.now(UTC).isoformat(),
                "data": {"route": "GET /api/conversations", "status": 200, "latency_ms": 20 + i % 50},
            }).encode()
            stamp = int(time.time())
            msg_id = f"msg_bench_{i}"
            headers = {"webhook-id": msg_id, "webhook-timestamp": str(stamp),
                       "webhook-signature": sign(SECRET, msg_id, stamp, body), "content-type": "application/json"}
            async with session.post(f"{base}/ingest/events", data=body, headers=headers) as answer:
                if answer.status != 202:
                    raise SystemExit(f"event {i} answered {answer.status}: {(await answer.text())[:200]}")
            accepted += 1

    began = time.perf_counter()
    await asyncio.gather(*(sender() for _ in range(SENDERS)))
    return time.perf_counter() - began, accepted


async def measure() -> dict:
    fake = FakeSlack()
    await fake.start()
    switch = Switch()
    target_runner, target_url = await _target(switch)
    work = Path(tempfile.mkdtemp(prefix="lr-bench-alerts-"))
    database = work / "launchready.db"
    config = {
        "project": "Bench Chat",
        "database": f"sqlite:///{database}",
        "slack": {"channel": "C0BENCH", "admins": ["U0ADMIN"], "digest": None},
        "targets": {"staging": {"base_url": target_url}},
        "monitors": [{"name": "health", "url": f"{target_url}/health", "interval": f"{INTERVAL_S}s",
                      "failure_threshold": THRESHOLD, "success_threshold": THRESHOLD}],
        "ingest": {"secret": SECRET},
    }
    (work / "app.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    port = free_port()
    env = {**os.environ, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
           "SLACK_API_URL": fake.api_url, "PYTHONPATH": str(REPO)}
    env.pop("SLACK_APP_TOKEN", None)
    process = subprocess.Popen(  # noqa: ASYNC220 - started once, before any measuring
        [sys.executable, "-m", "bot", "serve", "--config", str(work / "app.yaml"), "--port", str(port),
         "--log-level", "warning"],
        cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    to_alert: list[float] = []
    to_resolve: list[float] = []
    ingest: list[dict] = []
    try:
        limits = httpx.Limits(max_connections=SENDERS, max_keepalive_connections=SENDERS)
        async with httpx.AsyncClient(timeout=30, limits=limits) as client:
            await wait_healthy(client, base, process)
            await asyncio.sleep(2 * INTERVAL_S)  # a few green probes first
            for _ in range(repeats()):
                before = len(_alert_calls(fake))
                switch.status, t0 = 500, time.monotonic()
                to_alert.append(await _moment(fake, _alert_calls, before) - t0)
                before = len(_resolved_edits(fake))
                switch.status, t1 = 200, time.monotonic()
                to_resolve.append(await _moment(fake, _resolved_edits, before) - t1)
                await asyncio.sleep(INTERVAL_S)
            for _ in range(repeats()):
                seconds, accepted = await _ingest(base)
                with sqlite3.connect(database) as db:
                    stored = db.execute("SELECT COUNT(*) FROM lr_ingested_events WHERE delivery_id LIKE 'msg_bench_%'").fetchone()[0]
                    db.execute("DELETE FROM lr_ingested_events WHERE delivery_id LIKE 'msg_bench_%'")
                ingest.append({"seconds": seconds, "sent": EVENTS, "accepted": accepted, "stored": stored})
    finally:
        process.send_signal(signal.SIGINT)
        try:
            _, stderr = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            _, stderr = process.communicate()
        await target_runner.cleanup()
        await fake.stop()
    leaked = any(s.encode() in stderr for s in (BOT_TOKEN, SIGNING_SECRET, SECRET))
    return {"to_alert_s": to_alert, "to_resolve_s": to_resolve, "ingest": ingest, "secrets_in_logs": leaked,
            "interval_s": INTERVAL_S, "threshold": THRESHOLD, "events": EVENTS, "senders": SENDERS}


def report(figures: dict) -> str:
    budget = figures["threshold"] * figures["interval_s"] + 1
    alert, resolve = figures["to_alert_s"], figures["to_resolve_s"]
    rates = [r["sent"] / r["seconds"] for r in figures["ingest"]]
    lost = [r["sent"] - r["stored"] for r in figures["ingest"]]
    met = max(alert + resolve) <= budget
    rows = [
        "## alerts",
        "",
        f"`python bench/alerts.py` (BENCH_REPEATS={len(alert)}): `launchready serve` as a subprocess on loopback with the "
        f"fake Slack Web API and one monitor (interval {figures['interval_s']} s, failure and success threshold "
        f"{figures['threshold']}) on a route switched between 200 and 500.",
        "",
        "| figure | median (min–max) |",
        "|---|---|",
        f"| route turns 500 → alert accepted by Slack | {median_spread(alert, ' s')} |",
        f"| route recovers → resolve edit accepted by Slack | {median_spread(resolve, ' s')} |",
        f"| ingest: signed `http.request` events per second ({figures['events']} events, {figures['senders']} senders) | "
        f"{median_spread(rates, '/s', 0)} |",
        "",
        f"Target: within threshold x interval + 1 s = {budget:g} s: {'met' if met else 'NOT met'} "
        f"(worst {max(alert + resolve):.2f} s). Ingest: {sum(r['sent'] for r in figures['ingest'])} events sent, "
        f"{sum(r['stored'] for r in figures['ingest'])} stored ({'nothing lost' if not any(lost) else f'{sum(lost)} LOST'}). "
        f"Secrets in the service's log: {'FOUND' if figures['secrets_in_logs'] else 'none'}.",
        "",
        f"Machine: {machine_description()}. Every part shares it.",
    ]
    return "\n".join(rows)


def main() -> int:
    figures = asyncio.run(measure())
    write_section("alerts", report(figures), figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
