"""The demo's web front: ``GET /`` with an inline script and a ``__NEXT_DATA__`` blob, and a
bundle ``/static/app.js``.

Flawed mode inlines a ``NEXT_PUBLIC_OPENAI_API_KEY`` into the page data and the bundle, and
serves the bundle's source map whose ``sourcesContent`` holds an Anthropic key. Hardened mode
ships only public values (API URL, Stripe publishable key, Firebase web config) and no map.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from bot.demo.fake_keys import fake_keys
from bot.demo.state import DemoState

__all__ = ["install", "target_config"]


def _public_env(state: DemoState) -> dict[str, str]:
    keys = fake_keys(state)
    env = {
        "NEXT_PUBLIC_API_URL": "/api",
        "NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY": keys.stripe_publishable,
        "NEXT_PUBLIC_FIREBASE_API_KEY": keys.firebase_web,
    }
    if not state.hardened:
        env["NEXT_PUBLIC_OPENAI_API_KEY"] = keys.openai
    return env


def page(state: DemoState) -> str:
    data = {"props": {"pageProps": {"title": "Acme Chat"}}, "page": "/", "runtimeConfig": _public_env(state)}
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Acme Chat</title>
<script>window.dataLayer = window.dataLayer || []; window.dataLayer.push({{"event": "page_view"}});</script>
</head><body><div id="__next">Acme Chat</div>
<script id="__NEXT_DATA__" type="application/json">{json.dumps(data)}</script>
<script src="/static/app.js" defer></script>
</body></html>
"""


def _source(state: DemoState) -> str:
    keys = fake_keys(state)
    if state.hardened:
        return 'export async function ask(message: string) {\n  return fetch("/api/chat", {method: "POST", body: JSON.stringify({message})});\n}\n'
    return (
        'import Anthropic from "@anthropic-ai/sdk";\n\n'
        f'const client = new Anthropic({{ apiKey: "{keys.anthropic}", dangerouslyAllowBrowser: true }});\n\n'
        "export async function ask(message: string) {\n"
        '  return client.messages.create({ model: "claude-sonnet", max_tokens: 512, messages: [{ role: "user", content: message }] });\n'
        "}\n"
    )


def bundle(state: DemoState) -> str:
    env = json.dumps(_public_env(state))
    keys = fake_keys(state)
    firebase = json.dumps({"apiKey": keys.firebase_web, "authDomain": "acme-chat.firebaseapp.com", "projectId": "acme-chat"})
    code = (
        f'(()=>{{"use strict";const e={env};const f={firebase};'
        'async function ask(m){return fetch(e.NEXT_PUBLIC_API_URL+"/chat",{method:"POST",body:JSON.stringify({message:m})})}'
        "window.acme={ask,env:e,firebase:f}})();\n"
    )
    if not state.hardened:
        code += "//# sourceMappingURL=app.js.map\n"
    return code


def source_map(state: DemoState) -> str:
    return json.dumps(
        {"version": 3, "file": "app.js", "sources": ["src/lib/chat.ts"], "sourcesContent": [_source(state)], "names": [], "mappings": "AAAA"}
    )


def install(app: web.Application, state: DemoState) -> None:
    async def index(request: web.Request) -> web.Response:
        return web.Response(text=page(state), content_type="text/html")

    async def app_js(request: web.Request) -> web.Response:
        return web.Response(text=bundle(state), content_type="application/javascript")

    async def app_map(request: web.Request) -> web.Response:
        if state.hardened:
            raise web.HTTPNotFound()
        return web.Response(text=source_map(state), content_type="application/json")

    app.router.add_get("/", index)
    app.router.add_get("/static/app.js", app_js)
    app.router.add_get("/static/app.js.map", app_map)


def target_config(state: DemoState) -> dict[str, Any]:
    return {"pages": ["GET /"]}
