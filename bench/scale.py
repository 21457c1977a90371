"""Scale of `launchready serve`: many monitors in one process, and whether probes stay on time.

    python -m bench.scale        # about 4 minutes; BENCH_REPEATS (default 1) repeats the 200-monitor window

Everything runs on loopback: the fake Slack Web API (tests/slack/fake_slack.py), five aiohttp
servers with a cheap 200 route for every monitor's own path, and `launchready serve` as a real
subprocess with an app.yaml generated in a temporary directory.

1. Holding: 200 monitors at a 30 s interval spread over 20 targets. Over a window of three
   probe rounds: the serve process's CPU share (utime + stime from /proc/<pid>/stat over the
   window, divided by the window's wall time; 100 % is one core), its peak RSS (VmHWM), and
   probe lateness.
2. Sustaining: the same at a 5 s interval with 200, 400, 800, 1600, 3200 monitors (a fresh
   service each time), stopping at the first count whose p99 lateness exceeds 1 s or that
   misses a probe, then trying once halfway between the last count that held and that one;
   the figure is the largest count that held.

Lateness: APScheduler fires a monitor's job at ``start + k x interval``; the bench reads each
job's first ``next_run_time`` from the jobstore table (or, since monitor jobs live in memory,
computes it: probes fall at ``k x interval + phase`` since the epoch), so it knows every probe's due time, and
the loopback servers record when each path's request arrived. Lateness is arrival minus due
time (it includes the probe's connection and request, so it is what a watched app sees). A
round with no arrival within ``LATE_CAP_S`` of its due time is a missed probe (APScheduler
drops runs later than the misfire grace time, or while the previous probe still runs).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import math
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import yaml
from aiohttp import web

from bench.common import (
    REPO,
    free_port,
    machine_description,
    median_spread,
    percentile,
    repeats,
    write_section,
)
from tests.slack.fake_slack import FakeSlack
from tests.slack.slack_requests import BOT_TOKEN, SIGNING_SECRET

HOLD_MONITORS, HOLD_INTERVAL_S, TARGETS = 200, 30.0, 20
STEPS = (200, 400, 800, 1600, 3200)
STEP_INTERVAL_S = 5.0
SERVERS = 5  # loopback ports; monitors share them through their own paths
ROUNDS = 3  # probe rounds measured per window
LATE_CAP_S = 5.0  # a probe this late (or never) counts as missed
HOLD_P99_S = 1.0  # a count holds while p99 lateness stays within this and nothing is missed
EARLY_S = 0.05  # clock granularity: an arrival this much before its due time still counts
READY_TIMEOUT_S = 120.0
CLK_TCK = os.sysconf("SC_CLK_TCK")


# -- the loopback servers the monitors probe ----------------------------------------------------


@dataclass
class Arrivals:
    """When each path was requested (wall clock, comparable with APScheduler's timestamps)."""

    at: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    async def handle(self, request: web.Request) -> web.Response:
        self.at[request.path].append(time.time())
        return web.Response(text='{"status": "ok"}', content_type="application/json")


async def _servers(arrivals: Arrivals) -> tuple[web.AppRunner, list[int]]:
    app = web.Application()
    app.router.add_get("/{tail:.*}", arrivals.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    ports = []
    for _ in range(SERVERS):
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        ports.append(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
    return runner, ports


# -- the service under measure -------------------------------------------------------------------


def _config(work: Path, monitors: int, interval: float, ports: list[int]) -> tuple[Path, dict[str, str]]:
    """app.yaml with ``monitors`` monitors over TARGETS targets; returns it and monitor -> path."""
    targets = {f"t{i:02d}": {"base_url": f"http://127.0.0.1:{ports[i % len(ports)]}/t{i:02d}"} for i in range(TARGETS)}
    paths: dict[str, str] = {}
    entries = []
    for j in range(monitors):
        target = f"t{j % TARGETS:02d}"
        name = f"m{j:04d}"
        paths[name] = f"/{target}/{name}"
        entries.append({"name": name, "url": f"{targets[target]['base_url']}/{name}", "interval": f"{interval:g}s",
                        "timeout": "5s", "target": target})
    config = {
        "project": "Bench Scale",
        "database": f"sqlite:///{work / 'launchready.db'}",
        "slack": {"channel": "C0BENCH", "admins": ["U0ADMIN"], "digest": None},
        "targets": targets,
        "monitors": entries,
    }
    path = work / "app.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path, paths


def _die_with_parent() -> None:
    # If the bench itself is killed (the suite's time limit), the service must not outlive it.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class Service:
    """`launchready serve` in a subprocess, its log in a file (a pipe could fill and block it)."""

    def __init__(self, config: Path, fake: FakeSlack) -> None:
        self.config = config
        self.port = free_port()
        self.log_path = config.parent / "serve.log"
        env = {**os.environ, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
               "SLACK_API_URL": fake.api_url, "PYTHONPATH": str(REPO)}
        env.pop("SLACK_APP_TOKEN", None)
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--config", str(config), "--port", str(self.port),
             "--log-level", "warning"],
            cwd=config.parent, env=env, stdout=subprocess.DEVNULL, stderr=self._log, preexec_fn=_die_with_parent,
        )

    async def ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        async with httpx.AsyncClient(timeout=5) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise SystemExit(f"launchready serve exited with {self.process.returncode}: {self.log()[-2000:]}")
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get(f"http://127.0.0.1:{self.port}/healthz")).status_code == 200:
                        return
                await asyncio.sleep(0.1)
        raise SystemExit(f"launchready serve did not answer /healthz within {READY_TIMEOUT_S:g} s")

    def cpu_seconds(self) -> float:
        stat = Path(f"/proc/{self.process.pid}/stat").read_text()
        fields = stat.rsplit(")", 1)[1].split()  # after "pid (comm)": state is fields[0]
        return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime, every thread

    def memory_mib(self) -> dict[str, float]:
        values = {}
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                values[key] = int(rest.split()[0]) / 1024
        return values

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def _first_runs(database: Path, names: list[str], interval: float) -> dict[str, float]:
    """monitor name -> the epoch seconds of one of its due times: from APScheduler's jobstore
    (before monitor jobs moved to memory), else from the phase, since a monitor's probes fall
    at ``k x interval + phase`` since the epoch (bot.app.scheduler.first_probe)."""
    with contextlib.closing(sqlite3.connect(database, timeout=10)) as db:
        rows = db.execute("SELECT id, next_run_time FROM lr_apscheduler_jobs WHERE id LIKE 'lr:monitor:%'").fetchall()
    if rows:
        return {job_id.removeprefix("lr:monitor:"): when for job_id, when in rows if when is not None}
    from bot.app.scheduler import monitor_phase

    return {name: monitor_phase(name, interval) for name in names}


# -- one window ----------------------------------------------------------------------------------


def _judge(arrivals: Arrivals, paths: dict[str, str], phases: dict[str, float], interval: float, start: float) -> dict:
    """Lateness of every probe due in the ROUNDS rounds after ``start``, and the misses."""
    lateness: list[float] = []
    missed = 0
    for name, path in paths.items():
        phase = phases.get(name)
        if phase is None:  # no job at all: every round is missed
            missed += ROUNDS
            continue
        first = phase + math.ceil((start - phase) / interval) * interval  # first due time after start
        due = [first + k * interval for k in range(ROUNDS)]
        seen: dict[int, float] = {}
        for at in arrivals.at.get(path, ()):
            k = math.floor((at - first + EARLY_S) / interval)
            if 0 <= k < ROUNDS and k not in seen:
                seen[k] = max(0.0, at - due[k])
        for k in range(ROUNDS):
            late = seen.get(k)
            if late is None or late > LATE_CAP_S:
                missed += 1
            else:
                lateness.append(late)
    return {"expected": len(paths) * ROUNDS, "on_time": len(lateness), "missed": missed,
            "p50_s": percentile(lateness, 50) if lateness else None,
            "p99_s": percentile(lateness, 99) if lateness else None,
            "max_s": max(lateness) if lateness else None}


async def window(monitors: int, interval: float, ports: list[int], arrivals: Arrivals, fake: FakeSlack) -> dict:
    """Start a service with ``monitors`` monitors, measure ROUNDS probe rounds, stop it."""
    work = Path(tempfile.mkdtemp(prefix="lr-bench-scale-"))
    config, paths = _config(work, monitors, interval, ports)
    arrivals.at.clear()
    service = Service(config, fake)
    try:
        began = time.monotonic()
        await service.ready()
        startup = time.monotonic() - began
        # Skip one warm-up interval (at most 5 s) so the first round measured is a steady one.
        start = time.time() + min(interval, 5.0)
        phases = _first_runs(work / "launchready.db", list(paths), interval)
        cpu0, wall0 = service.cpu_seconds(), time.monotonic()
        latest_first = max(p + math.ceil((start - p) / interval) * interval for p in phases.values()) if phases else start
        end = latest_first + (ROUNDS - 1) * interval + LATE_CAP_S + 0.5
        await asyncio.sleep(max(0.0, end - time.time()))
        cpu1, wall1 = service.cpu_seconds(), time.monotonic()
        memory = service.memory_mib()
    finally:
        service.stop()
    log = service.log()
    figures = _judge(arrivals, paths, phases, interval, start)
    figures.update({
        "monitors": monitors, "interval_s": interval, "targets": TARGETS, "startup_s": startup,
        "due_spread_s": (max(phases.values()) - min(phases.values())) if phases else None,
        "window_s": wall1 - wall0, "cpu_share": (cpu1 - cpu0) / (wall1 - wall0),
        "peak_rss_mib": memory.get("VmHWM"), "rss_mib": memory.get("VmRSS"),
        "scheduler_missed_runs": log.count("was missed by"),
        "scheduler_skipped_busy": log.count("maximum number of running instances"),
        "secrets_in_logs": any(s in log for s in (BOT_TOKEN, SIGNING_SECRET)),
    })
    shutil.rmtree(work, ignore_errors=True)
    return figures


def held(figures: dict) -> bool:
    return figures["missed"] == 0 and figures["p99_s"] is not None and figures["p99_s"] <= HOLD_P99_S


async def measure() -> dict:
    fake = FakeSlack()
    await fake.start()
    arrivals = Arrivals()
    runner, ports = await _servers(arrivals)
    hold: list[dict] = []
    steps: list[dict] = []
    try:
        for _ in range(repeats(1)):
            hold.append(await window(HOLD_MONITORS, HOLD_INTERVAL_S, ports, arrivals, fake))
            print(f"scale: {_line(hold[-1])}", file=sys.stderr)
        for count in STEPS:
            steps.append(await window(count, STEP_INTERVAL_S, ports, arrivals, fake))
            print(f"scale: {_line(steps[-1])}", file=sys.stderr)
            if not held(steps[-1]):
                break
        if len(steps) >= 2 and not held(steps[-1]) and held(steps[-2]):
            # One bisection step between the last count that held and the first that did not.
            middle = (steps[-2]["monitors"] + steps[-1]["monitors"]) // 2
            steps.append(await window(middle, STEP_INTERVAL_S, ports, arrivals, fake))
            print(f"scale: {_line(steps[-1])}", file=sys.stderr)
        steps.sort(key=lambda s: s["monitors"])
    finally:
        await runner.cleanup()
        await fake.stop()
    # The ramp stops at the first count that failed, so every count that held is below it.
    sustained = [s["monitors"] for s in steps if held(s)]
    return {"hold": hold, "steps": steps, "sustained": max(sustained) if sustained else 0,
            "capped": bool(steps) and held(steps[-1]) and steps[-1]["monitors"] == STEPS[-1],
            "slack_calls": len(fake.calls)}


# -- report ----------------------------------------------------------------------------------------


def _ms(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds * 1000:.0f} ms"


def _line(f: dict) -> str:
    return (f"{f['monitors']} monitors @ {f['interval_s']:g}s: {f['on_time']}/{f['expected']} on time, "
            f"{f['missed']} missed, p50 {_ms(f['p50_s'])}, p99 {_ms(f['p99_s'])}, max {_ms(f['max_s'])}, "
            f"CPU {f['cpu_share'] * 100:.1f} %, peak RSS {f['peak_rss_mib']:.0f} MiB, startup {f['startup_s']:.1f} s")


def report(figures: dict) -> str:
    hold = figures["hold"]
    rate = HOLD_MONITORS / HOLD_INTERVAL_S
    rows = [
        "## Scale",
        "",
        f"`python -m bench.scale` (BENCH_REPEATS={len(hold)} for the first table): one `launchready serve` "
        f"subprocess on loopback (fake Slack, SQLite in a temporary directory) with {HOLD_MONITORS} monitors at a "
        f"{HOLD_INTERVAL_S:g} s interval over {TARGETS} targets ({rate:.1f} probes/s), all probing loopback aiohttp "
        f"servers ({SERVERS} ports, a path per monitor). Measured over {ROUNDS} probe rounds "
        f"({median_spread([h['window_s'] for h in hold], ' s', 0)} window). CPU share is utime + stime of the "
        "process over the window's wall time (100 % = one core); lateness is a probe's arrival at the server "
        "minus its due time in APScheduler's schedule. The scheduler spreads monitors over their interval by a "
        f"stable hash of their names (a round's due times span {max(w['due_spread_s'] or 0 for w in hold + figures['steps']) * 1000:.0f} ms), "
        "so lateness is how far the service falls behind a steady stream of probes, not a single burst.",
        "",
        "| figure | median (min–max) |",
        "|---|---|",
        f"| CPU share of the serve process | {median_spread([h['cpu_share'] * 100 for h in hold], ' %', 1)} |",
        f"| peak RSS (VmHWM) | {median_spread([h['peak_rss_mib'] for h in hold], ' MiB', 0)} |",
        f"| probe lateness p50 | {median_spread([h['p50_s'] * 1000 for h in hold if h['p50_s'] is not None], ' ms', 0)} |",
        f"| probe lateness p99 | {median_spread([h['p99_s'] * 1000 for h in hold if h['p99_s'] is not None], ' ms', 0)} |",
        f"| probe lateness max | {median_spread([h['max_s'] * 1000 for h in hold if h['max_s'] is not None], ' ms', 0)} |",
        f"| probes on time / expected | {sum(h['on_time'] for h in hold)} / {sum(h['expected'] for h in hold)} "
        f"({sum(h['missed'] for h in hold)} missed) |",
        f"| startup to /healthz | {median_spread([h['startup_s'] for h in hold], ' s', 1)} |",
        "",
        f"Largest count sustained at a {STEP_INTERVAL_S:g} s interval (a fresh service per count, {ROUNDS} rounds each; "
        f"a count holds while p99 lateness ≤ {HOLD_P99_S:g} s and no probe is missed, i.e. none arrives more than "
        f"{LATE_CAP_S:g} s late): **{figures['sustained'] or 'none'}{' (the largest tried)' if figures['capped'] else ''}** "
        f"monitors, {figures['sustained'] / STEP_INTERVAL_S:.0f} probes/s.",
        "",
        "| monitors | probes/s | on time / expected | missed | p50 | p99 | max | CPU | peak RSS | held |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in figures["steps"]:
        rows.append(
            f"| {s['monitors']} | {s['monitors'] / s['interval_s']:.0f} | {s['on_time']} / {s['expected']} | {s['missed']} | "
            f"{_ms(s['p50_s'])} | {_ms(s['p99_s'])} | {_ms(s['max_s'])} | {s['cpu_share'] * 100:.0f} % | "
            f"{s['peak_rss_mib']:.0f} MiB | {'yes' if held(s) else 'no'} |"
        )
    leaked = any(w["secrets_in_logs"] for w in hold + figures["steps"])
    rows += [
        "",
        f"APScheduler's own log over all windows: {sum(w['scheduler_missed_runs'] for w in hold + figures['steps'])} "
        f"runs dropped as missed, {sum(w['scheduler_skipped_busy'] for w in hold + figures['steps'])} skipped because "
        f"the previous probe still ran. Secrets in the service's log: {'FOUND' if leaked else 'none'}.",
        "",
        f"Machine: {machine_description()}. The bench's servers and the service share it.",
    ]
    return "\n".join(rows)


def main() -> int:
    figures = asyncio.run(measure())
    write_section("scale", report(figures), figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
