from __future__ import annotations

from aiohttp import web

from checks.model import Status
from checks.obs.correlation_id import CHECK
from tests.conftest import make_target, run_one


def app_with(header: str | None, *, on_404: bool = True) -> web.Application:
    @web.middleware
    async def request_id(request: web.Request, handler):
        try:
            response = await handler(request)
        except web.HTTPNotFound:
            response = web.json_response({"error": "not found"}, status=404)
            if not on_404:
                return response
        if header:
            response.headers[header] = "req-123"
        return response

    async def ok(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application(middlewares=[request_id])
    app.router.add_get("/health", ok)
    app.router.add_get("/", ok)
    return app


async def test_pass_names_the_header(serve):
    base = await serve(app_with("X-Request-Id"))
    result = await run_one(CHECK, make_target(base, public_routes=["GET /", "GET /health"]))
    assert result.status is Status.PASS
    assert "x-request-id" in result.summary
    assert result.requests == 3


async def test_traceparent_counts(serve):
    base = await serve(app_with("traceparent"))
    result = await run_one(CHECK, make_target(base))
    assert result.status is Status.PASS


async def test_fail_lists_responses_without_one(serve):
    base = await serve(app_with(None))
    result = await run_one(CHECK, make_target(base, public_routes=["GET /"]))
    assert result.status is Status.FAIL
    assert [f.resource for f in result.findings][:2] == ["GET /health", "GET /"]
    assert "3 of 3" in result.summary


async def test_fail_when_only_errors_lack_it(serve):
    base = await serve(app_with("X-Request-Id", on_404=False))
    result = await run_one(CHECK, make_target(base))
    assert result.status is Status.FAIL
    assert [f.resource for f in result.findings if "without" in f.message][0].endswith("(a 404)")


async def test_error_when_nothing_listens():
    result = await run_one(CHECK, make_target("http://127.0.0.1:9"))
    assert result.status is Status.ERROR
    assert "could not connect" in result.summary
