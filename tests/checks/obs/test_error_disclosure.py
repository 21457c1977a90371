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
    assert result.requests == 4  # unknown route, unknown API route, wrong method, malformed body


async def test_fail_on_trace_and_banner(serve):
    result = await run_one(CHECK, make_target(await serve(app(debug=True)), **CONFIG))
    assert result.status is Status.FAIL
    chat = next(f for f in result.findings if f.resource == "POST /api/chat")
    assert "Python stack trace" in chat.message
    assert any(d.startswith("version banner: server: Python/3.11") for d in chat.evidence["disclosures"])


async def test_error_when_connections_reset():
    async with broken_server("reset") as base:
        result = await run_one(CHECK, make_target(base, **CONFIG))
    assert result.status is Status.ERROR
