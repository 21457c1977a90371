"""Users who log in: OAuth2 password forms, JSON logins, cookie sessions, expiry, failures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web

from bot.config import ConfigError, parse_config
from checks.auth.tenant_isolation import CHECK as tenant_isolation
from checks.check import check
from checks.context import CheckContext
from checks.model import Finding, Outcome, Severity, Status
from checks.runner import run_checks
from checks.sessions import find_token, jwt_expiry
from checks.target import Target
from tests.conftest import make_target, run_one
from tests.onboard.notes_app import EMAILS, PASSWORDS, NotesApp


def login(name: str, **extra) -> dict:
    body = {"username": EMAILS[name], "password": PASSWORDS[name]}
    return {"login": {"route": "POST /api/token", "content_type": "form", "body": body, **extra}}


def users(**extra) -> dict:
    return {"alice": login("alice", **extra), "bob": login("bob", **extra)}


NOTE = {
    "route": "GET /api/notes/{id}",
    "id": "n_alice",
    "owner": "alice",
    "methods": ["GET", "PUT"],
}


async def test_oauth2_password_logins_carry_tenant_isolation(serve):
    notes = NotesApp(isolated=True)
    result = await run_one(
        tenant_isolation, make_target(await serve(notes.build()), users=users(), objects=[NOTE])
    )
    assert result.status is Status.PASS, result.summary
    assert sorted(notes.logins) == ["alice", "bob"]  # once each, shared by every request


async def test_logged_in_users_find_the_leak(serve):
    notes = NotesApp(isolated=False)
    result = await run_one(
        tenant_isolation, make_target(await serve(notes.build()), users=users(), objects=[NOTE])
    )
    assert result.status is Status.FAIL
    assert any(
        f.message.startswith("bob (another user) read alice's object n_alice")
        for f in result.findings
    )
    text = str([f.to_dict() for f in result.findings]) + result.summary
    assert not any(token in text for token in notes.tokens)  # tokens obtained are scrubbed
    assert not any(password in text for password in PASSWORDS.values())


async def test_a_wrong_password_is_an_error_naming_the_user_and_route(serve):
    notes = NotesApp()
    wrong = users()
    wrong["bob"]["login"]["body"]["password"] = "not-" + PASSWORDS["bob"]
    result = await run_one(
        tenant_isolation, make_target(await serve(notes.build()), users=wrong, objects=[NOTE])
    )
    assert result.status is Status.ERROR
    assert "User bob could not log in at POST /api/token: it answered 400" in result.summary
    assert notes.logins == ["alice"]


async def test_a_token_refused_mid_run_is_renewed_once(serve):
    # Each token works for one request, then the app answers 401 as if it had expired.
    notes = NotesApp(isolated=True, max_uses=1)
    result = await run_one(
        tenant_isolation, make_target(await serve(notes.build()), users=users(), objects=[NOTE])
    )
    assert result.status is Status.PASS, result.summary
    # alice's token ran out before her read-back, bob's before his PUT: each logged in again once
    assert notes.logins.count("alice") == 2 and notes.logins.count("bob") == 2


async def test_a_jwt_past_its_exp_is_renewed_before_it_is_sent(serve):
    notes = NotesApp(token_life=1800)
    now = [datetime.fromtimestamp(notes.now, UTC)]

    @check(
        id="test.as_alice",
        title="t",
        severity=Severity.LOW,
        passes_when="",
        why="",
        breaks="",
        remediation="",
        max_requests=20,
    )
    async def as_alice(target: Target, ctx: CheckContext) -> Outcome:
        """Two reads as alice with the run's clock moved past her token's exp in between."""
        first = await ctx.http.get("/api/notes", as_user="alice")
        now[0] += timedelta(hours=1)
        second = await ctx.http.get("/api/notes", as_user="alice")
        return Outcome.passed(
            "read twice", [Finding("x", "statuses", {"statuses": [first.status, second.status]})]
        )

    target = make_target(await serve(notes.build()), users={"alice": login("alice")})
    report = await run_checks(target, [as_alice], clock=lambda: now[0])
    assert report.results[0].status is Status.PASS
    assert report.results[0].findings[0].evidence["statuses"] == [200, 200]
    assert notes.logins == ["alice", "alice"]  # the second read logged in again first
    assert report.results[0].requests == 4  # both logins count toward the check's bound


async def test_cookie_sessions_are_kept_per_user(serve):
    notes = NotesApp(isolated=True, cookie_sessions=True)
    result = await run_one(
        tenant_isolation, make_target(await serve(notes.build()), users=users(), objects=[NOTE])
    )
    assert result.status is Status.PASS, result.summary
    by_cookie = {cookie for path, cookie in notes.seen_cookies if cookie}
    assert len(by_cookie) == 2  # alice's and bob's sessions, each sent only with its own user
    assert all(cookie.startswith("session=") for cookie in by_cookie)


async def test_json_login_with_a_jsonpath_to_the_token(serve):
    app = web.Application()
    issued = {"alice": "tok-alice-" + PASSWORDS["alice"][-6:] * 2}

    async def login_route(request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("user", {}).get("password") != PASSWORDS["alice"]:
            return web.json_response({"errors": ["bad"]}, status=422)
        return web.json_response({"user": {"email": EMAILS["alice"], "token": issued["alice"]}})

    async def me(request: web.Request) -> web.Response:
        ok = request.headers.get("Authorization") == "Token " + issued["alice"]
        return web.json_response({"me": "alice"}) if ok else web.json_response({}, status=401)

    app.router.add_post("/api/users/login", login_route)
    app.router.add_get("/api/user", me)
    target = make_target(
        await serve(app),
        auth={"header": "Authorization", "scheme": "Token"},
        users={
            "alice": {
                "login": {
                    "route": "POST /api/users/login",
                    "body": {"user": {"email": EMAILS["alice"], "password": PASSWORDS["alice"]}},
                    "token": "$.user.token",
                }
            }
        },
    )

    @check(
        id="test.me",
        title="t",
        severity=Severity.LOW,
        passes_when="",
        why="",
        breaks="",
        remediation="",
    )
    async def me_check(target: Target, ctx: CheckContext) -> Outcome:
        answer = await ctx.http.get("/api/user", as_user="alice")
        return Outcome.passed(f"status {answer.status} {answer.text}")

    report = await run_checks(target, [me_check])
    assert report.results[0].summary == 'status 200 {"me": "alice"}'


def test_passwords_must_come_from_the_environment():
    text = """
project: x
targets:
  staging:
    base_url: http://127.0.0.1:9
    users:
      alice: {login: {route: POST /token, body: {username: a@x.test, password: hunter2hunter2}}}
"""
    with pytest.raises(ConfigError) as caught:
        parse_config(text, env={})
    assert caught.value.errors == [
        "targets.staging.users.alice.login.body.password: write the password as ${VARIABLE} and export it; passwords never live in app.yaml"
    ]
    ok = parse_config(
        text.replace("hunter2hunter2", "'${ALICE_PASSWORD}'"),
        env={"ALICE_PASSWORD": "s3cret-value"},
    )
    assert ok.targets["staging"].users["alice"].login.body["password"] == "s3cret-value"


def test_a_user_needs_a_token_or_a_login():
    with pytest.raises(ConfigError) as caught:
        parse_config(
            "project: x\ntargets:\n  s:\n    base_url: http://127.0.0.1:9\n    users: {alice: {role: buyer}}\n",
            env={},
        )
    assert (
        "targets.s.users.alice" in caught.value.errors[0]
        and "token" in caught.value.errors[0]
        and "login" in caught.value.errors[0]
    )


def test_token_and_expiry_readers():
    assert find_token({"data": {"session": {"access_token": "abcdefgh123"}}}, None) == "abcdefgh123"
    assert find_token({"user": {"token": "t-123456789"}}, "$.user.token") == "t-123456789"
    assert find_token({"nothing": 1}, None) is None
    with pytest.raises(ValueError):
        find_token({}, "$[[[")
    assert jwt_expiry("a.eyJleHAiOiAxOTAwMDAwMDAwfQ.c") == datetime.fromtimestamp(
        1_900_000_000, UTC
    )
    assert jwt_expiry("not-a-jwt") is None


def test_nested_login_passwords_are_checked_and_scrubbed():
    text = "project: x\ntargets:\n  s:\n    base_url: http://127.0.0.1:9\n    users:\n      alice: {login: {route: POST /api/users/login, body: {user: {email: a@x.test, password: PASSWORD}}}}\n"
    with pytest.raises(ConfigError) as caught:
        parse_config(text.replace("PASSWORD", "hunter2hunter2"), env={})
    assert caught.value.errors[0].startswith(
        "targets.s.users.alice.login.body.password: write the password as ${VARIABLE}"
    )
    target = parse_config(
        text.replace("PASSWORD", "'${ALICE_PASSWORD}'"), env={"ALICE_PASSWORD": "nested-s3cret"}
    ).targets["s"]
    assert "nested-s3cret" in target.secret_values() and "a@x.test" not in target.secret_values()
    assert target.users["alice"].name_in_app == "a@x.test"


@pytest.mark.parametrize("location", ["header", "query", "cookie"])
async def test_api_keys_go_where_the_scheme_says(serve, location):
    key = "key-" + PASSWORDS["alice"]
    app = web.Application()

    async def things(request: web.Request) -> web.Response:
        sent = {
            "header": request.headers.get("X-Key"),
            "query": request.query.get("X-Key"),
            "cookie": request.cookies.get("X-Key"),
        }[location]
        return web.json_response({"ok": True}) if sent == key else web.json_response({}, status=401)

    app.router.add_get("/things", things)
    target = make_target(
        await serve(app),
        auth={"in": location, "header": "X-Key", "scheme": ""},
        users={"alice": {"token": key}},
    )

    @check(
        id="test.key",
        title="t",
        severity=Severity.LOW,
        passes_when="",
        why="",
        breaks="",
        remediation="",
    )
    async def key_check(target: Target, ctx: CheckContext) -> Outcome:
        signed = await ctx.http.get("/things", as_user="alice")
        anonymous = await ctx.http.get("/things")
        return Outcome.passed(f"{signed.status} {anonymous.status} {signed.url}")

    report = await run_checks(target, [key_check])
    summary = report.results[0].summary
    assert summary.startswith("200 401")
    assert key not in summary  # a key in the URL is scrubbed from the report
