from __future__ import annotations

import traceback

from aiohttp import web

from checks.model import Status
from checks.obs.error_disclosure import CHECK
from tests.checks.faults import broken_server
from tests.conftest import make_target, run_one

USERS = {"alice": {"token": "tok_alice_0000000000"}}
CONFIG = {"users": USERS, "private_routes": [{"route": "POST /api/chat", "body": {"message": "hi"}}]}


def app(*, debug: bool) -> web.Application:
    @web.middleware
    async def errors(request: web.Request, handler):
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            response = web.json_response({"error": exc.reason}, status=exc.status)
        except Exception:
            text = traceback.format_exc() if debug else '{"error": "internal error"}'
            response = web.Response(status=500, text=text)
        return response

    async def strip_banner(request: web.Request, response: web.StreamResponse) -> None:
        response.headers["Server"] = "Python/3.11 aiohttp/3.9.5" if debug else "acme"

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def chat(request: web.Request) -> web.Response:
        body = await request.json()  # raises on malformed JSON
        return web.json_response({"reply": body["message"]})

    app = web.Application(middlewares=[errors])
    app.on_response_prepare.append(strip_banner)
    app.router.add_get("/health", health)
    app.router.add_post("/api/chat", chat)
    return app


async def test_pass_with_plain_errors(serve):
    result = await run_one(CHECK, make_target(await serve(app(debug=False)), **CONFIG))
    assert result.status is Status.PASS, [f.message for f in result.findings]
    assert result.requests == 5  # the health route, unknown route, unknown API route, wrong method, malformed body


async def test_fail_on_trace_and_banner(serve):
    result = await run_one(CHECK, make_target(await serve(app(debug=True)), **CONFIG))
    assert result.status is Status.FAIL
    chat = next(f for f in result.findings if f.resource == "POST /api/chat")
    assert "Python stack trace" in chat.message
    banner = next(f for f in result.findings if f.resource.startswith("server:"))
    assert banner.evidence["value"] == "Python/3.11 aiohttp/3.9.5"


async def test_error_when_connections_reset():
    async with broken_server("reset") as base:
        result = await run_one(CHECK, make_target(base, **CONFIG))
    assert result.status is Status.ERROR


# -- issue 13, class 5: version banners count on any response the run has seen ---------------


def quiet_errors_loud_health(header: str, value: str) -> web.Application:
    """Error answers are clean; only the 200 health route carries the banner."""

    @web.middleware
    async def errors(request: web.Request, handler):
        try:
            return await handler(request)
        except web.HTTPException as exc:
            return web.json_response({"error": exc.reason}, status=exc.status)

    async def plain_server(request: web.Request, response: web.StreamResponse) -> None:
        response.headers["Server"] = "acme"

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"ok": True}, headers={header: value})

    app = web.Application(middlewares=[errors])
    app.on_response_prepare.append(plain_server)
    app.router.add_get("/health", health)
    return app


async def test_a_versioned_banner_on_a_200_health_route_fails(serve):
    result = await run_one(CHECK, make_target(await serve(quiet_errors_loud_health("X-Powered-By", "Express 4.17.1"))))
    assert result.status is Status.FAIL, result.summary
    banner = next(f for f in result.findings if f.resource == "x-powered-by: Express 4.17.1")
    assert banner.evidence["seen_on"].startswith("GET ") and banner.evidence["seen_on"].endswith("/health (200)")


async def test_a_rails_request_duration_in_x_runtime_is_not_a_banner(serve):
    result = await run_one(CHECK, make_target(await serve(quiet_errors_loud_health("X-Runtime", "0.012345"))))
    assert result.status is Status.PASS, result.summary


async def test_banners_seen_by_other_checks_of_the_run_count(serve):
    from checks.check import check
    from checks.model import Outcome, Severity
    from checks.runner import run_checks

    base = await serve(quiet_errors_loud_health("X-AspNet-Version", "4.0.30319"))

    @check(id="t.other", title="other", severity=Severity.LOW, passes_when="-", why="-", breaks="-", remediation="-")
    async def other(target, ctx):
        await ctx.http.request("GET", "/health")
        return Outcome.passed("read the health route")

    # No health route configured for this check itself: only the other check's answer shows it.
    report = await run_checks(make_target(base, health_routes=[], pages=[]), [CHECK, other])
    disclosure = report.results[0]
    assert disclosure.status is Status.FAIL, disclosure.summary
    assert any(f.resource == "x-aspnet-version: 4.0.30319" for f in disclosure.findings)
