"""A small notes API on loopback, the shape of the apps init meets: an OAuth2 password login
(JWTs with ``exp``), notes owned per user, an admin route, a profile addressed by username,
and its OpenAPI document in 3.0, 3.1 and Swagger 2.0 (JSON or YAML, ``$ref`` chains).

``isolated=False`` plants the classic mistakes: any signed-in user reads, edits and deletes
any note, and ``PUT /profile`` edits whichever user the body names.
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

import yaml
from aiohttp import web

__all__ = ["NotesApp", "PASSWORDS", "spec_document"]

# Built at run time so the repository scan never sees a password literal.
PASSWORDS = {name: f"{name}-{secrets.token_hex(6)}" for name in ("alice", "bob", "admin")}
EMAILS = {"alice": "alice@example.com", "bob": "bob@example.com", "admin": "admin@example.com"}


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


@dataclass
class NotesApp:
    isolated: bool = True
    token_life: int = 1800  # seconds a JWT's exp lies after `now`
    now: float = 1_900_000_000.0  # the app's clock (tests move it)
    max_uses: int | None = None  # a token stops working after this many uses (expiry mid-run)
    cookie_sessions: bool = False
    spec_version: str = "3.1"
    spec_path: str = "/openapi.json"
    spec_yaml: bool = False
    tokens: dict[str, str] = field(default_factory=dict)  # token -> user
    uses: dict[str, int] = field(default_factory=dict)
    logins: list[str] = field(default_factory=list)
    notes: dict[str, dict[str, Any]] = field(default_factory=dict)
    profiles: dict[str, dict[str, str]] = field(
        default_factory=lambda: {n: {"username": n, "bio": f"{n}'s bio"} for n in EMAILS}
    )
    seen_cookies: list[tuple[str, str]] = field(default_factory=list)  # (path, cookie header)

    def __post_init__(self) -> None:
        self.notes = {
            "n_alice": {
                "id": "n_alice",
                "owner": "alice",
                "title": "alice's plan",
                "body": "ship it",
            }
        }

    def _issue(self, user: str) -> str:
        token = ".".join(
            (
                _b64({"alg": "HS256"}),
                _b64({"sub": user, "exp": int(self.now + self.token_life)}),
                secrets.token_urlsafe(16),
            )
        )
        self.tokens[token] = user
        return token

    def caller(self, request: web.Request) -> str | None:
        token = None
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            token = value.strip()
        if self.cookie_sessions:
            self.seen_cookies.append((request.path, request.headers.get("Cookie", "")))
            token = request.cookies.get("session")
        if not token or token not in self.tokens:
            return None
        self.uses[token] = self.uses.get(token, 0) + 1
        if self.max_uses is not None and self.uses[token] > self.max_uses:
            return None
        return self.tokens[token]

    def build(self) -> web.Application:
        app = web.Application()
        unauthorized = lambda: web.json_response({"detail": "Not authenticated"}, status=401)  # noqa: E731

        async def token(request: web.Request) -> web.Response:
            form = await request.post()
            user = next((n for n, e in EMAILS.items() if e == form.get("username")), None)
            if user is None or form.get("password") != PASSWORDS[user]:
                return web.json_response({"detail": "Incorrect email or password"}, status=400)
            self.logins.append(user)
            issued = self._issue(user)
            if self.cookie_sessions:
                response = web.json_response({"ok": True})
                response.set_cookie("session", issued, httponly=True)
                return response
            return web.json_response({"access_token": issued, "token_type": "bearer"})

        async def list_notes(request: web.Request) -> web.Response:
            user = self.caller(request)
            if user is None:
                return unauthorized()
            return web.json_response(
                {"data": [n for n in self.notes.values() if n["owner"] == user], "count": 1}
            )

        async def create_note(request: web.Request) -> web.Response:
            user = self.caller(request)
            if user is None:
                return unauthorized()
            body = await request.json()
            note = {
                "id": "n_" + secrets.token_hex(4),
                "owner": user,
                "title": str(body.get("title", "")),
                "body": "",
            }
            self.notes[note["id"]] = note
            return web.json_response(note)

        def visible(request: web.Request) -> tuple[str | None, dict[str, Any] | None]:
            user = self.caller(request)
            note = self.notes.get(request.match_info["id"])
            if user is None or note is None or (self.isolated and note["owner"] != user):
                return user, None
            return user, note

        async def get_note(request: web.Request) -> web.Response:
            user, note = visible(request)
            if user is None:
                return unauthorized()
            return (
                web.json_response(note)
                if note
                else web.json_response({"detail": "Not found"}, status=404)
            )

        async def put_note(request: web.Request) -> web.Response:
            user, note = visible(request)
            if user is None:
                return unauthorized()
            if note is None:
                return web.json_response({"detail": "Not found"}, status=404)
            note.update({k: v for k, v in (await request.json()).items() if k in ("title", "body")})
            return web.json_response(note)

        async def delete_note(request: web.Request) -> web.Response:
            user, note = visible(request)
            if user is None:
                return unauthorized()
            if note is None:
                return web.json_response({"detail": "Not found"}, status=404)
            del self.notes[note["id"]]
            return web.json_response({"deleted": True})

        async def admin_stats(request: web.Request) -> web.Response:
            user = self.caller(request)
            if user is None:
                return unauthorized()
            if user != "admin":
                return web.json_response({"detail": "Not enough permissions"}, status=403)
            return web.json_response({"users": list(EMAILS)})

        async def get_profile(request: web.Request) -> web.Response:
            user = self.caller(request)
            return web.json_response(self.profiles[user]) if user else unauthorized()

        async def put_profile(request: web.Request) -> web.Response:
            user = self.caller(request)
            if user is None:
                return unauthorized()
            body = await request.json()
            named = body.get("username") if not self.isolated else user
            if named not in self.profiles:
                return web.json_response({"detail": "No such user"}, status=404)
            self.profiles[named]["bio"] = str(body.get("bio", ""))
            return web.json_response(self.profiles[named])

        async def health(request: web.Request) -> web.Response:
            return web.json_response({"status": "ok"})

        async def spec(request: web.Request) -> web.Response:
            document = spec_document(self.spec_version)
            if self.spec_path.endswith(".js"):  # as swagger-ui-express serves it
                options = json.dumps({"swaggerDoc": document, "customOptions": {}})
                script = f"window.onload = function() {{\n  var options = {options};\n  url = options.swaggerUrl || url\n}}\n"
                return web.Response(text=script, content_type="application/javascript")
            if self.spec_yaml:
                return web.Response(text=yaml.safe_dump(document), content_type="application/yaml")
            return web.json_response(document)

        app.router.add_post("/api/token", token)
        app.router.add_get("/api/notes", list_notes)
        app.router.add_post("/api/notes", create_note)
        app.router.add_get("/api/notes/{id}", get_note)
        app.router.add_put("/api/notes/{id}", put_note)
        app.router.add_delete("/api/notes/{id}", delete_note)
        app.router.add_get("/api/admin/stats", admin_stats)
        app.router.add_get("/api/profile", get_profile)
        app.router.add_put("/api/profile", put_profile)
        app.router.add_get("/api/health", health)
        app.router.add_get(self.spec_path, spec)
        return app


def _schemas(prefix: str) -> dict[str, Any]:
    ref = lambda name: {"$ref": f"{prefix}{name}"}  # noqa: E731
    return {
        "NoteBase": {
            "type": "object",
            "required": ["title"],
            "properties": {"title": {"type": "string", "maxLength": 100}},
        },
        "NoteCreate": {"allOf": [ref("NoteBase")]},  # a $ref chain: NoteCreate -> NoteBase
        "Note": {
            "allOf": [
                ref("NoteBase"),
                {
                    "type": "object",
                    "properties": {"id": {"type": "string"}, "owner": {"type": "string"}},
                },
            ]
        },
        "Notes": {
            "type": "object",
            "properties": {
                "data": {"type": "array", "items": ref("Note")},
                "count": {"type": "integer"},
            },
        },
        "Profile": {
            "type": "object",
            "required": ["username", "bio"],
            "properties": {"username": {"type": "string"}, "bio": {"type": "string"}},
        },
        "Token": {
            "type": "object",
            "properties": {"access_token": {"type": "string"}, "token_type": {"type": "string"}},
        },
    }


def spec_document(version: str) -> dict[str, Any]:
    """The notes API in OpenAPI 3.0/3.1 or Swagger 2.0, with global bearer security."""
    swagger = version == "2.0"
    prefix = "#/definitions/" if swagger else "#/components/schemas/"
    ref = lambda name: {"$ref": f"{prefix}{name}"}  # noqa: E731

    def answer(schema: dict[str, Any] | None) -> dict[str, Any]:
        if schema is None:
            return {"200": {"description": "OK"}}
        return {
            "200": {
                "description": "OK",
                **(
                    {"schema": schema}
                    if swagger
                    else {"content": {"application/json": {"schema": schema}}}
                ),
            }
        }

    def body(schema: dict[str, Any]) -> dict[str, Any]:
        if swagger:
            return {
                "parameters": [{"in": "body", "name": "body", "required": True, "schema": schema}]
            }
        return {
            "requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}
        }

    id_param = {
        "name": "id",
        "in": "path",
        "required": True,
        **({"type": "string"} if swagger else {"schema": {"type": "string"}}),
    }
    if swagger:
        login = {
            "summary": "Login",
            "security": [],
            "consumes": ["application/x-www-form-urlencoded"],
            "responses": answer(ref("Token")),
            "parameters": [
                {"in": "formData", "name": "username", "type": "string", "required": True},
                {"in": "formData", "name": "password", "type": "string", "required": True},
            ],
        }
    else:
        form = {
            "type": "object",
            "required": ["username", "password"],
            "properties": {
                "username": {"type": "string"},
                "password": {"type": "string"},
                "grant_type": {"type": "string", "pattern": "password"},
            },
        }
        login = {
            "summary": "Login",
            "security": [],
            "requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": form}}},
            "responses": answer(ref("Token")),
        }
    paths = {
        "/health": {"get": {"summary": "Health", "security": [], "responses": answer(None)}},
        "/token": {"post": login},
        "/notes": {
            "get": {"summary": "My notes", "responses": answer(ref("Notes"))},
            "post": {
                "summary": "New note",
                **body(ref("NoteCreate")),
                "responses": answer(ref("Note")),
            },
        },
        "/notes/{id}": {
            "parameters": [id_param],
            "get": {"summary": "One note", "responses": answer(ref("Note"))},
            "put": {
                "summary": "Edit a note",
                **body(ref("NoteBase")),
                "responses": answer(ref("Note")),
            },
            "delete": {"summary": "Delete a note", "responses": answer(None)},
        },
        "/admin/stats": {"get": {"summary": "Stats (admin only)", "responses": answer(None)}},
        "/profile": {
            "get": {"summary": "My profile", "responses": answer(ref("Profile"))},
            "put": {
                "summary": "Edit a profile",
                **body(ref("Profile")),
                "responses": answer(ref("Profile")),
            },
        },
    }
    if swagger:
        return {
            "swagger": "2.0",
            "info": {"title": "Notes", "version": "1"},
            "basePath": "/api",
            "securityDefinitions": {
                "oauth": {"type": "oauth2", "flow": "password", "tokenUrl": "/api/token"}
            },
            "security": [{"oauth": []}],
            "definitions": _schemas(prefix),
            "paths": paths,
        }
    return {
        "openapi": "3.1.0" if version == "3.1" else "3.0.3",
        "info": {"title": "Notes", "version": "1"},
        "servers": [{"url": "/api"}],
        "components": {
            "securitySchemes": {
                "oauth": {"type": "oauth2", "flows": {"password": {"tokenUrl": "api/token"}}}
            },
            "schemas": _schemas(prefix),
        },
        "security": [{"oauth": []}],
        "paths": paths,
    }
