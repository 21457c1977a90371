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
                reply = {"reply": "you said " + body["message"]} | {
                    k: v for k, v in body.items() if k != "message"
                }
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
    result = await run_one(
        CHECK, make_target(await serve(app("strict")), users=USERS, private_routes=ROUTES)
    )
    assert result.status is Status.PASS, result.summary
    assert result.requests == 8  # the valid sample first, then 7 bad bodies


async def test_fail_on_500_trace_and_mass_assignment(serve):
    result = await run_one(
        CHECK, make_target(await serve(app("naive")), users=USERS, private_routes=ROUTES)
    )
    assert result.status is Status.FAIL
    messages = " ".join(f.message for f in result.findings)
    assert "Invalid JSON: answered 500 showing Python stack trace." in messages
    assert (
        "role, tenant, is_admin, admin, owner took the values we sent (mass assignment)" in messages
    )


async def test_warn_when_bad_bodies_are_accepted(serve):
    result = await run_one(
        CHECK, make_target(await serve(app("lenient")), users=USERS, private_routes=ROUTES)
    )
    assert result.status is Status.WARN


async def test_error_when_connections_reset():
    async with broken_server("reset") as base:
        result = await run_one(CHECK, make_target(base, users=USERS, private_routes=ROUTES))
    assert result.status is Status.ERROR
    assert "broke the connection" in result.summary


async def test_skipped_without_body_routes():
    result = await run_one(
        CHECK, make_target("http://127.0.0.1:9", users=USERS, private_routes=["GET /api/me"])
    )
    assert result.status is Status.SKIPPED


KITCHEN = {
    "cook": {"token": "tok_cook_00000000000", "tenant": "north", "role": "Customer"},
    "chef": {"token": "tok_chef_00000000000", "tenant": "north", "role": "Chef"},
}
PROFILE = {
    "route": "GET /api/profiles/{username}",
    "id": "cook",
    "owner": "cook",
    "methods": ["GET", "PATCH"],
}
STATE = web.AppKey("state", dict)


def profile_app(*, trusting: bool, strict: bool = False) -> web.Application:
    """A profile with a partial update. ``trusting`` applies any known field, including a role
    from this app's own role names (any other role value is a 500, as a real enum column does);
    otherwise only ``bio`` is writable, unknown keys are ignored and wrong types get 422."""
    state = {"username": "cook", "bio": "hello", "role": "Customer"}
    app = web.Application()

    async def get(request: web.Request) -> web.Response:
        return web.json_response(state)

    async def patch(request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except (ValueError, RecursionError):
            return web.json_response({"detail": "invalid JSON"}, status=400)
        if not isinstance(body, dict):
            return web.json_response({"detail": "expected an object"}, status=422)
        if strict and set(body) - {"bio"}:
            return web.json_response({"detail": "only bio is writable"}, status=422)
        if "bio" in body and not isinstance(body["bio"], str):
            return web.json_response({"detail": "bio must be a string"}, status=422)
        if len(body.get("bio", "")) > 500:
            return web.json_response({"detail": "bio too long"}, status=422)
        if trusting:
            if "role" in body and body["role"] not in ("Customer", "Chef"):
                return web.Response(status=500, text="invalid input value for enum role")
            state.update({k: v for k, v in body.items() if k in state})
        elif "bio" in body:
            state["bio"] = body["bio"]
        return web.json_response({})

    app.router.add_get("/api/profiles/{username}", get)
    app.router.add_patch("/api/profiles/{username}", patch)
    app[STATE] = state
    return app


async def test_mass_assignment_uses_the_configs_role_names_and_reads_back(serve):
    server = profile_app(trusting=True)
    result = await run_one(
        CHECK, make_target(await serve(server), users=KITCHEN, objects=[PROFILE])
    )
    assert result.status is Status.FAIL
    assert any(
        "role took the values we sent (mass assignment)" in f.message for f in result.findings
    )
    # the shared profile is put back as it was, and that is verified
    assert server[STATE] == {"username": "cook", "bio": "hello", "role": "Customer"}


async def test_partial_update_that_changes_nothing_is_correct(serve):
    server = profile_app(trusting=False)
    result = await run_one(
        CHECK, make_target(await serve(server), users=KITCHEN, objects=[PROFILE])
    )
    assert result.status is Status.PASS, [f.message for f in result.findings]
    messages = " ".join(f.message for f in result.findings)
    assert "empty partial update, which is correct" in messages
    assert server[STATE]["bio"] == "hello"


def form_app(*, broken: bool = False) -> web.Application:
    """An OAuth2-style form login: JSON gets 422, a form with both fields gets 401/200."""
    app = web.Application(client_max_size=4 * 1024 * 1024)

    async def token(request: web.Request) -> web.Response:
        if broken:
            return web.Response(status=500, text="database is down")
        if request.content_type != "application/x-www-form-urlencoded":
            return web.json_response(
                {"detail": [{"loc": ["body", "username"], "msg": "field required"}]}, status=422
            )
        form = await request.post()
        if not form.get("username") or not form.get("password") or len(form["username"]) > 200:
            return web.json_response({"detail": "username and password are required"}, status=422)
        return web.json_response({"detail": "wrong password"}, status=401)

    app.router.add_post("/token", token)
    return app


LOGIN = {"route": "POST /token", "body": {"username": "cook", "password": "not-the-password"}}


async def test_form_route_gets_form_bodies(serve):
    route = LOGIN | {"content_type": "form"}
    result = await run_one(
        CHECK, make_target(await serve(form_app()), users=KITCHEN, private_routes=[route])
    )
    assert result.status is Status.PASS, result.summary
    assert result.requests == 5  # the valid form, then 4 bad forms (JSON-only probes do not apply)


async def test_error_when_the_app_rejects_the_sample_body(serve):
    result = await run_one(
        CHECK, make_target(await serve(form_app()), users=KITCHEN, private_routes=[LOGIN])
    )
    assert result.status is Status.ERROR
    assert (
        "the app rejects this body: 422 body.username: field required; fix `private_routes[0].body`"
        in result.summary
    )
    assert result.requests == 1


async def test_a_route_broken_for_every_input_is_reported_once(serve):
    route = LOGIN | {"content_type": "form"}
    result = await run_one(
        CHECK,
        make_target(await serve(form_app(broken=True)), users=KITCHEN, private_routes=[route]),
    )
    assert result.status is Status.WARN
    assert len(result.findings) == 1
    assert "broken for every input" in result.findings[0].message


async def test_a_route_without_a_sample_body_is_not_sent_bodies(serve):
    result = await run_one(
        CHECK, make_target(await serve(form_app()), users=KITCHEN, private_routes=["POST /token"])
    )
    assert result.status is Status.SKIPPED
    assert result.requests == 0
    assert "set body:" in result.summary


async def test_error_when_the_valid_sample_is_not_found(serve):
    route = {"route": "POST /api/gone", "body": {"message": "hi"}}
    result = await run_one(
        CHECK, make_target(await serve(web.Application()), users=KITCHEN, private_routes=[route])
    )
    assert result.status is Status.ERROR
    assert "answered 404 to its valid sample body" in result.summary


def signup_app() -> web.Application:
    """Refuses a taken username or email with 409 before anything else, validates types, and
    (its flaw) accepts names of any length."""
    taken: set[str] = set()
    app = web.Application(client_max_size=4 * 1024 * 1024)

    async def signup(request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except (ValueError, RecursionError):
            return web.json_response({"detail": "invalid JSON"}, status=400)
        if not isinstance(body, dict) or not all(
            isinstance(body.get(k), str) for k in ("username", "email")
        ):
            return web.json_response({"detail": "username and email are strings"}, status=422)
        if body["username"] in taken or body["email"] in taken:
            return web.json_response({"detail": "already registered"}, status=409)
        taken.update((body["username"], body["email"]))
        return web.json_response({"username": body["username"]}, status=201)

    app.router.add_post("/api/signup", signup)
    return app


async def test_creates_get_fresh_unique_fields_so_no_probe_is_a_duplicate(serve):
    route = {
        "route": "POST /api/signup",
        "body": {"username": "newcomer", "email": "newcomer@example.org"},
    }
    result = await run_one(
        CHECK, make_target(await serve(signup_app()), users=KITCHEN, private_routes=[route])
    )
    assert result.status is Status.WARN, [f.message for f in result.findings]
    assert [f.message for f in result.findings] == ["A 1 MiB string: answered 201; expected a 4xx."]


async def test_a_weakness_on_one_route_is_reported_even_if_another_cannot_be_judged(serve):
    routes = ROUTES + [{"route": "POST /api/gone", "body": {"message": "hi"}}]
    result = await run_one(
        CHECK, make_target(await serve(app("lenient")), users=USERS, private_routes=routes)
    )
    assert result.status is Status.WARN
    assert "1 routes could not be judged" in result.summary


async def test_a_shared_object_changed_by_the_valid_sample_is_put_back_field_by_field(serve):
    server = profile_app(trusting=False, strict=True)  # refuses its own whole representation
    route = {"route": "PATCH /api/profiles/{username}", "body": {"bio": "probe bio"}}
    result = await run_one(
        CHECK,
        make_target(
            await serve(server),
            users=KITCHEN,
            objects=[PROFILE | {"methods": ["GET"]}],
            private_routes=[route],
        ),
    )
    assert result.status is Status.PASS, [f.message for f in result.findings]
    assert server[STATE]["bio"] == "hello"


# -- issue 13 class 17: judged against the route's OpenAPI request schema --------------------


def spec_document(*, closed: bool = False) -> dict:
    """POST /api/notes: title a string of at most 50, count an integer, title required.
    POST /api/ping: an open object (``closed``: additionalProperties false)."""
    ping: dict = {"type": "object", "properties": {"note": {"type": "string"}}}
    if closed:
        ping["additionalProperties"] = False
    note = {
        "type": "object",
        "required": ["title"],
        "properties": {
            "title": {"type": "string", "maxLength": 50},
            "count": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
        },
    }
    body = lambda ref: {"content": {"application/json": {"schema": {"$ref": ref}}}}  # noqa: E731
    return {
        "openapi": "3.1.0",
        "info": {"title": "notes", "version": "1"},
        "paths": {
            "/api/notes": {"post": {"requestBody": body("#/components/schemas/Note")}},
            "/api/ping": {"post": {"requestBody": body("#/components/schemas/Ping")}},
        },
        "components": {"schemas": {"Note": note, "Ping": ping}},
    }


def notes_app(*, validates: bool, closed: bool = False) -> web.Application:
    """``validates``: keeps the schema's promises (and ignores unknown keys); otherwise stores
    whatever JSON object it gets. Both refuse invalid JSON and deep nesting with 400."""
    app = web.Application(client_max_size=4 * 1024 * 1024)

    async def parsed(request: web.Request) -> object:
        try:
            return json.loads(await request.read())
        except (ValueError, RecursionError):
            raise web.HTTPBadRequest(text='{"error": "invalid JSON"}') from None

    async def notes(request: web.Request) -> web.Response:
        body = await parsed(request)
        if validates:
            ok = (
                isinstance(body, dict)
                and isinstance(body.get("title"), str)
                and len(body["title"]) <= 50
                and isinstance(body.get("count", 0), int | None)
            )
            if not ok:
                return web.json_response(
                    {"detail": "title: must be a string of at most 50"}, status=422
                )
            return web.json_response({"id": 1, "title": body["title"]}, status=201)
        return web.json_response({"id": 1, "stored": True}, status=201)

    async def ping(request: web.Request) -> web.Response:
        body = await parsed(request)
        if not isinstance(body, dict) or not isinstance(body.get("note", ""), str):
            return web.json_response({"detail": "note must be a string"}, status=422)
        if validates and (closed and set(body) - {"note"} or len(json.dumps(body)) > 10_000):
            return web.json_response({"detail": "invalid body"}, status=422)
        return web.json_response({"ok": True})

    async def document(request: web.Request) -> web.Response:
        return web.json_response(spec_document(closed=closed))

    app.router.add_post("/api/notes", notes)
    app.router.add_post("/api/ping", ping)
    app.router.add_get("/openapi.json", document)
    return app


NOTES = [{"route": "POST /api/notes", "body": {"title": "hello", "count": 1}}]


async def test_with_the_schema_accepted_type_and_length_violations_fail(serve):
    base = await serve(notes_app(validates=False))
    result = await run_one(
        CHECK, make_target(base, users=USERS, private_routes=NOTES, openapi=f"{base}/openapi.json")
    )
    assert result.status is Status.FAIL, result.summary
    broken = {
        f.message.split(":")[0]: f.message
        for f in result.findings
        if "(the schema from openapi:)" in f.message
    }
    assert (
        "the schema types title as string and count as integer or null, yet wrong types were accepted"
        in broken["Wrong types"]
    )
    assert (
        "the schema sets maxLength 50 on title, yet 1 MiB was accepted" in broken["A 1 MiB string"]
    )
    assert (
        "the schema requires title, yet an empty body was accepted"
        in broken["Missing fields (an empty object)"]
    )
    assert (
        "the schema declares an object, yet an array was accepted"
        in broken["A JSON array instead of an object"]
    )


async def test_without_a_schema_the_same_app_only_warns(serve):
    base = await serve(notes_app(validates=False))
    result = await run_one(CHECK, make_target(base, users=USERS, private_routes=NOTES))
    assert result.status is Status.WARN, result.summary
    assert not any("schema" in f.message for f in result.findings)


async def test_an_app_keeping_its_schema_passes(serve):
    base = await serve(notes_app(validates=True))
    result = await run_one(
        CHECK, make_target(base, users=USERS, private_routes=NOTES, openapi=f"{base}/openapi.json")
    )
    assert result.status is Status.PASS, result.summary


async def test_an_unknown_key_the_schema_allows_is_no_finding_but_a_closed_schema_is_held_to_it(
    serve, tmp_path
):
    ping = [{"route": "POST /api/ping", "body": {}}]
    open_base = await serve(notes_app(validates=True))
    opened = await run_one(
        CHECK,
        make_target(
            open_base, users=USERS, private_routes=ping, openapi=f"{open_base}/openapi.json"
        ),
    )
    wrong = next(f for f in opened.findings if f.message.startswith("Wrong types"))
    assert "'message' is not in the schema, which does not forbid unknown keys" in wrong.message
    assert opened.status is Status.PASS, opened.summary
    # The same app with additionalProperties: false in its (file) spec, yet accepting extra keys.
    (tmp_path / "openapi.json").write_text(json.dumps(spec_document(closed=True)), encoding="utf-8")
    lax = await serve(notes_app(validates=False))
    closed = await run_one(
        CHECK,
        make_target(lax, users=USERS, private_routes=ping, openapi="openapi.json"),
        root=tmp_path,
    )
    assert closed.status is Status.FAIL, closed.summary
    assert any(
        "additionalProperties: false), yet 'message' was accepted" in f.message
        for f in closed.findings
    )


async def test_an_openapi_key_that_cannot_be_read_is_an_error_naming_it(serve, tmp_path):
    base = await serve(notes_app(validates=True))
    result = await run_one(
        CHECK,
        make_target(base, users=USERS, private_routes=NOTES, openapi="missing.json"),
        root=tmp_path,
    )
    assert result.status is Status.ERROR
    assert (
        result.summary.startswith("targets.default.openapi:") and "cannot be read" in result.summary
    )


# -- issue 13: mass assignment on a public sign-up route, read back as the created account ----


def register_app(*, trusts_admin: bool) -> web.Application:
    """VAmPI's register: validates its fields, answers only {"status": "success"}, and (the
    bug, ``trusts_admin``) copies ``admin`` from the body. Login gives a token; /api/me shows
    the account, admin flag included."""
    accounts: dict[str, dict] = {}
    tokens: dict[str, str] = {}

    async def parsed(request: web.Request) -> object:
        try:
            return json.loads(await request.read())
        except (ValueError, RecursionError):
            raise web.HTTPBadRequest(text='{"error": "invalid JSON"}') from None

    async def register(request: web.Request) -> web.Response:
        body = await parsed(request)
        fields = ("username", "password", "email")
        if not isinstance(body, dict) or not all(
            isinstance(body.get(f), str) and 0 < len(body[f]) <= 100 for f in fields
        ):
            return web.json_response(
                {"error": "username, password and email are required strings"}, status=400
            )
        admin = bool(body.get("admin")) if trusts_admin else False
        accounts[body["username"]] = {
            "password": body["password"],
            "email": body["email"],
            "admin": admin,
        }
        return web.json_response({"status": "success", "message": "Registered. Log in."})

    async def login(request: web.Request) -> web.Response:
        body = await parsed(request)
        account = accounts.get(body.get("username")) if isinstance(body, dict) else None
        if account is None or account["password"] != body.get("password"):
            return web.json_response({"error": "wrong username or password"}, status=401)
        token = f"tok_{len(tokens)}_{'x' * 16}"
        tokens[token] = body["username"]
        return web.json_response({"auth_token": token})

    async def me(request: web.Request) -> web.Response:
        name = tokens.get(request.headers.get("Authorization", "").removeprefix("Bearer "))
        if name is None:
            return web.json_response({"error": "unauthorized"}, status=401)
        return web.json_response({"data": {"username": name, "admin": accounts[name]["admin"]}})

    app = web.Application(client_max_size=4 * 1024 * 1024)
    app.router.add_post("/api/register", register)
    app.router.add_post("/api/login", login)
    app.router.add_get("/api/me", me)
    return app


SIGNUP = {
    "route": "POST /api/register",
    "body": {
        "username": "lr_newcomer",
        "password": "pw-probe-123",
        "email": "newcomer@example.org",
    },
    "login": {
        "route": "POST /api/login",
        "body": {"username": "{username}", "password": "{password}"},
    },
    "read": "GET /api/me",
}


async def test_mass_assignment_on_a_public_signup_is_read_back_as_the_created_account(serve):
    base = await serve(register_app(trusts_admin=True))
    result = await run_one(CHECK, make_target(base, users=USERS, public_writes=[SIGNUP]))
    assert result.status is Status.FAIL, result.summary
    found = next(f for f in result.findings if f.message.startswith("Privileged fields"))
    assert (
        "admin took the values we sent (mass assignment, read back at GET /api/me as the account it created)"
        in found.message
    )


async def test_a_signup_that_ignores_privileged_fields_passes_read_back(serve):
    base = await serve(register_app(trusts_admin=False))
    result = await run_one(CHECK, make_target(base, users=USERS, public_writes=[SIGNUP]))
    assert result.status is Status.PASS, result.summary
    found = next(f for f in result.findings if f.message.startswith("Privileged fields"))
    assert (
        "no privileged field took our value (read back at GET /api/me as the account it created)"
        in found.message
    )
