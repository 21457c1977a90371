from __future__ import annotations

import json
import traceback

from aiohttp import web

from checks.api.input_validation import CHECK, payloads
from checks.model import Status
from tests.checks.faults import broken_server
from tests.conftest import make_target, run_one

USERS = {"alice": {"token": "tok_alice_0000000000", "role": "buyer"}}
ROUTES = [{"route": "POST /api/chat", "body": {"message": "hi"}}]


def app(mode: str) -> web.Application:
    """``strict``: a schema with limits; ``naive``: trusts the body (500 + trace on bad input,
    echoes whatever fields it got); ``lenient``: never crashes but accepts anything."""
    app = web.Application(client_max_size=4 * 1024 * 1024)

    async def chat(request: web.Request) -> web.Response:
        raw = await request.read()
        if mode == "naive":
            try:
                body = json.loads(raw)
                reply = {"reply": "you said " + body["message"]} | {k: v for k, v in body.items() if k != "message"}
                return web.json_response(reply)
            except Exception:
                return web.Response(status=500, text=traceback.format_exc())
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError):
            return web.json_response({"error": "invalid JSON"}, status=400)
        if mode == "lenient":
            return web.json_response({"reply": "ok"})
        if not isinstance(body, dict) or not isinstance(body.get("message"), str):
            return web.json_response({"error": "message must be a string"}, status=422)
        if len(body["message"]) > 4000:
            return web.json_response({"error": "message too long"}, status=413)
        return web.json_response({"reply": "you said " + body["message"]})

    app.router.add_post("/api/chat", chat)
    return app


def test_payloads_cover_the_battery():
    names = [p.name for p in payloads({"message": "hi"})]
    assert names == [
        "invalid JSON",
        "wrong types",
        "a JSON array instead of an object",
        "missing fields (an empty object)",
        "a 1 MiB string",
        "5000-level deep nesting",
        "privileged fields (mass assignment)",
    ]
    assert len(payloads({"message": "hi"})[4].content) > 1024 * 1024


async def test_pass_when_every_bad_body_gets_4xx(serve):
    result = await run_one(CHECK, make_target(await serve(app("strict")), users=USERS, private_routes=ROUTES))
    assert result.status is Status.PASS, result.summary
    assert result.requests == 7


async def test_fail_on_500_trace_and_mass_assignment(serve):
    result = await run_one(CHECK, make_target(await serve(app("naive")), users=USERS, private_routes=ROUTES))
    assert result.status is Status.FAIL
    messages = " ".join(f.message for f in result.findings)
    assert "Invalid json: answered 500 showing Python stack trace." in messages
    assert "echoed role, tenant, is_admin, owner as applied (mass assignment)" in messages


async def test_warn_when_bad_bodies_are_accepted(serve):
    result = await run_one(CHECK, make_target(await serve(app("lenient")), users=USERS, private_routes=ROUTES))
    assert result.status is Status.WARN


async def test_error_when_connections_reset():
    async with broken_server("reset") as base:
        result = await run_one(CHECK, make_target(base, users=USERS, private_routes=ROUTES))
    assert result.status is Status.ERROR
    assert "No probe got an answer" in result.summary


async def test_skipped_without_body_routes():
    result = await run_one(CHECK, make_target("http://127.0.0.1:9", users=USERS, private_routes=["GET /api/me"]))
    assert result.status is Status.SKIPPED
