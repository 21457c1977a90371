"""The demo's cross-cutting guards: error pages, the Server banner, CORS and rate limits.

Flawed: a crash returns the Python traceback (internal paths included) under aiohttp's
``Server: Python/3.x aiohttp/3.x`` banner; CORS reflects any Origin with credentials; nothing
is rate limited. Hardened: plain JSON errors and a versionless Server header; CORS echoes
only the allowed origin; login and chat answer 429 with Retry-After past their limits.
"""

from __future__ import annotations

import logging
import math
import time
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.demo.api import bearer_token
from bot.demo.state import DemoState

__all__ = ["ALLOWED_ORIGIN", "LIMITS", "install", "target_config"]

log = logging.getLogger(__name__)

ALLOWED_ORIGIN = "https://app.acme.test"
# (method, path) -> requests per minute, per caller (token, else address + login email).
LIMITS: dict[tuple[str, str], int] = {("POST", "/auth/login"): 10, ("POST", "/api/chat"): 60}
WINDOW = 60.0
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def install(app: web.Application, state: DemoState) -> None:
    app.middlewares.extend([_errors(state), _cors(state)])
    if state.hardened:
        app.middlewares.append(_rate_limit(state))
        app.on_response_prepare.append(_plain_server_header)


def _errors(state: DemoState):
    @web.middleware
    async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPException as exc:
            if not state.hardened:
                raise
            return web.json_response({"error": exc.reason}, status=exc.status, headers={k: v for k, v in exc.headers.items() if k.lower() == "allow"})
        except Exception:
            if not state.hardened:  # the planted mistake: the traceback goes to the client
                return web.Response(status=500, text=traceback.format_exc(), content_type="text/plain")
            log.exception("demo handler failed on %s %s", request.method, request.path)
            return web.json_response({"error": "internal error"}, status=500)

    return errors


def _cors(state: DemoState):
    def allow(origin: str) -> dict[str, str]:
        if not origin or (state.hardened and origin != ALLOWED_ORIGIN):
            return {"Vary": "Origin"} if state.hardened else {}
        # Flawed: whatever Origin arrives is trusted, with credentials.
        return {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true", "Vary": "Origin"}

    @web.middleware
    async def cors(request: web.Request, handler: Handler) -> web.StreamResponse:
        origin = request.headers.get("Origin", "")
        if request.method == "OPTIONS" and request.headers.get("Access-Control-Request-Method"):
            headers = allow(origin)
            if "Access-Control-Allow-Origin" in headers:
                headers |= {"Access-Control-Allow-Methods": "GET, POST, PATCH, DELETE", "Access-Control-Allow-Headers": "authorization, content-type", "Access-Control-Max-Age": "600"}
            return web.Response(status=204, headers=headers)
        response = await handler(request)
        response.headers.update(allow(origin))
        return response

    return cors


def _rate_limit(state: DemoState):
    @web.middleware
    async def rate_limit(request: web.Request, handler: Handler) -> web.StreamResponse:
        limit = LIMITS.get((request.method, request.path))
        if limit is None:
            return await handler(request)
        key = f"{request.method} {request.path} " + await _caller(request)
        now = time.monotonic()
        hits = [t for t in state.api.hits.get(key, []) if now - t < WINDOW]
        if len(hits) >= limit:
            retry = max(1, math.ceil(WINDOW - (now - hits[0])))
            headers = {"Retry-After": str(retry), "RateLimit-Limit": str(limit), "RateLimit-Remaining": "0", "RateLimit-Reset": str(retry)}
            state.api.hits[key] = hits
            return web.json_response({"error": "too many requests"}, status=429, headers=headers)
        hits.append(now)
        state.api.hits[key] = hits
        return await handler(request)

    return rate_limit


async def _caller(request: web.Request) -> str:
    token = bearer_token(request)
    if token:
        return "token:" + token
    email = ""
    if request.path == "/auth/login":
        try:
            body: Any = await request.json()  # aiohttp keeps the body for the handler
            email = str(body.get("email", "")).lower() if isinstance(body, dict) else ""
        except (ValueError, RecursionError):
            email = ""
    return f"addr:{request.remote} {email}"


async def _plain_server_header(request: web.Request, response: web.StreamResponse) -> None:
    response.headers["Server"] = "acme-chat"


def target_config(state: DemoState) -> dict[str, Any]:
    return {
        "rate_limits": [
            {"route": "POST /auth/login", "max_per_minute": LIMITS[("POST", "/auth/login")], "body": {"email": "alice@acme.test", "password": "wrong-password"}},
            # bob bursts the chat so alice's prompt-injection battery stays under her own limit.
            {"route": "POST /api/chat", "as": "bob", "max_per_minute": LIMITS[("POST", "/api/chat")], "body": {"message": "hi"}},
        ],
        "cors": {"allowed_origins": [ALLOWED_ORIGIN]},
    }
