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


# -- issue 13, classes 1 and 2: the body follows the route; a rejected body proves nothing ----

FORM_RULES = [{"route": "POST /token", "max_per_minute": 5, "body": {"username": "alice", "password": "wrong"}, "content_type": "form"}]


def oauth2_form_login(*, limit: int | None) -> web.Application:
    """An OAuth2 password-flow token route: it reads a form and answers like FastAPI."""
    seen: list[int] = []

    async def token(request: web.Request) -> web.Response:
        if request.content_type != "application/x-www-form-urlencoded":
            detail = [{"loc": ["body", "username"], "msg": "field required", "type": "value_error.missing"}]
            return web.json_response({"detail": detail}, status=422)
        form = await request.post()
        if "username" not in form:
            return web.json_response({"detail": [{"loc": ["body", "username"], "msg": "field required"}]}, status=422)
        seen.append(1)
        if limit is not None and len(seen) > limit:
            return web.json_response({"detail": "Too many attempts"}, status=429, headers={"Retry-After": "60"})
        return web.json_response({"detail": "Incorrect username or password"}, status=400)

    app = web.Application()
    app.router.add_post("/token", token)
    return app


async def test_a_limited_form_login_passes_when_sent_as_a_form(serve):
    base = await serve(oauth2_form_login(limit=5))
    result = await run_one(CHECK, make_target(base, rate_limits=FORM_RULES))
    assert result.status is Status.PASS, result.summary
    assert result.findings[0].evidence["statuses"] == {"400": 5, "429": 1}


async def test_an_unlimited_form_login_fails_its_400s_are_failed_logins_not_bad_bodies(serve):
    base = await serve(oauth2_form_login(limit=None))
    result = await run_one(CHECK, make_target(base, rate_limits=FORM_RULES))
    assert result.status is Status.FAIL, result.summary


async def test_a_burst_the_app_rejects_as_invalid_is_an_error_that_names_the_fix(serve):
    base = await serve(oauth2_form_login(limit=5))
    json_rules = [{**FORM_RULES[0], "content_type": None}]
    result = await run_one(CHECK, make_target(base, rate_limits=json_rules))
    assert result.status is Status.ERROR
    assert "the app rejects this body: 422 body.username: field required; fix `body`" in result.summary
    assert "content_type: form" in result.summary
