from __future__ import annotations

from aiohttp import web

from checks.model import Status
from checks.obs.health import CHECK
from tests.conftest import make_target, run_one


def app_answering(status: int) -> web.Application:
    app = web.Application()

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"ok": status == 200}, status=status)

    app.router.add_get("/health", health)
    return app


async def test_pass_when_health_answers_200(serve):
    base = await serve(app_answering(200))
    result = await run_one(CHECK, make_target(base))
    assert result.status is Status.PASS
    assert result.requests == 1


async def test_fail_when_health_answers_503(serve):
    base = await serve(app_answering(503))
    result = await run_one(CHECK, make_target(base))
    assert result.status is Status.FAIL
    assert result.findings[0].evidence["status"] == 503


async def test_error_when_nothing_listens():
    result = await run_one(CHECK, make_target("http://127.0.0.1:9"))
    assert result.status is Status.ERROR
    assert "could not connect" in result.findings[0].message


async def test_skipped_without_health_routes(serve):
    base = await serve(app_answering(200))
    result = await run_one(CHECK, make_target(base, health_routes=[]))
    assert result.status is Status.SKIPPED
    assert "health_routes" in result.summary


async def test_a_health_route_behind_a_trailing_slash_redirect_passes(serve):
    # issue 13, class 14: /health answered 307 to /health/ and was failed as "not 2xx"
    app = web.Application()

    async def add_slash(request: web.Request) -> web.Response:
        raise web.HTTPTemporaryRedirect("/health/")

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app.router.add_get("/health", add_slash)
    app.router.add_get("/health/", health)
    result = await run_one(CHECK, make_target(await serve(app)))
    assert result.status is Status.PASS, result.summary
    assert result.requests == 2
