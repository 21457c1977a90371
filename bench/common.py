"""What every benchmark shares: repeats, medians and spreads, the machine, section output.

A benchmark is a script `bench/<name>.py` with a `main()` that measures, then calls
:func:`write_section` with a Markdown section and the raw figures. `python -m bench` runs each
in its own process (so memory figures are the benchmark's own) and stitches the sections into
BENCHMARKS.md.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import httpx
from aiohttp import web

__all__ = [
    "wait_healthy",
    "free_port",
    "serve_app",
    "OUT",
    "REPO",
    "machine_description",
    "median_spread",
    "percentile",
    "repeats",
    "write_section",
]

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "out"


def repeats(default: int = 3) -> int:
    """How many times to repeat each measurement: BENCH_REPEATS, else ``default``."""
    return max(1, int(os.environ.get("BENCH_REPEATS", default)))


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]


def median_spread(values: Sequence[float], unit: str = "", digits: int = 2) -> str:
    """``median (min–max)``: the spread is what several runs on a shared machine really show."""
    if not values:
        return "n/a"
    med = statistics.median(values)
    if len(values) == 1:
        return f"{med:.{digits}f}{unit}"
    return f"{med:.{digits}f}{unit} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def machine_description() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB RAM"
                break
    except OSError:
        pass
    commit = ""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        pass
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory}, Python {platform.python_version()} on "
        f"{platform.system()} {platform.release()}; commit {commit or 'unknown'}; "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )


def write_section(name: str, markdown: str, figures: dict) -> Path:
    """Write bench/out/<name>.md and .json, and print the Markdown."""
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name}.json").write_text(json.dumps(figures, indent=2, default=str), encoding="utf-8")
    path = OUT / f"{name}.md"
    path.write_text(markdown.rstrip() + "\n", encoding="utf-8")
    print(markdown)
    return path


async def wait_healthy(
    client: httpx.AsyncClient, base: str, process: subprocess.Popen[bytes], *, within_s: float = 120
) -> None:
    """Wait until a `launchready serve` subprocess answers GET /healthz, or stop the benchmark."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"launchready serve exited with {process.returncode}")
        try:
            if (await client.get(f"{base}/healthz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise SystemExit(f"launchready serve did not answer /healthz within {within_s:g} s")


def free_port() -> int:
    """A loopback port free right now, for a subprocess that must be told its port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def serve_app(app: web.Application) -> tuple[web.AppRunner, str]:
    """Serve ``app`` on a loopback port chosen by the OS; the runner (to clean up) and base URL."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"
