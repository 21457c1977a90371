"""The demo's API: health, auth, conversations per tenant, files, admin.

Flawed mode plants the classic launch mistakes; hardened mode fixes them.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.demo.state import DemoState

__all__ = ["install", "target_config"]


def install(app: web.Application, state: DemoState) -> None:
    async def health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app.router.add_get("/health", health)


def target_config(state: DemoState) -> dict[str, Any]:
    return {"health_routes": ["GET /health"], "public_routes": ["GET /health"]}
