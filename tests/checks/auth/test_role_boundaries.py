from __future__ import annotations

from aiohttp import web

from checks.auth.role_boundaries import CHECK
from checks.model import Status
from tests.checks.faults import broken_server
from tests.conftest import make_target, run_one

USERS = {
    "alice": {"token": "tok_alice_0000000000", "tenant": "acme", "role": "buyer"},
    "bob": {"token": "tok_bob_000000000000", "tenant": "globex", "role": "seller"},
    "root": {"token": "tok_root_00000000000", "tenant": "acme", "role": "admin"},
}
ROUTES = [{"route": "GET /admin/users", "roles": ["admin"]}, "GET /api/me"]


def app(*, enforce: bool, status: int = 403) -> web.Application:
    roles = {f"Bearer {u['token']}": u["role"] for u in USERS.values()}
    app = web.Application()

    async def admin(request: web.Request) -> web.Response:
        role = roles.get(request.headers.get("Authorization", ""))
        if role is None:
            return web.json_response({"error": "unauthorized"}, status=401)
        if enforce and role != "admin":
            return web.json_response({"error": "forbidden"}, status=status)
        return web.json_response({"users": ["alice@acme.test", "bob@globex.test"]})

    app.router.add_get("/admin/users", admin)
    return app


async def test_pass_when_non_admins_get_403(serve):
    result = await run_one(CHECK, make_target(await serve(app(enforce=True)), users=USERS, private_routes=ROUTES))
    assert result.status is Status.PASS, result.summary
    assert result.requests == 2  # alice and bob; root has the role


async def test_fail_names_who_reached_what(serve):
    result = await run_one(CHECK, make_target(await serve(app(enforce=False)), users=USERS, private_routes=ROUTES))
    assert result.status is Status.FAIL
    assert {f.message.split(" ")[0] for f in result.findings if "reached" in f.message} == {"alice", "bob"}
    assert result.findings[0].evidence["status"] == 200


async def test_warn_when_answer_is_neither_access_nor_rejection(serve):
    result = await run_one(CHECK, make_target(await serve(app(enforce=True, status=500)), users=USERS, private_routes=ROUTES))
    assert result.status is Status.WARN


async def test_error_when_unreachable():
    async with broken_server("garbage") as base:
        result = await run_one(CHECK, make_target(base, users=USERS, private_routes=ROUTES))
    assert result.status is Status.ERROR


async def test_skipped_without_role_limited_routes():
    result = await run_one(CHECK, make_target("http://127.0.0.1:9", users=USERS, private_routes=["GET /api/me"]))
    assert result.status is Status.SKIPPED
    assert "roles" in result.summary
