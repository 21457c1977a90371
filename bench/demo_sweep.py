"""The demo sweep: every check against the bundled demo, flawed and hardened.

Figures: wall time of the run, requests sent, the sum of the checks' own durations divided by
the wall time (how much the runner's concurrency buys), and the process's peak memory. Each
repeat is a fresh process (`python -m bench.demo_sweep --once flawed`) so memory is its own.

    python -m bench.demo_sweep            # BENCH_REPEATS=3 by default
"""

from __future__ import annotations

import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Run as a script, Python puts bench/ first on the path, where bench/secrets.py would shadow the
# standard library's secrets module: put the repository there instead.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.common import REPO, median_spread, repeats, write_section  # noqa: E402


async def once(mode: str) -> dict:
    from bot.config import load_config
    from bot.demo import DemoTarget
    from bot.services import Services
    from bot.store import Store

    with tempfile.TemporaryDirectory(prefix="lr-bench-demo-") as tmp:
        workdir = Path(tmp)
        async with DemoTarget(hardened=mode == "hardened", workdir=workdir) as demo:
            config = load_config(demo.write_config())
            services = Services.open(config, store=Store.open(f"sqlite:///{workdir / 'bench.db'}"))
            try:
                started = time.perf_counter()
                report = await services.run(trigger="bench")
                wall = time.perf_counter() - started
            finally:
                services.close()
    durations = sum(r.duration_ms for r in report.results) / 1000
    return {
        "mode": mode,
        "wall_s": wall,
        "requests": report.requests,
        "checks": len(report.results),
        "check_seconds": durations,
        "concurrency": durations / wall if wall else 0.0,
        "verdict": str(report.verdict),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "slowest": sorted(((r.duration_ms, r.check_id) for r in report.results), reverse=True)[:3],
    }


def measure(mode: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "bench.demo_sweep", "--once", mode], cwd=REPO, capture_output=True, text=True, timeout=300, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--once":
        print(json.dumps(asyncio.run(once(sys.argv[2]))))
        return
    figures: dict[str, list[dict]] = {"flawed": [], "hardened": []}
    for _ in range(repeats()):
        for mode in figures:
            figures[mode].append(measure(mode))
    rows = []
    for mode, runs in figures.items():
        rows.append(
            f"| {mode} | {runs[0]['verdict']} | {runs[0]['checks']} "
            f"| {median_spread([r['wall_s'] for r in runs], ' s')} "
            f"| {median_spread([r['requests'] for r in runs], '', 0)} "
            f"| {median_spread([r['check_seconds'] for r in runs], ' s')} "
            f"| {median_spread([r['concurrency'] for r in runs], 'x', 1)} "
            f"| {median_spread([r['peak_rss_mib'] for r in runs], ' MiB', 0)} |"
        )
    slowest = ", ".join(f"{cid} {ms} ms" for ms, cid in figures["flawed"][0]["slowest"])
    markdown = "\n".join(
        [
            "## Demo sweep",
            "",
            "Every check against the bundled demo target (HTTPS, DNS zone, git repo and logs on loopback),",
            f"{repeats()} runs per mode, each in a fresh process. Reproduce: `python -m bench.demo_sweep`.",
            "",
            "| mode | verdict | checks | wall time | requests | sum of check durations | concurrency (sum / wall) | peak RSS |",
            "|---|---|---|---|---|---|---|---|",
            *rows,
            "",
            f"Slowest checks (flawed, first run): {slowest}. The whole `launchready demo` command adds the",
            "demo's own start-up (certificates, git history) and the handover to these figures.",
        ]
    )
    write_section("demo_sweep", markdown, figures)


if __name__ == "__main__":
    main()
