"""The demo's owned objects: one conversation, files, billing.

Flawed: any signed-in user reads and patches any tenant's conversation, and PATCH applies
whatever fields it gets (``role``, ``tenant``: mass assignment); bad bodies crash into 500s;
listing files is slow (an unindexed scan). Hardened: lookups are scoped by tenant (404 across
tenants), bodies are validated, and listing files is fast.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

from aiohttp import web

from bot.demo.api import bearer_user, unauthorized
from bot.demo.state import DemoState
from bot.demo.validation import BadBody, naive_json, strict_object

__all__ = ["SLOW_FILES_MS", "install", "target_config"]

SLOW_FILES_MS = 700  # flawed: GET /api/files takes this long, over the 500 ms budget below
MAX_CONTENT = 100_000


def install(app: web.Application, state: DemoState) -> None:
    def visible(conversation: dict[str, Any], tenant: str) -> bool:
        return not state.hardened or conversation["tenant"] == tenant

    async def get_conversation(request: web.Request) -> web.Response:
        user = bearer_user(request, state)
        if user is None:
            return unauthorized()
        conversation = state.conversations.get(request.match_info["id"])
        if conversation is None or not visible(conversation, user.tenant):
            return web.json_response({"error": "conversation not found"}, status=404)
        return web.json_response(conversation)

    async def patch_conversation(request: web.Request) -> web.Response:
        user = bearer_user(request, state)
        if user is None:
            return unauthorized()
        conversation = state.conversations.get(request.match_info["id"])
        if conversation is None or not visible(conversation, user.tenant):
            return web.json_response({"error": "conversation not found"}, status=404)
        if not state.hardened:
            conversation.update(await naive_json(request))  # the planted mass assignment
            if isinstance(conversation.get("title"), str):
                # Like a VARCHAR(200) column in a non-strict database: silently cut, never refused.
                conversation["title"] = conversation["title"][:200]
            return web.json_response(conversation)
        try:
            body = await strict_object(request, fields={"title": 200}, required=("title",))
        except BadBody as exc:
            return exc.response
        conversation.update(body)
        return web.json_response(conversation)

    async def upload(request: web.Request) -> web.Response:
        user = bearer_user(request, state)
        if user is None:
            return unauthorized()
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            field = form.get("file")
            if not isinstance(field, web.FileField):
                return web.json_response({"error": "send the document as the multipart field 'file'"}, status=400)
            document = {"name": field.filename, "content": field.file.read(MAX_CONTENT + 1).decode("utf-8", "replace")}
            if state.hardened and len(document["content"]) > MAX_CONTENT:
                return web.json_response({"error": "file too large"}, status=413)
        elif state.hardened:
            try:
                document = await strict_object(request, fields={"name": 200, "content": MAX_CONTENT}, required=("name", "content"))
            except BadBody as exc:
                return exc.response
        else:
            body = await naive_json(request)
            document = {"owner": user.name, **body, "size": len(body["content"].encode())}
        stored = {"id": "f_" + secrets.token_hex(4), "owner": user.name} | document
        state.api.files.setdefault(user.name, []).append(stored)
        # Flawed mode echoes every field it stored, privileged ones included.
        return web.json_response({k: v for k, v in stored.items() if k != "content"}, status=201)

    async def list_files(request: web.Request) -> web.Response:
        user = bearer_user(request, state)
        if user is None:
            return unauthorized()
        if not state.hardened:
            await asyncio.sleep(SLOW_FILES_MS / 1000)  # the planted slow query
        files = [{"id": f["id"], "name": f.get("name")} for f in state.api.files.get(user.name, [])]
        return web.json_response({"files": files})

    async def billing(request: web.Request) -> web.Response:
        user = bearer_user(request, state)
        if user is None:
            return unauthorized()
        return web.json_response({"tenant": user.tenant} | state.api.billing_of(user.tenant))

    app.router.add_get("/api/conversations/{id}", get_conversation)
    app.router.add_patch("/api/conversations/{id}", patch_conversation)
    app.router.add_post("/api/files", upload)
    app.router.add_get("/api/files", list_files)
    app.router.add_get("/api/billing", billing)


def target_config(state: DemoState) -> dict[str, Any]:
    # objects (discovered in alice's list), private_routes and latency.routes come from
    # `launchready init`; latency routes are measured signed in by default.
    return {
        "latency": {
            "p95_ms": 500,
            "samples": 5,
            "warmup": 0,
            "concurrency": 4,
            "load": "500ms",
            # The demo serves and probes in one process: under load its p95 is the machine's.
            "load_p95_ms": 1500,
        },
    }
