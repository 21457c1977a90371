from __future__ import annotations

import pytest
from aiohttp import web
from pydantic import ValidationError

from checks.auth.tenant_isolation import CHECK, planned_requests
from checks.model import Status
from tests.checks.faults import broken_server
from tests.conftest import make_target, run_one

USERS = {
    "alice": {"token": "tok_alice_0000000000", "tenant": "acme"},
    "bob": {"token": "tok_bob_000000000000", "tenant": "globex"},
}
WRITES = web.AppKey("writes", list)


def app(*, isolated: bool, soft_errors: bool = False) -> web.Application:
    """Conversations per tenant; ``isolated`` answers 404 across tenants, ``soft_errors``
    answers 200 with an error inside (which must not count as a leak)."""
    tenants = {"Bearer tok_alice_0000000000": "acme", "Bearer tok_bob_000000000000": "globex"}
    store = {"c_1": {"id": "c_1", "tenant": "acme", "title": "Q3 pricing", "messages": ["hello", "secret plan"]}}
    app = web.Application()
    writes: list[str] = []

    async def get(request: web.Request) -> web.Response:
        tenant = tenants.get(request.headers.get("Authorization", ""))
        item = store.get(request.match_info["id"])
        if tenant is None:
            return web.json_response({"error": "unauthorized"}, status=401)
        if item is None or (isolated and item["tenant"] != tenant):
            if soft_errors:
                return web.json_response({"ok": False, "error": "not found"})
            return web.json_response({"error": "not found"}, status=404)
        return web.json_response(item)

    async def patch(request: web.Request) -> web.Response:
        tenant = tenants.get(request.headers.get("Authorization", ""))
        item = store[request.match_info["id"]]
        if tenant is None or (isolated and item["tenant"] != tenant):
            return web.json_response({"error": "not found"}, status=404)
        writes.append(tenant)
        item.update(await request.json())
        return web.json_response(item)

    app.router.add_get("/api/conversations/{id}", get)
    app.router.add_patch("/api/conversations/{id}", patch)
    app[WRITES] = writes
    return app


def target(base: str, **extra):
    obj = {"route": "GET /api/conversations/{id}", "id": "c_1", "owner": "alice", "methods": ["GET", "PATCH"]}
    return make_target(base, users=USERS, objects=[obj], **extra)


async def test_pass_when_other_tenants_get_404(serve):
    server = app(isolated=True)
    result = await run_one(CHECK, target(await serve(server)))
    assert result.status is Status.PASS, result.summary
    # owner read, bob + no token reads, bob + no token PATCH, owner re-read
    assert result.requests == planned_requests(target("http://x")) == 6
    assert server[WRITES] == []


async def test_pass_when_errors_come_inside_a_200(serve):
    result = await run_one(CHECK, target(await serve(app(isolated=True, soft_errors=True))))
    assert result.status is Status.PASS, result.summary


async def test_fail_when_bob_reads_and_writes_alices_object(serve):
    server = app(isolated=False)
    result = await run_one(CHECK, target(await serve(server)))
    assert result.status is Status.FAIL
    messages = [f.message for f in result.findings]
    assert any(m.startswith("bob (tenant globex) read alice's object c_1") for m in messages)
    assert any("bob (tenant globex) was allowed to PATCH" in m for m in messages)
    assert server[WRITES] == ["globex"]
    # evidence never carries a whole token
    assert "tok_alice_0000000000" not in str([f.to_dict() for f in result.findings])


async def test_safe_target_sends_no_writes(serve):
    server = app(isolated=False)
    result = await run_one(CHECK, target(await serve(server), safe=True))
    assert result.status is Status.FAIL
    assert result.requests == 3
    assert server[WRITES] == []


async def test_error_when_the_owner_cannot_read(serve):
    bad = {"route": "GET /api/conversations/{id}", "id": "c_404", "owner": "alice"}
    result = await run_one(CHECK, make_target(await serve(app(isolated=True)), users=USERS, objects=[bad]))
    assert result.status is Status.ERROR
    assert "could not read" in result.summary


async def test_error_when_connections_reset():
    async with broken_server("reset") as base:
        result = await run_one(CHECK, target(base))
    assert result.status is Status.ERROR
    assert "broke the connection" in result.summary or "could not connect" in result.summary


async def test_error_on_timeout():
    async with broken_server("hang") as base:
        result = await run_one(CHECK, target(base, request_timeout="300ms"))
    assert result.status is Status.ERROR
    assert "0.3s" in result.summary


async def test_skipped_without_objects(serve):
    result = await run_one(CHECK, make_target("http://127.0.0.1:9", users=USERS))
    assert result.status is Status.SKIPPED
    assert "objects" in result.summary


def support_app() -> web.Application:
    """Alice's conversation, readable by its tenant and by a support role of another tenant
    (by design), and by nobody else; routed by ``{conversation_id}``, not ``{id}``."""
    tenants = {"Bearer tok_alice_0000000000": "acme", "Bearer tok_bob_000000000000": "globex", "Bearer tok_sam_000000000000": "*"}
    item = {"id": "c_1", "tenant": "acme", "title": "Q3 pricing"}
    app = web.Application()

    async def get(request: web.Request) -> web.Response:
        tenant = tenants.get(request.headers.get("Authorization", ""))
        if tenant is None:
            return web.json_response({"error": "unauthorized"}, status=401)
        if request.match_info["conversation_id"] != "c_1" or tenant not in ("acme", "*"):
            return web.json_response({"error": "not found"}, status=404)
        return web.json_response(item)

    app.router.add_get("/api/conversations/{conversation_id}", get)
    return app


SUPPORT_USERS = USERS | {"sam": {"token": "tok_sam_000000000000", "tenant": "helpdesk", "role": "support"}}
SUPPORT_OBJECT = {"route": "GET /api/conversations/{conversation_id}", "id": "c_1", "owner": "alice"}


async def test_a_declared_cross_tenant_role_is_not_a_leak(serve):
    base = await serve(support_app())
    declared = await run_one(CHECK, make_target(base, users=SUPPORT_USERS, objects=[SUPPORT_OBJECT], cross_tenant_roles=["support"]))
    assert declared.status is Status.PASS, declared.summary
    assert not any("sam" in f.message for f in declared.findings)
    undeclared = await run_one(CHECK, make_target(base, users=SUPPORT_USERS, objects=[SUPPORT_OBJECT]))
    assert undeclared.status is Status.FAIL
    assert [f.message.split(" ")[0] for f in undeclared.findings if "read alice" in f.message] == ["sam"]


def test_cross_tenant_roles_must_be_roles_of_users():
    with pytest.raises(ValidationError, match=r'cross_tenant_roles: "Support" is not the role of any user .*did you mean "support"\?'):
        make_target("http://127.0.0.1:9", users=SUPPORT_USERS, cross_tenant_roles=["Support"])


def test_an_object_route_takes_one_placeholder_of_any_name():
    two = {"route": "GET /orgs/{org}/items/{item}", "id": "1", "owner": "alice"}
    with pytest.raises(ValidationError, match=r"has 2 placeholders \(org, item\)"):
        make_target("http://127.0.0.1:9", users=USERS, objects=[two])


async def test_delete_is_sent_across_tenants_only_to_disposable_objects(serve):
    obj = {"route": "GET /api/conversations/{id}", "id": "c_1", "owner": "alice", "methods": ["GET", "DELETE"]}
    base = await serve(app(isolated=True))
    shared = await run_one(CHECK, make_target(base, users=USERS, objects=[obj]))
    assert shared.status is Status.PASS
    assert not any("DELETE" in f.resource for f in shared.findings)
    write_only = await run_one(CHECK, make_target(base, users=USERS, objects=[obj | {"methods": ["DELETE"], "disposable": True}]))
    assert write_only.status is Status.SKIPPED
    assert "lacks GET" in write_only.summary
