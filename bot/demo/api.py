"""The demo's API: health, signup/login, the caller's profile, conversations per tenant, admin.

Flawed mode plants three classic auth mistakes: ``GET /admin/users`` only checks the role when
a token is present (so no token at all gets the user list), ``GET /admin/tenants`` checks that
the caller is signed in but forgets the role (so any buyer reads every tenant's usage), and
``GET /api/conversations`` treats any unknown bearer token as a guest of tenant acme. Flawed
mode also sets no request id. Hardened mode answers 401 without or with a bad token, 403 to a non-admin on the admin
route, and sets ``X-Request-Id`` on every response.

Other demo modules import :func:`bearer_user` to authenticate the same way.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from aiohttp import web

from bot.demo.state import DEMO_PASSWORD, DemoState, DemoUser

__all__ = ["bearer_token", "bearer_user", "install", "target_config", "unauthorized"]

_REQUEST_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[a-z]{2,}$", re.IGNORECASE)


def bearer_token(request: web.Request) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, else ``None``."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def bearer_user(request: web.Request, state: DemoState) -> DemoUser | None:
    """The demo user whose token the request carries, or ``None``."""
    return state.user_by_token(bearer_token(request))


def unauthorized(message: str = "authentication required") -> web.Response:
    return web.json_response({"error": message}, status=401, headers={"WWW-Authenticate": "Bearer"})


def _public(user: DemoUser) -> dict[str, str]:
    return {"name": user.name, "email": user.email, "tenant": user.tenant, "role": user.role}


def install(app: web.Application, state: DemoState) -> None:
    if state.hardened:
        app.on_response_prepare.append(_request_id)

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def signup(request: web.Request) -> web.Response:
        body, problem = await _credentials(request)
        if problem:
            return problem
        email = body["email"].lower()
        if len(body["password"]) < 8:
            return web.json_response({"error": "password must be at least 8 characters"}, status=400)
        if any(u.email == email for u in state.users.values()):
            return web.json_response({"error": "an account with this email exists"}, status=409)
        name = f"u{len(state.users) + 1}_{secrets.token_hex(3)}"
        user = DemoUser(name, email, f"t_{secrets.token_hex(4)}", "buyer", "demo_" + secrets.token_urlsafe(18))
        state.users[name] = user
        return web.json_response({"token": user.token, "user": _public(user)}, status=201)

    async def login(request: web.Request) -> web.Response:
        body, problem = await _credentials(request)
        if problem:
            return problem
        user = next((u for u in state.users.values() if u.email == body["email"].lower()), None)
        # The seeded users share the demo password; signed-up ones too (the demo keeps no hashes).
        if user is None or not secrets.compare_digest(body["password"], DEMO_PASSWORD):
            return web.json_response({"error": "wrong email or password"}, status=401)
        return web.json_response({"token": user.token, "user": _public(user)})

    async def me(request: web.Request) -> web.Response:
        user = bearer_user(request, state)
        if user is None:
            return unauthorized()
        return web.json_response(_public(user))

    async def conversations(request: web.Request) -> web.Response:
        user = bearer_user(request, state)
        tenant = user.tenant if user else None
        if user is None and not state.hardened and bearer_token(request):
            tenant = "acme"  # the planted mistake: an unknown token becomes a guest of acme
        if tenant is None:
            return unauthorized()
        items = [
            {"id": c["id"], "title": c["title"], "owner": c["owner"]}
            for c in state.conversations.values()
            if c["tenant"] == tenant
        ]
        return web.json_response({"tenant": tenant, "conversations": items})

    async def admin_users(request: web.Request) -> web.Response:
        token = bearer_token(request)
        user = bearer_user(request, state)
        # The planted mistake: the guard only runs when a token is sent at all.
        guarded = state.hardened or token is not None or "Authorization" in request.headers
        if guarded:
            if user is None:
                return unauthorized()
            if user.role != "admin":
                return web.json_response({"error": "admin role required"}, status=403)
        return web.json_response({"users": [_public(u) for u in state.users.values()]})

    async def admin_tenants(request: web.Request) -> web.Response:
        user = bearer_user(request, state)
        if user is None:
            return unauthorized()
        # The planted mistake: signed in is taken to mean allowed; the role is never looked at.
        if state.hardened and user.role != "admin":
            return web.json_response({"error": "admin role required"}, status=403)
        usage: dict[str, int] = {}
        for conversation in state.conversations.values():
            usage[conversation["tenant"]] = usage.get(conversation["tenant"], 0) + 1
        return web.json_response({"tenants": [{"tenant": t, "conversations": n} for t, n in sorted(usage.items())]})

    app.router.add_get("/health", health)
    app.router.add_post("/auth/signup", signup)
    app.router.add_post("/auth/login", login)
    app.router.add_get("/api/me", me)
    app.router.add_get("/api/conversations", conversations)
    app.router.add_get("/admin/users", admin_users)
    app.router.add_get("/admin/tenants", admin_tenants)


async def _credentials(request: web.Request) -> tuple[dict[str, Any], web.Response | None]:
    """A JSON body with a string email and password, or the 400 that says what is wrong."""
    try:
        body = await request.json()
    except ValueError:
        return {}, web.json_response({"error": "body must be JSON"}, status=400)
    if not isinstance(body, dict):
        return {}, web.json_response({"error": "body must be a JSON object"}, status=400)
    email, password = body.get("email"), body.get("password")
    if not isinstance(email, str) or not _EMAIL.match(email):
        return {}, web.json_response({"error": "email must be an email address"}, status=400)
    if not isinstance(password, str) or not 1 <= len(password) <= 256:
        return {}, web.json_response({"error": "password must be a string of 1 to 256 characters"}, status=400)
    return body, None


async def _request_id(request: web.Request, response: web.StreamResponse) -> None:
    # Keep a caller's id (so traces join up) only when it is short and plain.
    incoming = request.headers.get("X-Request-Id", "")
    request_id = incoming if _REQUEST_ID.match(incoming) else "req_" + secrets.token_hex(8)
    response.headers.setdefault("X-Request-Id", request_id)


def target_config(state: DemoState) -> dict[str, Any]:
    return {
        # health_routes and private_routes (with roles) come from `launchready init`.
        "public_routes": ["GET /health"],
    }
