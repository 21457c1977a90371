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


def guarded_app(
    *, leak_no_token: bool = False, leak_bad_token: bool = False, status_for_missing: int = 401
) -> web.Application:
    """/api/me and /api/conversations/{id}; flags plant the classic mistakes."""

    async def guard(request: web.Request) -> web.Response | None:
        header = request.headers.get("Authorization", "")
        if not header:
            return (
                None
                if leak_no_token
                else web.json_response({"error": "unauthorized"}, status=status_for_missing)
            )
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
    assert {f.evidence["credential"] for f in result.findings if f.evidence.get("credential")} == {
        "unknown token"
    }


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
        if (
            request.content_type != "application/x-www-form-urlencoded"
            or "name" not in await request.post()
        ):
            return web.json_response(
                {"detail": [{"loc": ["body", "name"], "msg": "field required"}]}, status=422
            )
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
    result = await run_one(
        CHECK, make_target(base, users=USERS, private_routes=[{**PROFILE, "content_type": "form"}])
    )
    assert result.status is Status.PASS, result.summary
    assert result.requests == 3


async def test_probes_the_app_rejects_as_invalid_are_an_error_not_a_leak(serve):
    base = await serve(form_and_slash_app())
    result = await run_one(CHECK, make_target(base, users=USERS, private_routes=[PROFILE]))
    assert result.status is Status.ERROR, result.summary
    assert (
        "the app rejects this body: 422 body.name: field required; fix `private_routes[0].body`"
        in result.summary
    )


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
    result = await run_one(
        CHECK, make_target(await serve(app), users=USERS, private_routes=["GET /api/auth/me"])
    )
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
        assert (
            result.requests == 4
        )  # no token, malformed, a forged admin token, a forged buyer token
        assert [
            (f.evidence["credential"], "shaped like root's, role admin" in f.evidence["sent"])
            for f in result.findings
        ] == [("unknown token", True)]


def jwt_app(*, verify_signature: bool) -> tuple[web.Application, str]:
    """Accepts any JWT whose claims decode (the forged-signature mistake) unless it verifies
    the signature; rejects everything else."""
    header = base64.urlsafe_b64encode(b'{"alg":"HS256"}').decode().rstrip("=")
    good = f"{header}.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"

    async def me(request: web.Request) -> web.Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        parts = token.split(".")
        if (
            len(parts) != 3
            or (verify_signature and token != good)
            or parts[:2] != good.split(".")[:2]
        ):
            return web.json_response({"error": "unauthorized"}, status=401)
        return web.json_response({"sub": "1"})

    app = web.Application()
    app.router.add_get("/api/me", me)
    return app, good


async def test_an_accepted_forged_jwt_is_named_jwt_signature_not_verified(serve):
    app, good = jwt_app(verify_signature=False)
    base = await serve(app)
    result = await run_one(
        CHECK, make_target(base, users={"a": {"token": good}}, private_routes=["GET /api/me"])
    )
    assert result.status is Status.FAIL
    (finding,) = result.findings
    assert finding.message.startswith("JWT signature not verified: with Authorization: Bearer ")
    assert finding.message.endswith("GET /api/me answered 200 (expected 401 or 403).")
    assert good not in finding.message  # the token is shown redacted


async def test_a_verified_jwt_passes(serve):
    app, good = jwt_app(verify_signature=True)
    base = await serve(app)
    result = await run_one(
        CHECK, make_target(base, users={"a": {"token": good}}, private_routes=["GET /api/me"])
    )
    assert result.status is Status.PASS, result.summary


async def test_an_opaque_token_accepted_keeps_the_plain_sentence(serve):
    base = await serve(guarded_app(leak_bad_token=True))
    result = await run_one(CHECK, target(base))
    unknown = [
        f
        for f in result.findings
        if "tok_" in f.message or "unknown" in str(f.evidence.get("credential"))
    ]
    assert unknown and all(f.message.startswith("With Authorization: Bearer ") for f in unknown)


# -- issue 13: writes never spend another check's object (classes 10/18), a 2xx error body is
# a refusal, bad credentials go where auth.in says ------------------------------------------


def items_app(
    *, lookup_first: bool = False, trusts_any_token: bool = True
) -> tuple[web.Application, dict[str, dict], list[str]]:
    """DELETE/PUT /api/items/{id} behind a guard that refuses no token with 401 and (the bug)
    accepts any Bearer token; ``lookup_first`` answers 404 for a missing item before the guard.
    POST /api/items makes one for the caller."""
    items: dict[str, dict] = {"7": {"id": 7, "name": "shared dish"}}
    touched: list[str] = []

    def refused(request: web.Request) -> web.Response | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer ") or not (trusts_any_token or header == f"Bearer {GOOD}"):
            return web.json_response({"detail": "Not authenticated"}, status=401)
        return None

    async def one(request: web.Request) -> web.Response:
        key = request.match_info["id"]
        if lookup_first and key not in items:
            return web.json_response({"detail": "not found"}, status=404)
        if answer := refused(request):
            return answer
        if key not in items:
            return web.json_response({"detail": "not found"}, status=404)
        touched.append(f"{request.method} {key}")
        if request.method == "DELETE":
            del items[key]
            return web.Response(status=204)
        items[key].update(await request.json())
        return web.json_response(items[key])

    async def create(request: web.Request) -> web.Response:
        if answer := refused(request):
            return answer
        key = str(100 + len(items))
        items[key] = {"id": int(key), **(await request.json())}
        return web.json_response(items[key], status=201)

    app = web.Application()
    app.router.add_route("*", "/api/items/{id}", one)
    app.router.add_post("/api/items", create)
    return app, items, touched


ITEM = {
    "route": "GET /api/items/{id}",
    "id": "7",
    "owner": "alice",
    "methods": ["GET", "DELETE"],
    "disposable": True,
}
WRITES = ["DELETE /api/items/{id}", {"route": "PUT /api/items/{id}", "body": {"name": "probe"}}]


async def test_a_forged_delete_goes_to_a_missing_id_and_the_disposable_object_survives(serve):
    app, items, touched = items_app()
    result = await run_one(
        CHECK, make_target(await serve(app), users=USERS, private_routes=WRITES, objects=[ITEM])
    )
    assert result.status is Status.FAIL, result.summary
    leaks = [f for f in result.findings if f.evidence.get("credential")]
    assert {f.evidence["credential"] for f in leaks} == {"malformed token", "unknown token"}
    assert all("got past the guard: it answered 404" in f.message for f in leaks)
    assert (
        items["7"] == {"id": 7, "name": "shared dish"} and touched == []
    )  # role_boundaries' object


async def test_a_guarded_write_on_a_missing_id_passes(serve):
    app, items, touched = items_app(trusts_any_token=False)
    result = await run_one(
        CHECK, make_target(await serve(app), users=USERS, private_routes=WRITES, objects=[ITEM])
    )
    assert result.status is Status.PASS, result.summary
    assert "7" in items and touched == []


async def test_an_app_that_looks_up_before_the_guard_is_not_judged_and_the_note_names_create(serve):
    app, items, touched = items_app(lookup_first=True)
    result = await run_one(
        CHECK, make_target(await serve(app), users=USERS, private_routes=WRITES[:1], objects=[ITEM])
    )
    assert result.status is Status.SKIPPED, result.summary
    assert (
        "even without credentials the app answers 404 there; set targets.default.objects[0].create"
        in result.summary
    )
    assert "7" in items and touched == []


async def test_with_create_the_check_deletes_only_its_own_object(serve):
    app, items, touched = items_app(lookup_first=True)
    own = {
        **ITEM,
        "id": None,
        "create": "POST /api/items",
        "body": {"name": "made by the run"},
        "disposable": False,
    }
    result = await run_one(
        CHECK, make_target(await serve(app), users=USERS, private_routes=WRITES[:1], objects=[own])
    )
    assert result.status is Status.FAIL, result.summary
    # 101 is the run's shared object (made before the checks run), 102 the check's own: only
    # its own is deleted; the shared dish 7 and the shared 101 are never sent anything.
    assert touched == ["DELETE 102"]
    assert "7" in items and "101" in items and "102" not in items


def error_200_app(*, leak: bool = False) -> web.Application:
    """vuln-node's style: a missing or bad token gets 200 and {"error": ...} (``leak``: the list)."""

    async def users(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") == f"Bearer {GOOD}" or leak:
            return web.json_response([{"id": i, "email": f"user{i}@acme.test"} for i in range(5)])
        if not request.headers.get("Authorization"):
            return web.json_response({"error": "missing Token in header"})
        return web.json_response({"error": "jwt malformed"})

    app = web.Application()
    app.router.add_get("/v1/admin/users/", users)
    return app


async def test_a_200_carrying_an_error_is_a_refusal(serve):
    base = await serve(error_200_app())
    result = await run_one(
        CHECK, make_target(base, users=USERS, private_routes=["GET /v1/admin/users/"])
    )
    assert result.status is Status.PASS, result.summary
    assert result.requests == 4  # three probes and one read of alice's view to compare with
    assert any("an error inside a 2xx" in f.message for f in result.findings)


async def test_a_200_carrying_the_admitted_view_is_still_a_leak(serve):
    base = await serve(error_200_app(leak=True))
    result = await run_one(
        CHECK, make_target(base, users=USERS, private_routes=["GET /v1/admin/users/"])
    )
    assert result.status is Status.FAIL, result.summary
    assert result.requests == 3  # a list is no error message: no comparison needed


def keyed_app(where: str, *, leak: bool = False) -> tuple[web.Application, list[tuple[str, str]]]:
    """Reads an API key from a query parameter or a cookie named api_key; records what came."""
    seen: list[tuple[str, str]] = []

    async def me(request: web.Request) -> web.Response:
        key = request.query.get("api_key") if where == "query" else request.cookies.get("api_key")
        seen.append((key or "", request.headers.get("Authorization", "")))
        if key == GOOD or (key and leak):
            return web.json_response({"email": "alice@acme.test"})
        return web.json_response({"error": "unauthorized"}, status=401)

    app = web.Application()
    app.router.add_get("/api/me", me)
    return app, seen


async def test_bad_credentials_go_where_auth_in_says(serve):
    for where in ("query", "cookie"):
        app, seen = keyed_app(where)
        auth = {"header": "api_key", "scheme": "", "in": where}
        result = await run_one(
            CHECK,
            make_target(await serve(app), users=USERS, auth=auth, private_routes=["GET /api/me"]),
        )
        assert result.status is Status.PASS, (where, result.summary)
        keys = [key for key, _ in seen]
        assert keys[0] == "" and keys[1] == malformed_credential(
            make_target("http://x.test", auth=auth)
        )
        assert keys[2] and keys[2] != GOOD and all(not header for _, header in seen)


async def test_an_app_taking_any_query_key_fails(serve):
    # an opaque key in the query: an accepted forgery keeps the plain sentence (no JWT named)
    app, _ = keyed_app("query", leak=True)
    auth = {"header": "api_key", "scheme": "", "in": "query"}
    result = await run_one(
        CHECK, make_target(await serve(app), users=USERS, auth=auth, private_routes=["GET /api/me"])
    )
    assert result.status is Status.FAIL
    assert {f.evidence["credential"] for f in result.findings if f.evidence.get("credential")} == {
        "malformed token",
        "unknown token",
    }
    assert not any(f.message.startswith("JWT signature not verified") for f in result.findings)
    assert any(
        f.evidence["sent"].startswith("query api_key=")
        for f in result.findings
        if f.evidence.get("sent")
    )


async def test_the_malformed_header_carries_the_scheme_once(serve):
    seen: list[str] = []

    async def me(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization", ""))
        return web.json_response({"error": "unauthorized"}, status=401)

    app = web.Application()
    app.router.add_get("/api/me", me)
    target_ = make_target(await serve(app), users=USERS, private_routes=["GET /api/me"])
    result = await run_one(CHECK, target_)
    assert result.status is Status.PASS, result.summary
    assert seen[1] == malformed_credential(target_) == "Bearer %%not-a-token%%"
    assert seen[2].startswith("Bearer ") and not seen[2].startswith("Bearer Bearer")
