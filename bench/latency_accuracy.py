"""How close perf.latency_p95's reported p95 is to a delay a loopback server injects.

    python -m bench.latency_accuracy

A server sleeps a known delay on /slow and answers /fast at once; the check measures both in
one run (40 samples, two at a time, after 3 warm-ups). /fast is the machine's own cost per
request (client and server share one process and CPU), so the error is reported twice: raw
(p95 minus the delay) and over that baseline (p95 of /slow minus p95 of /fast, minus the delay).
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from bench.common import machine_description, median_spread, repeats, serve_app, write_section
from checks.perf.latency_p95 import CHECK
from checks.runner import run_checks
from checks.target import Target

DELAYS_MS = (50, 100, 200)


async def measure(delay_ms: int) -> list[dict[str, float]]:
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(delay_ms / 1000)
        return web.json_response({"ok": True})

    async def fast(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_get("/slow", slow)
    app.router.add_get("/fast", fast)
    runner, base = await serve_app(app)
    latency = {"routes": ["GET /slow", "GET /fast"], "p95_ms": 10_000, "samples": 40, "warmup": 3, "concurrency": 8, "load": "1s"}
    target = Target.model_validate({"base_url": base, "latency": latency})
    rows = []
    try:
        for _ in range(repeats(5)):
            report = await run_checks(target, [CHECK])
            slow_ev, fast_ev = (f.evidence for f in report.results[0].findings)
            rows.append(
                {
                    "p95": slow_ev["alone"]["p95_ms"],
                    "baseline_p95": fast_ev["alone"]["p95_ms"],
                    "p95_under_load": slow_ev["under_load"]["p95_ms"],
                }
            )
    finally:
        await runner.cleanup()
    return rows


def main() -> int:
    figures = {delay: asyncio.run(measure(delay)) for delay in DELAYS_MS}
    lines = [
        "## perf.latency_p95: accuracy against an injected delay",
        "",
        "`python -m bench.latency_accuracy` — 40 samples two at a time after 3 warm-ups, then 1 s at",
        "8 concurrent; median (min–max) over the repeats. Baseline = p95 of a zero-delay route on the",
        "same server in the same run (the machine's own per-request cost).",
        "",
        "| injected | reported p95 | raw error | baseline p95 | error over baseline | p95 under load (8 concurrent) |",
        "|---|---|---|---|---|---|",
    ]
    for delay, rows in figures.items():
        p95 = [r["p95"] for r in rows]
        raw = [100 * (r["p95"] - delay) / delay for r in rows]
        base = [r["baseline_p95"] for r in rows]
        over = [100 * (r["p95"] - r["baseline_p95"] - delay) / delay for r in rows]
        load = [r["p95_under_load"] for r in rows]
        lines.append(
            f"| {delay} ms | {median_spread(p95, ' ms', 1)} | {median_spread(raw, '%', 1)} | "
            f"{median_spread(base, ' ms', 1)} | {median_spread(over, '%', 1)} | {median_spread(load, ' ms', 1)} |"
        )
    lines += ["", f"Machine: {machine_description()}"]
    write_section("latency_accuracy", "\n".join(lines), {str(k): v for k, v in figures.items()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
