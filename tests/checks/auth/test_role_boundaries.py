from __future__ import annotations

import pytest
from aiohttp import web
from pydantic import ValidationError

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
DELETES = web.AppKey("deletes", list)
ITEMS = web.AppKey("items", dict)
ITEM = {"route": "GET /api/items/{item_id}", "id": "i_1", "owner": "root"}
DELETE_ROUTE = {"route": "DELETE /api/items/{item_id}", "roles": ["admin"]}


def app(*, enforce: bool, status: int = 403, delete_anyway: bool = False, gone_is_null: bool = False) -> web.Application:
    """An admin list, a deletable item and a form-encoded invite, all for admins only.
    ``delete_anyway`` answers 404 to a non-admin DELETE but deletes first (a lying guard)."""
    roles = {f"Bearer {u['token']}": u["role"] for u in USERS.values()}
    items = {"i_1": {"id": "i_1", "name": "Margherita"}}
    deletes: list[str] = []
    app = web.Application()

    def role_of(request: web.Request) -> str | None:
        return roles.get(request.headers.get("Authorization", ""))

    def refuse(request: web.Request) -> web.Response | None:
        role = role_of(request)
        if role is None:
            return web.json_response({"error": "unauthorized"}, status=401)
        if enforce and role != "admin":
            return web.json_response({"error": "forbidden"}, status=status)
        return None

    async def admin(request: web.Request) -> web.Response:
        return refuse(request) or web.json_response({"users": ["alice@acme.test", "bob@globex.test"]})

    async def get_item(request: web.Request) -> web.Response:
        item = items.get(request.match_info["item_id"])
        if item is None and gone_is_null:
            return web.json_response(None)  # as Sequelize's findOne answers for a missing row
        return web.json_response(item) if item else web.json_response({"detail": "not found"}, status=404)

    async def delete_item(request: web.Request) -> web.Response:
        refused = refuse(request)
        if delete_anyway and role_of(request) != "admin":
            items.pop(request.match_info["item_id"], None)
            deletes.append(role_of(request) or "")
            return web.json_response({"detail": "not found"}, status=404)
        if refused:
            return refused
        if items.pop(request.match_info["item_id"], None) is None:
            return web.json_response({"detail": "not found"}, status=404)
        deletes.append(role_of(request) or "")
        return web.Response(status=204)

    async def invite(request: web.Request) -> web.Response:
        if not request.content_type.startswith("application/x-www-form-urlencoded"):
            return web.json_response({"detail": [{"loc": ["body", "email"], "msg": "field required"}]}, status=422)
        form = await request.post()
        if "email" not in form:
            return web.json_response({"detail": [{"loc": ["body", "email"], "msg": "field required"}]}, status=422)
        return refuse(request) or web.json_response({"invited": form["email"]}, status=201)

    app.router.add_get("/admin/users", admin)
    app.router.add_get("/api/items/{item_id}", get_item)
    app.router.add_delete("/api/items/{item_id}", delete_item)
    async def put_item(request: web.Request) -> web.Response:
        refused = refuse(request)
        if refused:
            return refused
        items[request.match_info["item_id"]] = await request.json()
        return web.json_response(items[request.match_info["item_id"]])

    app.router.add_post("/admin/invite", invite)
    app.router.add_put("/api/items/{item_id}", put_item)
    app[DELETES] = deletes
    app[ITEMS] = items
    return app


async def test_pass_when_non_admins_get_403(serve):
    result = await run_one(CHECK, make_target(await serve(app(enforce=True)), users=USERS, private_routes=ROUTES))
    assert result.status is Status.PASS, result.summary
    assert result.requests == 3  # root's control read, then alice and bob


async def test_fail_names_who_reached_what(serve):
    result = await run_one(CHECK, make_target(await serve(app(enforce=False)), users=USERS, private_routes=ROUTES))
    assert result.status is Status.FAIL
    assert {f.message.split(" ")[0] for f in result.findings if "reached" in f.message} == {"alice", "bob"}
    assert result.findings[0].evidence["status"] == 200


async def test_order_of_users_changes_nothing(serve):
    base = await serve(app(enforce=False))
    forward = await run_one(CHECK, make_target(base, users=USERS, private_routes=ROUTES))
    backward = await run_one(CHECK, make_target(base, users=dict(reversed(USERS.items())), private_routes=ROUTES))
    assert [f.message for f in forward.findings] == [f.message for f in backward.findings]
    assert (forward.status, forward.requests) == (backward.status, backward.requests)


def test_role_names_must_match_users_with_a_did_you_mean():
    routes = [{"route": "GET /admin/users", "roles": ["Admin"]}]
    with pytest.raises(ValidationError, match=r'private_routes\[0\].roles: "Admin" is not the role of any user \(admin, buyer, seller\); did you mean "admin"\?'):
        make_target("http://127.0.0.1:9", users=USERS, private_routes=routes)


def test_a_role_route_with_an_unfilled_placeholder_is_a_config_error():
    with pytest.raises(ValidationError, match=r"nothing fills \{item_id\} in DELETE /api/items/\{item_id\}"):
        make_target("http://127.0.0.1:9", users=USERS, private_routes=[DELETE_ROUTE])


async def test_delete_is_not_sent_to_a_shared_object(serve):
    server = app(enforce=False)
    result = await run_one(CHECK, make_target(await serve(server), users=USERS, private_routes=[DELETE_ROUTE], objects=[ITEM]))
    assert result.status is Status.SKIPPED
    assert "objects[0].disposable: true" in result.summary
    assert server[DELETES] == [] and result.requests == 0


async def test_delete_on_a_disposable_object_fills_any_placeholder(serve):
    server = app(enforce=True)
    objects = [ITEM | {"disposable": True}]
    result = await run_one(CHECK, make_target(await serve(server), users=USERS, private_routes=[DELETE_ROUTE], objects=objects))
    assert result.status is Status.PASS, result.summary
    assert server[DELETES] == []
    assert all("/api/items/i_1" in f.evidence["request"] for f in result.findings if f.evidence)


async def test_a_404_that_deleted_the_object_is_not_a_rejection(serve):
    server = app(enforce=True, delete_anyway=True)
    objects = [ITEM | {"disposable": True}]
    result = await run_one(CHECK, make_target(await serve(server), users=USERS, private_routes=[DELETE_ROUTE], objects=objects))
    assert result.status is Status.FAIL
    messages = [f.message for f in result.findings]
    assert "alice (role buyer; route needs admin) got 404, yet object i_1 is gone afterwards: the DELETE was applied." in messages
    # bob's turn comes after the object is gone: his 404 proves nothing and is not counted as rejected
    assert any(m.startswith("bob") and "no longer exists" in m for m in messages)
    assert not any("was rejected" in m for m in messages)


async def test_form_route_is_sent_as_a_form(serve):
    route = {"route": "POST /admin/invite", "roles": ["admin"], "body": {"email": "new@acme.test"}, "content_type": "form"}
    result = await run_one(CHECK, make_target(await serve(app(enforce=False)), users=USERS, private_routes=[route]))
    assert result.status is Status.FAIL
    assert all(f.evidence["status"] == 201 for f in result.findings if "reached" in f.message)


async def test_error_when_the_app_rejects_every_body(serve):
    route = {"route": "POST /admin/invite", "roles": ["admin"], "body": {"email": "new@acme.test"}}  # sent as JSON
    result = await run_one(CHECK, make_target(await serve(app(enforce=True)), users=USERS, private_routes=[route]))
    assert result.status is Status.ERROR
    assert "the app rejects this body: 422 body.email: field required; fix `private_routes[0].body`" in result.summary


async def test_error_when_even_the_admitted_user_is_turned_away(serve):
    routes = [{"route": "GET /admin/nope", "roles": ["admin"]}]
    result = await run_one(CHECK, make_target(await serve(app(enforce=True)), users=USERS, private_routes=routes))
    assert result.status is Status.ERROR
    assert "Even root (role admin), whom the route admits, got 404" in result.summary


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


def test_a_role_no_user_holds_is_allowed_unless_it_looks_like_a_typo():
    routes = [{"route": "GET /admin/users", "roles": ["admin", "owner"]}]
    assert make_target("http://127.0.0.1:9", users=USERS, private_routes=routes).private_routes[0].roles == ["admin", "owner"]


def soft_app() -> web.Application:
    """Refuses non-admins with a 200 and an error inside, as many Express apps do."""
    roles = {f"Bearer {u['token']}": u["role"] for u in USERS.values()}
    app = web.Application()

    async def admin(request: web.Request) -> web.Response:
        if roles.get(request.headers.get("Authorization", "")) != "admin":
            return web.json_response({"error": "Not Admin, try again"})
        return web.json_response([{"id": 1, "email": "alice@acme.test", "role": "buyer"}, {"id": 2, "email": "bob@globex.test", "role": "seller"}])

    app.router.add_get("/admin/users", admin)
    return app


async def test_an_error_inside_a_200_is_not_access(serve):
    result = await run_one(CHECK, make_target(await serve(soft_app()), users=USERS, private_routes=ROUTES))
    assert result.status is Status.PASS, result.summary
    assert all("not the view root gets" in f.message for f in result.findings)


async def test_a_write_that_gets_through_to_a_shared_object_is_undone(serve):
    server = app(enforce=False)
    route = {"route": "PUT /api/items/{item_id}", "roles": ["admin"], "body": {"id": "i_1", "name": "Hacked"}}
    result = await run_one(CHECK, make_target(await serve(server), users=USERS, private_routes=[route], objects=[ITEM]))
    assert result.status is Status.FAIL
    assert server[ITEMS]["i_1"] == {"id": "i_1", "name": "Margherita"}


async def test_an_object_answered_as_null_counts_as_gone(serve):
    server = app(enforce=True, delete_anyway=True, gone_is_null=True)
    objects = [ITEM | {"disposable": True}]
    result = await run_one(CHECK, make_target(await serve(server), users=USERS, private_routes=[DELETE_ROUTE], objects=objects))
    assert result.status is Status.FAIL
    assert any("yet object i_1 is gone afterwards" in f.message for f in result.findings)
