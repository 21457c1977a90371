"""The demo's OpenAPI 3.1 document, served at ``GET /openapi.json``.

It describes the demo's API as a framework would publish it: global bearer security with
``security: []`` on the public operations, shared schemas behind ``$ref``s. The demo's own
app.yaml is drafted from it by ``launchready init`` (see :mod:`bot.demo.server`).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.demo.state import DemoState

__all__ = ["document", "install", "target_config"]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _op(
    summary: str,
    tag: str,
    *,
    answer: dict[str, Any] | None = None,
    body: dict[str, Any] | None = None,
    public: bool = False,
    status: str = "200",
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "tags": [tag],
        "responses": {
            status: {"description": "OK", **(_json(answer) if answer else {})},
            "401": {"description": "Not signed in"},
        },
    }
    if body is not None:
        op["requestBody"] = {"required": True, **_json(body)}
    if public:
        op["security"] = []
    return op


SCHEMAS: dict[str, Any] = {
    "Credentials": {
        "type": "object",
        "required": ["email", "password"],
        "properties": {
            "email": {"type": "string", "format": "email"},
            "password": {"type": "string", "minLength": 8},
        },
    },
    "User": {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "email": {"type": "string"},
            "tenant": {"type": "string"},
            "role": {"type": "string"},
        },
    },
    "Session": {
        "type": "object",
        "properties": {"token": {"type": "string"}, "user": _ref("User")},
    },
    "ConversationSummary": {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "owner": {"type": "string"},
        },
    },
    "Conversation": {
        "allOf": [
            _ref("ConversationSummary"),
            {
                "type": "object",
                "properties": {"messages": {"type": "array", "items": {"type": "object"}}},
            },
        ]
    },
    "ConversationList": {
        "type": "object",
        "properties": {
            "tenant": {"type": "string"},
            "conversations": {"type": "array", "items": _ref("ConversationSummary")},
        },
    },
    "ConversationPatch": {
        "type": "object",
        "required": ["title"],
        "properties": {"title": {"type": "string", "maxLength": 200}},
    },
    "ChatRequest": {
        "type": "object",
        "required": ["message"],
        "properties": {"message": {"type": "string", "maxLength": 4000}},
    },
    "ChatReply": {"type": "object", "properties": {"reply": {"type": "string"}}},
    "Document": {
        "type": "object",
        "required": ["name", "content"],
        "properties": {"name": {"type": "string"}, "content": {"type": "string"}},
    },
    "FileList": {
        "type": "object",
        "properties": {
            "files": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"id": {"type": "string"}, "name": {"type": "string"}},
                },
            }
        },
    },
}


def document(state: DemoState) -> dict[str, Any]:
    """The spec, with admin operations last (init picks its first list-style GETs for latency)."""
    paths: dict[str, Any] = {
        "/health": {"get": _op("Health check", "ops", public=True)},
        "/auth/signup": {
            "post": _op(
                "Sign up",
                "auth",
                body=_ref("Credentials"),
                answer=_ref("Session"),
                public=True,
                status="201",
            )
        },
        "/auth/login": {
            "post": _op(
                "Log in", "auth", body=_ref("Credentials"), answer=_ref("Session"), public=True
            )
        },
        "/api/me": {"get": _op("The caller's profile", "account", answer=_ref("User"))},
        "/api/conversations": {
            "get": _op(
                "The caller's tenant's conversations", "chat", answer=_ref("ConversationList")
            )
        },
        "/api/conversations/{id}": {
            "parameters": [
                {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "get": _op("One conversation", "chat", answer=_ref("Conversation")),
            "patch": _op(
                "Rename a conversation",
                "chat",
                body=_ref("ConversationPatch"),
                answer=_ref("Conversation"),
            ),
        },
        "/api/chat": {
            "post": _op(
                "Ask the assistant", "chat", body=_ref("ChatRequest"), answer=_ref("ChatReply")
            )
        },
        "/api/files": {
            "get": _op("The caller's files", "files", answer=_ref("FileList")),
            "post": _op("Upload a document", "files", body=_ref("Document"), status="201"),
        },
        "/api/billing": {"get": _op("The tenant's billing", "billing")},
        "/webhooks/stripe": {
            "post": _op("Stripe events", "billing", body={"type": "object"}, public=True)
        },
        "/admin/users": {
            "get": _op(
                "Every user (admin only)",
                "admin",
                answer={
                    "type": "object",
                    "properties": {"users": {"type": "array", "items": _ref("User")}},
                },
            )
        },
        "/admin/tenants": {"get": _op("Usage per tenant (admin only)", "admin")},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Acme Chat (demo)", "version": "1.0"},
        "servers": [{"url": state.base_url or "/"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": SCHEMAS,
        },
        "paths": paths,
    }


def install(app: web.Application, state: DemoState) -> None:
    async def spec(request: web.Request) -> web.Response:
        return web.json_response(document(state))

    app.router.add_get("/openapi.json", spec)


def target_config(state: DemoState) -> dict[str, Any]:
    return {}
