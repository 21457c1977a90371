"""Owned objects without pasted ids: discovered in the owner's list, created fresh, or named
in a write's body; each user its own tenant when no tenant is given."""

from __future__ import annotations

import secrets

from checks.auth.role_boundaries import CHECK as role_boundaries
from checks.auth.tenant_isolation import CHECK as tenant_isolation
from checks.model import Status
from checks.owned import first_id
from tests.checks.test_sessions import users
from tests.conftest import make_target, run_one
from tests.onboard.notes_app import NotesApp


def discover(**extra) -> dict:
    return {
        "route": "GET /api/notes/{id}",
        "owner": "alice",
        "discover": "GET /api/notes",
        "methods": ["GET", "PUT"],
        **extra,
    }


def create() -> dict:
    return {
        "route": "GET /api/notes/{id}",
        "owner": "alice",
        "create": "POST /api/notes",
        "body": {"title": "fresh"},
        "methods": ["GET", "PUT", "DELETE"],
    }


PROFILE = {
    "route": "PUT /api/profile",
    "owner": "alice",
    "body": {"username": "{owner}", "bio": "changed by {user}"},
    "read": "GET /api/profile",
}


def with_identity() -> dict:
    named = users()
    named["alice"]["identity"] = "alice"
    return named


async def test_discovered_object_passes_when_isolated(serve):
    notes = NotesApp(isolated=True)
    result = await run_one(
        tenant_isolation,
        make_target(await serve(notes.build()), users=users(), objects=[discover()]),
    )
    assert result.status is Status.PASS, result.summary
    assert any("n_alice" in f.resource for f in result.findings)  # the id found in alice's list


async def test_discovered_object_fails_when_bob_reads_it(serve):
    notes = NotesApp(isolated=False)
    result = await run_one(
        tenant_isolation,
        make_target(
            await serve(notes.build()), users=users(), objects=[discover(id_path="$.data[0].id")]
        ),
    )
    assert result.status is Status.FAIL
    assert any(
        "bob (another user) read alice's object n_alice" in f.message for f in result.findings
    )


async def test_discovery_of_an_empty_list_is_an_error_that_says_so(serve):
    notes = NotesApp(isolated=True)
    notes.notes.clear()
    result = await run_one(
        tenant_isolation,
        make_target(await serve(notes.build()), users=users(), objects=[discover()]),
    )
    assert result.status is Status.ERROR
    assert "no id was found" in result.summary and "The list is empty" in result.summary


async def test_created_object_is_fresh_and_destructive_probes_use_it(serve):
    notes = NotesApp(isolated=False)
    before = set(notes.notes)
    result = await run_one(
        tenant_isolation, make_target(await serve(notes.build()), users=users(), objects=[create()])
    )
    assert result.status is Status.FAIL
    assert "n_alice" in notes.notes  # the seeded note was never touched
    assert any("was allowed to DELETE alice's object" in f.message for f in result.findings)
    created = [f.resource for f in result.findings if f.resource.startswith("DELETE")]
    assert created and all(r.split("/")[-1] not in before for r in created)


async def test_created_object_passes_when_isolated(serve):
    notes = NotesApp(isolated=True)
    result = await run_one(
        tenant_isolation, make_target(await serve(notes.build()), users=users(), objects=[create()])
    )
    assert result.status is Status.PASS, result.summary
    assert (
        len([n for n in notes.notes.values() if n["owner"] == "alice"]) == 2
    )  # seeded + created, still there


async def test_body_addressed_object_fails_when_another_user_edits_by_name(serve):
    notes = NotesApp(isolated=False)
    result = await run_one(
        tenant_isolation,
        make_target(await serve(notes.build()), users=with_identity(), objects=[PROFILE]),
    )
    assert result.status is Status.FAIL
    assert any(
        f.message.startswith("bob (another user) changed alice's object by naming alice")
        for f in result.findings
    )
    assert notes.profiles["alice"]["bio"] == "changed by bob"


async def test_body_addressed_object_passes_when_the_app_uses_the_caller(serve):
    notes = NotesApp(isolated=True)
    result = await run_one(
        tenant_isolation,
        make_target(await serve(notes.build()), users=with_identity(), objects=[PROFILE]),
    )
    assert result.status is Status.PASS, result.summary
    assert notes.profiles["alice"]["bio"] == "alice's bio"
    assert notes.profiles["bob"]["bio"] == "changed by bob"  # bob only ever edited himself


async def test_body_addressed_owner_name_comes_from_the_login_username(serve):
    notes = NotesApp(isolated=False)
    body = {"username": "{owner}", "bio": "changed by {user}"}
    # Without identity: the login's username (alice@example.com), which this app does not know.
    result = await run_one(
        tenant_isolation,
        make_target(await serve(notes.build()), users=users(), objects=[PROFILE | {"body": body}]),
    )
    assert result.status is Status.PASS  # 404 "No such user" for alice@example.com: nothing changed
    assert any("was refused with 404" in f.message for f in result.findings)


async def test_role_boundaries_fill_placeholders_from_a_created_object(serve):
    notes = NotesApp(isolated=True)
    target = make_target(
        await serve(notes.build()),
        users=users()
        | {
            "admin": {"token": "-".join(("static", "admin", secrets.token_hex(4))), "role": "admin"}
        },
        objects=[create()],
        private_routes=[{"route": "DELETE /api/notes/{id}", "roles": ["admin"]}],
    )
    result = await run_one(role_boundaries, target)
    # alice owns the fresh note, and the app lets her delete it (no role rule): reached. Then
    # the note is gone, so bob's 404 proves nothing and is not counted as a rejection (class 10).
    messages = [f.message for f in result.findings]
    assert any(m.startswith("alice (role user") and "reached DELETE" in m for m in messages), messages
    assert any(m.startswith("bob (role user") and "no longer exists" in m for m in messages), messages
    assert not any("rejected with 404" in m for m in messages)
    assert "n_alice" in notes.notes  # only the created note was ever addressed


def test_first_id_reads_usual_shapes():
    assert first_id([{"id": 7}]) == "7"
    assert first_id({"data": [{"uuid": "u-1"}]}) == "u-1"
    assert first_id({"conversations": [{"id": "c_1"}], "tenant": "acme"}) == "c_1"
    assert first_id({"id": "x-1", "title": "made"}) == "x-1"
    assert first_id({"items": [{"note_id": "n9"}]}) == "n9"
    assert first_id({"data": []}) is None
    assert first_id({"a": {"b": [{"id": 3}]}}, "$.a.b[0].id") == "3"


async def test_public_objects_probe_writes_only(serve):
    notes = NotesApp(isolated=False)
    public = discover(public=True)
    target = make_target(await serve(notes.build()), users=users(), objects=[public])
    result = await run_one(tenant_isolation, target)
    assert result.status is Status.FAIL  # bob's PUT went through
    assert not any(
        f.message.startswith("bob (another user) read") for f in result.findings
    )  # reads are allowed
    assert any("was allowed to PUT alice's object n_alice" in f.message for f in result.findings)


async def test_create_is_refused_on_a_safe_target(serve):
    notes = NotesApp(isolated=True)
    before = dict(notes.notes)
    result = await run_one(
        tenant_isolation,
        make_target(await serve(notes.build()), users=users(), objects=[create()], safe=True),
    )
    assert result.status is Status.ERROR
    assert (
        "objects[].create (POST /api/notes) is a write and the target is safe/production"
        in result.summary
    )
    assert notes.notes == before  # nothing was created
