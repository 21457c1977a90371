from __future__ import annotations

import asyncio

import pytest
from aiohttp import web

from checks.model import Status
from checks.perf.latency_p95 import CHECK, Percentiles, nearest_rank, planned_requests
from tests.checks.faults import broken_server
from tests.conftest import make_target, run_one

INJECTED_MS = 100


def app() -> web.Application:
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(INJECTED_MS / 1000)
        return web.json_response({"ok": True})

    async def fast(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def failing(request: web.Request) -> web.Response:
        return web.json_response({"error": "down"}, status=503)

    lock = asyncio.Lock()

    async def serialized(request: web.Request) -> web.Response:
        # One request at a time, like a single database connection: fine alone, slow under load.
        async with lock:
            await asyncio.sleep(0.06)
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_get("/serialized", serialized)
    app.router.add_get("/slow", slow)
    app.router.add_get("/fast", fast)
    app.router.add_get("/failing", failing)
    return app


def latency(routes: list[str], p95_ms: int, **extra) -> dict:
    return {"routes": routes, "p95_ms": p95_ms, "samples": 20, "warmup": 2, "concurrency": 4, "load": "500ms", **extra}


def test_nearest_rank():
    values = [float(v) for v in range(1, 21)]  # 1..20
    assert nearest_rank(values, 50) == 10
    assert nearest_rank(values, 95) == 19
    assert nearest_rank(values, 99) == 20
    assert nearest_rank([7.0], 95) == 7
    assert Percentiles.of([3.0, 1.0, 2.0]).as_dict()["max_ms"] == 3.0


async def test_reported_p95_is_within_10_percent_of_an_injected_delay(serve):
    """The route sleeps INJECTED_MS; /fast, on the same server in the same run, is the
    machine's own per-request cost (a few ms when idle, tens when the CPU is contended), so
    the p95 the check reports for /slow must be the injected delay plus that baseline,
    within 10%. A wrong measurement (another percentile, queueing time counted) misses on
    every attempt; an oversubscribed CPU that descheduled this process for a few hundred ms
    misses on one, hence up to three attempts."""
    target = make_target(await serve(app()), latency=latency(["GET /slow", "GET /fast"], 1000), safe=True)
    attempts = []
    for _ in range(3):
        result = await run_one(CHECK, target)
        assert result.status is Status.PASS, result.summary
        slow, fast = (f.evidence["alone"]["p95_ms"] for f in result.findings)
        attempts.append((slow, fast))
        assert slow >= INJECTED_MS * 0.99, f"p95 {slow} ms is below the injected {INJECTED_MS} ms"
        if abs((slow - fast) - INJECTED_MS) <= INJECTED_MS * 0.10:
            break
    else:
        raise AssertionError(f"(p95, baseline p95) in ms per attempt: {attempts}; injected {INJECTED_MS} ms")
    assert result.requests <= planned_requests(target)


async def test_load_phase_is_bounded_and_reported(serve):
    target = make_target(await serve(app()), latency=latency(["GET /fast"], 1000))
    result = await run_one(CHECK, target)
    assert result.status is Status.PASS
    assert result.findings[0].evidence["under_load"]["concurrency"] == 4
    assert result.requests <= planned_requests(target) == 2 + 20 + 4 * 50


async def test_fail_when_p95_exceeds_the_budget(serve):
    result = await run_one(CHECK, make_target(await serve(app()), latency=latency(["GET /fast", "GET /slow"], 50), safe=True))
    assert result.status is Status.FAIL
    assert result.findings[0].resource == "GET /slow"
    assert "budget 50 ms" in result.findings[0].message


async def test_warn_when_only_the_load_phase_is_over_budget(serve):
    # Alone (2 at a time) a request waits for at most one other: ~120 ms. Under 4 concurrent: ~240 ms.
    result = await run_one(CHECK, make_target(await serve(app()), latency=latency(["GET /serialized"], 180)))
    assert result.status is Status.WARN, result.findings[0].message
    assert "under load" in result.summary
    relaxed = make_target(await serve(app()), latency=latency(["GET /serialized"], 180, load_p95_ms=2000))
    assert (await run_one(CHECK, relaxed)).status is Status.PASS


async def test_safe_target_skips_the_load_phase(serve):
    target = make_target(await serve(app()), latency=latency(["GET /fast"], 500), safe=True)
    result = await run_one(CHECK, target)
    assert result.status is Status.PASS
    assert result.requests == 22
    assert result.findings[0].evidence["under_load"] == "skipped on a safe/production target"


async def test_model_route_is_not_measured(serve):
    target = make_target(await serve(app()), latency=latency(["POST /api/chat"], 500), chat={"route": "POST /api/chat"})
    result = await run_one(CHECK, target)
    assert result.status is Status.SKIPPED


async def test_error_when_the_route_only_fails(serve):
    result = await run_one(CHECK, make_target(await serve(app()), latency=latency(["GET /failing"], 500), safe=True))
    assert result.status is Status.ERROR
    assert "never answered 2xx" in result.summary


@pytest.mark.parametrize("kind", ["reset", "garbage"])
async def test_error_on_broken_targets(kind):
    async with broken_server(kind) as base:
        result = await run_one(CHECK, make_target(base, latency=latency(["GET /fast"], 500)))
    assert result.status is Status.ERROR
