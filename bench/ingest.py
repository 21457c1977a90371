"""Signed ingest throughput of `launchready serve` on SQLite and on PostgreSQL.

    python -m bench.ingest                          # both backends, this checkout
    python -m bench.ingest --before /tmp/lr-before  # an older checkout first, same load
    BENCH_INGEST_EVENTS=6000 BENCH_REPEATS=3 python -m bench.ingest --backends sqlite

Starts, all on loopback: the fake Slack Web API (tests/slack/fake_slack.py), for PostgreSQL a
throwaway cluster (tests/postgres.py, Debian's server binaries), and `launchready serve` as a
real subprocess running this checkout, and with ``--before PATH`` first one running the
checkout at PATH (e.g. ``git archive <commit> | tar -x -C PATH``), for a before/after. BENCH_INGEST_EVENTS signed ``http.request`` events (Standard
Webhooks, signed before the clock starts) are posted by BENCH_INGEST_SENDERS concurrent
senders, spread over BENCH_INGEST_CLIENTS client processes, to ``/ingest/events``. Figures: events per second from the first send to the last 2xx,
the service process's CPU time per event (utime + stime from /proc, all its threads; on a
shared machine this is the steadier figure: 1000 / it is the events per second one core of
the service sustains), and afterwards the rows stored counted in the database, which must
equal the 2xx count (every acknowledged event is stored; nothing stored twice). The alert thresholds stay at their
defaults, so the service also evaluates its windows during the burst, as in production.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import httpx
import yaml
from sqlalchemy import create_engine, text

from bench.common import (
    REPO,
    free_port,
    machine_description,
    median_spread,
    repeats,
    wait_healthy,
    write_section,
)
from bot.ingest.events import sign
from tests.postgres import PostgresServer, find_bindir
from tests.slack.fake_slack import FakeSlack
from tests.slack.slack_requests import BOT_TOKEN, SIGNING_SECRET

EVENTS = int(os.environ.get("BENCH_INGEST_EVENTS", "4000"))
SENDERS = int(os.environ.get("BENCH_INGEST_SENDERS", "64"))
CLIENTS = int(os.environ.get("BENCH_INGEST_CLIENTS", "2"))  # load-generating processes
SECRET = "whsec_" + base64.b64encode(b"bench-ingest-secret-0123456789ab").decode()


@dataclass
class Round:
    seconds: float
    sent: int
    acknowledged: int
    stored: int
    cpu_s: float  # the service process's CPU time (all threads) during the round


def _cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _signed_events(round_no: int) -> list[tuple[bytes, dict[str, str]]]:
    events = []
    stamp = int(time.time())
    for i in range(EVENTS):
        body = json.dumps(
            {
                "type": "http.request",
                "timestamp": datetime.now(UTC).isoformat(),
                "data": {
                    "route": "GET /api/conversations",
                    "status": 200,
                    "latency_ms": 20 + i % 50,
                },
            }
        ).encode()
        msg_id = f"msg_bench_{round_no}_{i}"
        events.append(
            (
                body,
                {
                    "webhook-id": msg_id,
                    "webhook-timestamp": str(stamp),
                    "webhook-signature": sign(SECRET, msg_id, stamp, body),
                    "content-type": "application/json",
                },
            )
        )
    return events


async def _send_slice(
    base: str, events: list[tuple[bytes, dict[str, str]]], senders: int
) -> tuple[float, float, int]:
    # aiohttp as the load generator: it costs less CPU per request than httpx (profiled).
    queue = list(reversed(events))
    acknowledged = 0

    async def sender(session: aiohttp.ClientSession) -> None:
        nonlocal acknowledged
        while queue:
            body, headers = queue.pop()
            async with session.post(f"{base}/ingest/events", data=body, headers=headers) as answer:
                if answer.status != 202:
                    raise SystemExit(
                        f"an event answered {answer.status}: {(await answer.text())[:200]}"
                    )
            acknowledged += 1

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=senders)) as session:
        began = time.monotonic()
        await asyncio.gather(*(sender(session) for _ in range(senders)))
        return began, time.monotonic(), acknowledged


def _client_process(
    base: str, events: list[tuple[bytes, dict[str, str]]], senders: int
) -> tuple[float, float, int]:
    return asyncio.run(_send_slice(base, events, senders))


async def _send_all(base: str, events: list[tuple[bytes, dict[str, str]]]) -> tuple[float, int]:
    """Send from CLIENTS processes at once (one Python client process cannot keep up with the
    service); seconds from the first send to the last 2xx (CLOCK_MONOTONIC is system-wide)."""
    slices = [events[i::CLIENTS] for i in range(CLIENTS)]
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(max_workers=CLIENTS) as pool:
        done = await asyncio.gather(
            *(
                loop.run_in_executor(pool, _client_process, base, part, max(1, SENDERS // CLIENTS))
                for part in slices
            )
        )
    return max(end for _, end, _ in done) - min(began for began, _, _ in done), sum(
        n for _, _, n in done
    )


def _stored(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(
                text("SELECT COUNT(*) FROM lr_ingested_events WHERE delivery_id LIKE 'msg_bench_%'")
            ).scalar_one()
    finally:
        engine.dispose()


async def _measure_backend(
    database_url: str, code: Path, fake: FakeSlack, work: Path
) -> list[Round]:
    config = {
        "project": "Bench Chat",
        "database": database_url,
        "slack": {"channel": "C0BENCH", "admins": ["U0ADMIN"], "digest": None},
        "targets": {"staging": {"base_url": "http://127.0.0.1:9"}},
        "ingest": {"secret": SECRET},
    }
    (work / "app.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    port = free_port()
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.api_url,
        "PYTHONPATH": str(code),
    }
    env.pop("SLACK_APP_TOKEN", None)
    env.pop("LAUNCHREADY_DATABASE_URL", None)
    process = subprocess.Popen(  # noqa: ASYNC220 - started once, before any measuring
        [
            sys.executable,
            "-m",
            "bot",
            "serve",
            "--config",
            str(work / "app.yaml"),
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=work,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    rounds: list[Round] = []
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            await wait_healthy(client, base, process)
        for round_no in range(repeats()):
            events = _signed_events(round_no)
            cpu_before = _cpu_seconds(process.pid)
            seconds, acknowledged = await _send_all(base, events)
            cpu = _cpu_seconds(process.pid) - cpu_before
            rounds.append(Round(seconds, len(events), acknowledged, _stored(database_url), cpu))
            with create_engine(database_url).begin() as conn:  # the next round starts empty
                conn.execute(
                    text("DELETE FROM lr_ingested_events WHERE delivery_id LIKE 'msg_bench_%'")
                )
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
    return rounds


async def measure(backends: list[str], code: Path) -> dict:
    fake = FakeSlack()
    await fake.start()
    server: PostgresServer | None = None
    figures: dict = {
        "events": EVENTS,
        "senders": SENDERS,
        "clients": CLIENTS,
        "code": str(code),
        "backends": {},
    }
    try:
        for backend in backends:
            work = Path(tempfile.mkdtemp(prefix=f"lr-bench-ingest-{backend}-"))
            if backend == "sqlite":
                url = f"sqlite:///{work / 'launchready.db'}"
            else:
                if server is None:
                    bindir = find_bindir()
                    if bindir is None:
                        raise SystemExit("PostgreSQL is not installed (apt-get install postgresql)")
                    server = PostgresServer.start(bindir)
                url = server.create_database()
            rounds = await _measure_backend(url, code, fake, work)
            figures["backends"][backend] = [r.__dict__ for r in rounds]
    finally:
        if server is not None:
            server.stop()
        await fake.stop()
    return figures


def _table(figures: dict, label: str) -> list[str]:
    rows = [
        f"{label} (`{figures['code']}`):",
        "",
        "| backend | events/s, median (min–max) | service CPU per event | acknowledged | stored |",
        "|---|---|---|---|---|",
    ]
    for backend, rounds in figures["backends"].items():
        rates = [r["sent"] / r["seconds"] for r in rounds]
        cpu = [1000 * r["cpu_s"] / r["sent"] for r in rounds]
        acknowledged = sum(r["acknowledged"] for r in rounds)
        stored = sum(r["stored"] for r in rounds)
        rows.append(
            f"| {backend} | {median_spread(rates, '/s', 0)} | {median_spread(cpu, ' ms', 2)} | {acknowledged} | {stored} |"
        )
    return rows + [""]


def report(after: dict, before: dict | None) -> str:
    runs = [before, after] if before else [after]
    lost = any(
        r["acknowledged"] != r["stored"] for f in runs for rs in f["backends"].values() for r in rs
    )
    command = "python -m bench.ingest" + (
        " --before <checkout of the older commit>" if before else ""
    )
    rows = [
        "## ingest",
        "",
        f"`{command}` (BENCH_REPEATS={repeats()}): `launchready serve` as a subprocess on loopback, "
        f"{after['events']} signed `http.request` events per round (Standard Webhooks, signed before the clock "
        f"starts) from {after['senders']} concurrent senders in {after['clients']} client processes to "
        "`/ingest/events`; SQLite in a temporary directory, PostgreSQL a throwaway cluster (tests/postgres.py). "
        "Events/s is from the first send to the last 2xx; CPU per event is the service process's utime + stime "
        "(all threads) over the round divided by the events; stored is counted in the database afterwards.",
        "",
    ]
    if before:
        rows += _table(before, "Before (one transaction per event)")
    rows += _table(after, "After (group commit)" if before else "This checkout")
    rows += [
        f"Target 1,000 events/s: {_verdict(after)}. Stored equals acknowledged in every round: "
        f"{'NO' if lost else 'yes'} (every 2xx followed its commit; nothing lost, nothing stored twice).",
        "",
        f"Machine: {machine_description()}. The senders, the fake Slack, PostgreSQL and the service share it; "
        f"1-minute load average at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other work on the "
        "machine included), so events/s is what was left of it, and CPU per event is the steadier figure "
        "(1000 / it ≈ events per second per core of the service).",
    ]
    return "\n".join(rows)


def _verdict(figures: dict) -> str:
    medians = {
        backend: sorted(r["sent"] / r["seconds"] for r in rounds)[len(rounds) // 2]
        for backend, rounds in figures["backends"].items()
    }
    missed = [b for b, rate in medians.items() if rate < 1000]
    return "met on " + ", ".join(medians) if not missed else "NOT met on " + ", ".join(missed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument(
        "--before", type=Path, help="an older checkout to measure first, with the same load"
    )
    args = parser.parse_args()
    backends = [b for b in args.backends.split(",") if b]
    # Backend by backend, the older checkout right before this one, so both see the same
    # machine (other work on a shared machine comes and goes).
    before: dict | None = None
    after: dict = {}
    for backend in backends:
        if args.before:
            older = asyncio.run(measure([backend], args.before.resolve()))
            before = (
                older
                if before is None
                else {**before, "backends": {**before["backends"], **older["backends"]}}
            )
        newer = asyncio.run(measure([backend], REPO))
        after = (
            newer
            if not after
            else {**after, "backends": {**after["backends"], **newer["backends"]}}
        )
    write_section("ingest", report(after, before), {"before": before, "after": after})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
