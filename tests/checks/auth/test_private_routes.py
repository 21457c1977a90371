from __future__ import annotations

import base64
import json
import secrets

from aiohttp import web

from checks.auth.private_routes import CHECK, bad_token, malformed_credential
from checks.model import Status
from tests.conftest import make_target, run_one

GOOD = "tok_alice_0123456789abcdef"
USERS = {"alice": {"token": GOOD, "tenant": "acme", "role": "buyer"}}


def guarded_app(*, leak_no_token: bool = False, leak_bad_token: bool = False, status_for_missing: int = 401) -> web.Application:
    """/api/me and /api/conversations/{id}; flags plant the classic mistakes."""

    async def guard(request: web.Request) -> web.Response | None:
        header = request.headers.get("Authorization", "")
        if not header:
            return None if leak_no_token else web.json_response({"error": "unauthorized"}, status=status_for_missing)
        scheme, _, token = header.partition(" ")
        if scheme != "Bearer" or not token.replace("_", "").isalnum():
            return web.json_response({"error": "malformed"}, status=401)
        if token != GOOD and not leak_bad_token:
            return web.json_response({"error": "bad token"}, status=401)
        return None

    async def me(request: web.Request) -> web.Response:
        rejected = await guard(request)
        return rejected or web.json_response({"email": "alice@acme.test", "token": GOOD})

    async def conversation(request: web.Request) -> web.Response:
        rejected = await guard(request)
        return rejected or web.json_response({"id": request.match_info["id"]})

    app = web.Application()
    app.router.add_get("/api/me", me)
    app.router.add_get("/api/conversations/{id}", conversation)
    return app


def target(base: str, **fields):
    config = {
        "users": USERS,
        "private_routes": ["GET /api/me", "GET /api/conversations/{id}"],
        "objects": [{"route": "GET /api/conversations/{id}", "id": "c_1", "owner": "alice"}],
    }
    config.update(fields)
    return make_target(base, **config)


async def test_pass_when_every_probe_gets_401(serve):
    base = await serve(guarded_app())
    result = await run_one(CHECK, target(base))
    assert result.status is Status.PASS, result.summary
    assert result.requests == 6  # 3 probes x 2 routes


async def test_fail_when_a_route_answers_without_a_token(serve):
    base = await serve(guarded_app(leak_no_token=True))
    result = await run_one(CHECK, target(base))
    assert result.status is Status.FAIL
    leaks = [f for f in result.findings if f.evidence.get("credential")]
    assert {f.evidence["credential"] for f in leaks} == {"no token"}
    assert {f.resource for f in leaks} == {"GET /api/me", "GET /api/conversations/{id}"}
    assert leaks[0].evidence["status"] == 200
    # the leaked body held the real token: the evidence shows only its redaction
    dumped = json.dumps([f.to_dict() for f in result.findings])
    assert GOOD not in dumped
    assert "tok_" in dumped and "sha256:" in dumped


async def test_fail_when_an_unknown_token_is_accepted(serve):
    base = await serve(guarded_app(leak_bad_token=True))
    result = await run_one(CHECK, target(base))
    assert result.status is Status.FAIL
    assert {f.evidence["credential"] for f in result.findings if f.evidence.get("credential")} == {"unknown token"}


async def test_warn_when_the_route_does_not_exist(serve):
    base = await serve(guarded_app())
    result = await run_one(CHECK, target(base, private_routes=["GET /api/nope"], objects=[]))
    assert result.status is Status.WARN
    assert "not found" in result.findings[0].message


async def test_placeholder_route_without_object_is_skipped_with_a_note(serve):
    base = await serve(guarded_app())
    result = await run_one(CHECK, target(base, objects=[]))
    assert result.status is Status.PASS
    assert result.requests == 3
    assert any("objects" in f.message for f in result.findings)


async def test_error_when_nothing_listens():
    result = await run_one(CHECK, target("http://127.0.0.1:9"))
    assert result.status is Status.ERROR
    assert "could not connect" in result.summary


async def test_skipped_without_private_routes(serve):
    base = await serve(guarded_app())
    result = await run_one(CHECK, make_target(base))
    assert result.status is Status.SKIPPED
    assert "private_routes" in result.summary


def test_bad_token_keeps_the_shape_of_real_tokens():
    plain = make_target("http://x.test", users=USERS)
    token = bad_token(plain)
    assert token != GOOD and len(token) == len(GOOD) and token.startswith("tok_")
    header = base64.urlsafe_b64encode(b'{"alg":"HS256"}').decode().rstrip("=")
    jwt = f"{header}.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
    jwt_target = make_target("http://x.test", users={"a": {"token": jwt}})
    forged = bad_token(jwt_target)
    assert forged.split(".")[:2] == jwt.split(".")[:2] and forged != jwt
    assert malformed_credential(plain).startswith("Bearer ")


# -- issue 13: body encoding (class 1), rejected bodies (class 2), redirects (class 14) ------


def form_and_slash_app() -> web.Application:
    """A form route that parses its input before the auth guard (as a FastAPI Form() route
    does), a router that adds trailing slashes with 307, and a page that sends strangers to
    the login page on the same origin."""

    def authorised(request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {GOOD}"

    async def profile(request: web.Request) -> web.Response:
        if request.content_type != "application/x-www-form-urlencoded" or "name" not in await request.post():
            return web.json_response({"detail": [{"loc": ["body", "name"], "msg": "field required"}]}, status=422)
        if not authorised(request):
            return web.json_response({"detail": "Not authenticated"}, status=401)
        return web.json_response({"saved": True})

    async def add_slash(request: web.Request) -> web.Response:
        raise web.HTTPTemporaryRedirect(request.path + "/")

    async def items(request: web.Request) -> web.Response:
        if not authorised(request):
            return web.json_response({"detail": "Not authenticated"}, status=401)
        return web.json_response({"items": ["secret plans"]})

    async def dashboard(request: web.Request) -> web.Response:
        raise web.HTTPFound("/login?next=/dashboard")

    async def login(request: web.Request) -> web.Response:
        return web.Response(text="<form>sign in</form>", content_type="text/html")

    app = web.Application()
    app.router.add_post("/api/profile", profile)
    app.router.add_get("/api/items", add_slash)
    app.router.add_get("/api/items/", items)
    app.router.add_get("/dashboard", dashboard)
    app.router.add_get("/login", login)
    return app


PROFILE = {"route": "POST /api/profile", "body": {"name": "Alice"}}


async def test_a_form_route_is_probed_with_a_form_body(serve):
    base = await serve(form_and_slash_app())
    result = await run_one(CHECK, make_target(base, users=USERS, private_routes=[{**PROFILE, "content_type": "form"}]))
    assert result.status is Status.PASS, result.summary
    assert result.requests == 3


async def test_probes_the_app_rejects_as_invalid_are_an_error_not_a_leak(serve):
    base = await serve(form_and_slash_app())
    result = await run_one(CHECK, make_target(base, users=USERS, private_routes=[PROFILE]))
    assert result.status is Status.ERROR, result.summary
    assert "the app rejects this body: 422 body.name: field required; fix `private_routes[0].body`" in result.summary


async def test_a_trailing_slash_redirect_is_followed_before_judging(serve):
    base = await serve(form_and_slash_app())
    result = await run_one(CHECK, make_target(base, users=USERS, private_routes=["GET /api/items"]))
    assert result.status is Status.PASS, result.summary
    assert result.requests == 6  # each probe: the 307 and the guarded answer


async def test_a_same_origin_redirect_to_the_login_page_is_a_rejection(serve):
    base = await serve(form_and_slash_app())
    result = await run_one(CHECK, make_target(base, users=USERS, private_routes=["GET /dashboard"]))
    assert result.status is Status.PASS, result.summary


async def test_a_trailing_slash_redirect_on_an_auth_route_that_leaks_still_fails(serve):
    # "auth" in the route's own path is no sign of a login page
    app = web.Application()

    async def add_slash(request: web.Request) -> web.Response:
        raise web.HTTPTemporaryRedirect(request.path + "/")

    async def me(request: web.Request) -> web.Response:
        return web.json_response({"email": "alice@acme.test"})

    app.router.add_get("/api/auth/me", add_slash)
    app.router.add_get("/api/auth/me/", me)
    result = await run_one(CHECK, make_target(await serve(app), users=USERS, private_routes=["GET /api/auth/me"]))
    assert result.status is Status.FAIL, result.summary


def _jwt(claims: dict) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256'})}.{part(claims)}.{secrets.token_urlsafe(32)}"


def claims_app(issued: set[str]) -> web.Application:
    """Trusts an admin's claims without checking the signature (the bug), verifies the rest."""
    app = web.Application()

    async def me(request: web.Request) -> web.Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        try:
            claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
        except (ValueError, IndexError):
            return web.json_response({"error": "unauthorized"}, status=401)
        if token in issued or claims.get("role") == "admin":
            return web.json_response({"id": claims.get("sub")})
        return web.json_response({"error": "unauthorized"}, status=401)

    app.router.add_get("/api/me", me)
    return app


async def test_forged_tokens_come_from_each_role_so_order_changes_nothing(serve):
    users = {
        "alice": {"token": _jwt({"sub": "alice", "role": "buyer"}), "role": "buyer"},
        "root": {"token": _jwt({"sub": "root", "role": "admin"}), "role": "admin"},
    }
    base = await serve(claims_app({u["token"] for u in users.values()}))
    results = [
        await run_one(CHECK, make_target(base, users=order, private_routes=["GET /api/me"]))
        for order in (users, dict(reversed(users.items())))
    ]
    for result in results:
        assert result.status is Status.FAIL
        assert result.requests == 4  # no token, malformed, a forged admin token, a forged buyer token
        assert [(f.evidence["credential"], "shaped like root's, role admin" in f.evidence["sent"]) for f in result.findings] == [("unknown token", True)]


def jwt_app(*, verify_signature: bool) -> tuple[web.Application, str]:
    """Accepts any JWT whose claims decode (the forged-signature mistake) unless it verifies
    the signature; rejects everything else."""
    header = base64.urlsafe_b64encode(b'{"alg":"HS256"}').decode().rstrip("=")
    good = f"{header}.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"

    async def me(request: web.Request) -> web.Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        parts = token.split(".")
        if len(parts) != 3 or (verify_signature and token != good) or parts[:2] != good.split(".")[:2]:
            return web.json_response({"error": "unauthorized"}, status=401)
        return web.json_response({"sub": "1"})

    app = web.Application()
    app.router.add_get("/api/me", me)
    return app, good


async def test_an_accepted_forged_jwt_is_named_jwt_signature_not_verified(serve):
    app, good = jwt_app(verify_signature=False)
    base = await serve(app)
    result = await run_one(CHECK, make_target(base, users={"a": {"token": good}}, private_routes=["GET /api/me"]))
    assert result.status is Status.FAIL
    (finding,) = result.findings
    assert finding.message.startswith("JWT signature not verified: with Authorization: Bearer ")
    assert finding.message.endswith("GET /api/me answered 200 (expected 401 or 403).")
    assert good not in finding.message  # the token is shown redacted


async def test_a_verified_jwt_passes(serve):
    app, good = jwt_app(verify_signature=True)
    base = await serve(app)
    result = await run_one(CHECK, make_target(base, users={"a": {"token": good}}, private_routes=["GET /api/me"]))
    assert result.status is Status.PASS, result.summary


async def test_an_opaque_token_accepted_keeps_the_plain_sentence(serve):
    base = await serve(guarded_app(leak_bad_token=True))
    result = await run_one(CHECK, target(base))
    unknown = [f for f in result.findings if "tok_" in f.message or "unknown" in str(f.evidence.get("credential"))]
    assert unknown and all(f.message.startswith("With Authorization: Bearer ") for f in unknown)
