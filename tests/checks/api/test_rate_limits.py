from __future__ import annotations

from aiohttp import web

from checks.api.rate_limits import CHECK, burst_size
from checks.model import Status
from checks.target import RateLimitRule
from tests.checks.faults import broken_server
from tests.conftest import make_target, run_one

RULES = [{"route": "POST /auth/login", "max_per_minute": 10, "body": {"email": "a@acme.test", "password": "x"}}]


def app(*, limit: int | None, headers: dict[str, str] | None = None, status: int = 200) -> web.Application:
    seen: list[int] = []
    app = web.Application()

    async def login(request: web.Request) -> web.Response:
        seen.append(1)
        if limit is not None and len(seen) > limit:
            return web.json_response({"error": "slow down"}, status=429, headers=headers or {})
        return web.json_response({"token": "t"}, status=status)

    app.router.add_post("/auth/login", login)
    return app


def test_burst_is_limit_plus_margin_never_over_200():
    assert burst_size(RateLimitRule.model_validate({"route": "GET /", "max_per_minute": 10})) == 12
    assert burst_size(RateLimitRule.model_validate({"route": "GET /", "max_per_minute": 60})) == 72
    assert burst_size(RateLimitRule.model_validate({"route": "GET /", "max_per_minute": 1000})) == 200


async def test_pass_with_429_and_retry_after(serve):
    base = await serve(app(limit=10, headers={"Retry-After": "60"}))
    result = await run_one(CHECK, make_target(base, rate_limits=RULES))
    assert result.status is Status.PASS, result.summary
    assert result.requests == 11
    assert result.findings[0].evidence["headers"] == {"retry-after": "60"}


async def test_warn_with_429_without_guidance(serve):
    result = await run_one(CHECK, make_target(await serve(app(limit=10)), rate_limits=RULES))
    assert result.status is Status.WARN


async def test_fail_without_429_stops_at_the_bound(serve):
    result = await run_one(CHECK, make_target(await serve(app(limit=None)), rate_limits=RULES))
    assert result.status is Status.FAIL
    assert result.requests == 12
    assert result.findings[0].evidence["statuses"] == {"200": 12}


async def test_error_when_route_never_accepts(serve):
    result = await run_one(CHECK, make_target(await serve(app(limit=None, status=404)), rate_limits=RULES))
    assert result.status is Status.ERROR


async def test_error_when_connections_reset():
    async with broken_server("reset") as base:
        result = await run_one(CHECK, make_target(base, rate_limits=RULES))
    assert result.status is Status.ERROR
    assert result.summary.startswith("POST /auth/login:")


async def test_skipped_on_safe_targets(serve):
    result = await run_one(CHECK, make_target("http://127.0.0.1:9", rate_limits=RULES, safe=True))
    assert result.status is Status.SKIPPED
    assert result.requests == 0
