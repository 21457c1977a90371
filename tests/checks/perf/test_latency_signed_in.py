"""Private latency routes are measured signed in; a route that only refuses stops early."""

from __future__ import annotations

from checks.model import Status
from checks.perf.latency_p95 import CHECK, REFUSALS_BEFORE_STOP, signed_in_as
from tests.checks.test_sessions import users
from tests.conftest import make_target, run_one
from tests.onboard.notes_app import PASSWORDS, NotesApp

FAST = {"samples": 5, "warmup": 1, "concurrency": 2, "load": "200ms"}


async def test_private_route_is_measured_as_a_user_who_may_call_it(serve):
    notes = NotesApp()
    target = make_target(
        await serve(notes.build()),
        users=users()
        | {
            "admin": {
                "login": {
                    "route": "POST /api/token",
                    "content_type": "form",
                    "body": {"username": "admin@example.com", "password": PASSWORDS["admin"]},
                },
                "role": "admin",
            }
        },
        private_routes=["GET /api/notes", {"route": "GET /api/admin/stats", "roles": ["admin"]}],
        latency={"routes": ["GET /api/notes", "GET /api/admin/stats"], **FAST},
        safe=True,
    )
    assert signed_in_as(target.latency.routes[0], target) == "alice"
    assert signed_in_as(target.latency.routes[1], target) == "admin"
    result = await run_one(CHECK, target)
    assert result.status is Status.PASS, result.summary
    assert all(set(f.evidence["statuses"]) == {"200"} for f in result.findings)
    assert sorted(notes.logins) == ["admin", "alice", "bob"]  # every user, once, at the run's start
    assert {notes.tokens[token] for token in notes.uses} == {"alice", "admin"}  # who measured


async def test_public_route_is_measured_without_a_token(serve):
    notes = NotesApp()
    target = make_target(
        await serve(notes.build()),
        users=users(),
        public_routes=["GET /api/health"],
        latency={"routes": ["GET /api/health"], **FAST},
        safe=True,
    )
    assert signed_in_as(target.latency.routes[0], target) is None
    result = await run_one(CHECK, target)
    assert result.status is Status.PASS
    assert notes.uses == {}  # no token was ever sent


async def test_only_refusals_stop_after_a_handful_with_the_key_to_set(serve):
    notes = NotesApp()
    target = make_target(
        await serve(notes.build()),
        latency={"routes": ["GET /api/notes"], "samples": 40, "warmup": 3},
        safe=True,
    )
    result = await run_one(CHECK, target)
    assert result.status is Status.ERROR
    assert "answered only 401/403" in result.summary and "without a token" in result.summary
    assert "targets.default.users" in result.summary
    assert result.requests <= REFUSALS_BEFORE_STOP + 1  # not 43


async def test_a_user_refused_everywhere_names_latency_as(serve):
    notes = NotesApp()
    target = make_target(
        await serve(notes.build()),
        users=users(),
        latency={"routes": ["GET /api/admin/stats"], "as": "bob", **FAST},
        safe=True,
    )
    result = await run_one(CHECK, target)
    assert result.status is Status.ERROR
    assert "as bob" in result.summary and "latency.as" in result.summary
